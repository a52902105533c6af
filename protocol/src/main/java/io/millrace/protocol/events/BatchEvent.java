package io.millrace.protocol.events;

import java.util.List;
import java.util.Map;

/**
 * A submitted batch on {@code millrace.batches}, keyed by batch id: how many results to expect.
 * The topic is compacted and every change is the same event published again with a field set, so
 * the latest event per batch id is the batch's state.
 *
 * <p>Two origins. The batch command publishes an event that is in progress at once
 * ({@code inputFileId} null, {@code total} known). {@code POST /v1/batches} publishes one that is
 * validating ({@code inputFileId} set, {@code inProgressAt} null, {@code total} 0); the ingest role
 * reads that file and publishes the event again with {@code total} and {@code inProgressAt}, or
 * with {@code failedAt} and {@code errors} when the file cannot be read.
 *
 * @param total            lines in the input file, valid or not: each gets exactly one result
 * @param inputFile        name of the input file, for display
 * @param createdAt        epoch milliseconds
 * @param metadata         caller metadata (OpenAI: at most 16 pairs)
 * @param cancelledAt      epoch milliseconds when cancellation was asked for, or null
 * @param tenant           who submitted it over the API, or null (the batch command)
 * @param inputFileId      the stored file ({@code millrace.files}) the batch runs, or null (the
 *                         batch command reads a local file)
 * @param completionWindow OpenAI's {@code completion_window}, {@code "24h"}; null means 24h
 * @param expiresAt        epoch milliseconds when the window ends, or null (then 24 h after creation)
 * @param inProgressAt     epoch milliseconds when its requests were published, or null: an event
 *                         with an input file id and no in-progress time is still validating
 * @param failedAt         epoch milliseconds when the batch failed as a whole (input file gone), or null
 * @param errors           why it failed, or null
 * @param outputFileId     the stored file of its successful results ({@code millrace.files}), or null
 * @param errorFileId      the stored file of its failed results, or null
 * @param finalizingAt     epoch milliseconds when its output and error files began to be written;
 *                         published only once both are stored, so a set value means the files exist
 * @param completedAt      epoch milliseconds when the files were stored (null for a cancelled or
 *                         expired batch, whose own time says when it ended)
 * @param expiredAt        epoch milliseconds when its completion window ran out with requests
 *                         unanswered: workers answer those {@code batch_expired}, as on a cancel
 */
public record BatchEvent(
        String batchId,
        String endpoint,
        String inputFile,
        long total,
        long createdAt,
        Map<String, String> metadata,
        Long cancelledAt,
        String tenant,
        String inputFileId,
        String completionWindow,
        Long expiresAt,
        Long inProgressAt,
        Long failedAt,
        List<ErrorInfo> errors,
        String outputFileId,
        String errorFileId,
        Long finalizingAt,
        Long completedAt,
        Long expiredAt) {

    /** A batch of no tenant (the batch command's). */
    public BatchEvent(String batchId, String endpoint, String inputFile, long total, long createdAt,
            Map<String, String> metadata, Long cancelledAt) {
        this(batchId, endpoint, inputFile, total, createdAt, metadata, cancelledAt, null);
    }

    /** A batch read from a local file, in progress from its creation. */
    public BatchEvent(String batchId, String endpoint, String inputFile, long total, long createdAt,
            Map<String, String> metadata, Long cancelledAt, String tenant) {
        this(batchId, endpoint, inputFile, total, createdAt, metadata, cancelledAt, tenant, null, null, null, null, null, null,
                null, null, null, null, null);
    }

    public BatchEvent {
        errors = errors == null ? null : List.copyOf(errors);
    }

    /** A batch of a stored file, as {@code POST /v1/batches} creates it: validating until ingested. */
    public static BatchEvent ofFile(String batchId, String endpoint, String inputFileId, String completionWindow,
            long createdAt, long expiresAt, Map<String, String> metadata, String tenant) {
        return new BatchEvent(batchId, endpoint, null, 0, createdAt, metadata, null, tenant, inputFileId, completionWindow,
                expiresAt, null, null, null, null, null, null, null, null);
    }

    public boolean cancelled() {
        return cancelledAt != null;
    }

    /** True for a batch of a stored file that nobody has ingested yet. */
    public boolean validating() {
        return inputFileId != null && inProgressAt == null && failedAt == null;
    }

    public boolean failed() {
        return failedAt != null;
    }

    public BatchEvent cancel(long at) {
        return cancelled() ? this : new BatchEvent(batchId, endpoint, inputFile, total, createdAt, metadata, at, tenant,
                inputFileId, completionWindow, expiresAt, inProgressAt, failedAt, errors, outputFileId, errorFileId,
                finalizingAt, completedAt, expiredAt);
    }

    /** This batch with its requests published: {@code total} results to expect. */
    public BatchEvent inProgress(long lines, long at) {
        return new BatchEvent(batchId, endpoint, inputFile, lines, createdAt, metadata, cancelledAt, tenant,
                inputFileId, completionWindow, expiresAt, at, failedAt, errors, outputFileId, errorFileId,
                finalizingAt, completedAt, expiredAt);
    }

    /** This batch failed as a whole, before any request of it was published. */
    public BatchEvent fail(ErrorInfo error, long at) {
        return new BatchEvent(batchId, endpoint, inputFile, 0, createdAt, metadata, cancelledAt, tenant,
                inputFileId, completionWindow, expiresAt, inProgressAt, at, List.of(error), outputFileId, errorFileId,
                finalizingAt, completedAt, expiredAt);
    }

    /** Its completion window ran out with requests unanswered; workers answer them {@code batch_expired}. */
    public BatchEvent expire(long at) {
        return expired() ? this : new BatchEvent(batchId, endpoint, inputFile, total, createdAt, metadata, cancelledAt, tenant,
                inputFileId, completionWindow, expiresAt, inProgressAt, failedAt, errors, outputFileId, errorFileId,
                finalizingAt, completedAt, at);
    }

    /**
     * Its output and error files are stored (either may be null: no line of that kind). A
     * cancelled or expired batch gets no {@code completedAt}: it ended as such.
     */
    public BatchEvent finalized(String outputFile, String errorFile, long startedAt, long doneAt) {
        boolean completes = !cancelled() && !expired();
        return new BatchEvent(batchId, endpoint, inputFile, total, createdAt, metadata, cancelledAt, tenant,
                inputFileId, completionWindow, expiresAt, inProgressAt, failedAt, errors, outputFile, errorFile,
                startedAt, completes ? doneAt : null, expiredAt);
    }

    public boolean expired() {
        return expiredAt != null;
    }

    /** True once its output and error files are stored. */
    public boolean finalized() {
        return finalizingAt != null;
    }

    /** Cancelled or expired: workers answer its unanswered requests instead of generating them. */
    public boolean stopped() {
        return cancelled() || expired();
    }

    /**
     * This event, published after {@code earlier}, with what {@code earlier} already recorded and
     * this one lacks. Every change to a batch only sets fields (a batch is never un-cancelled nor
     * un-ingested), so a writer that published from a stale copy, such as a cancel read from a view
     * that had not seen the batch go in progress, or an ingest that did not see the cancel that
     * arrived while it read the file, loses nothing once readers merge.
     */
    public BatchEvent mergedAfter(BatchEvent earlier) {
        if (earlier == null || !batchId.equals(earlier.batchId)) {
            return this;
        }
        boolean staleProgress = inProgressAt == null && earlier.inProgressAt != null;
        return new BatchEvent(batchId, endpoint, inputFile, staleProgress ? earlier.total : total, createdAt, metadata,
                or(cancelledAt, earlier.cancelledAt), tenant, inputFileId, completionWindow, expiresAt,
                or(inProgressAt, earlier.inProgressAt), or(failedAt, earlier.failedAt), or(errors, earlier.errors),
                or(outputFileId, earlier.outputFileId), or(errorFileId, earlier.errorFileId),
                or(finalizingAt, earlier.finalizingAt), or(completedAt, earlier.completedAt), or(expiredAt, earlier.expiredAt));
    }

    private static <T> T or(T value, T earlier) {
        return value != null ? value : earlier;
    }
}
