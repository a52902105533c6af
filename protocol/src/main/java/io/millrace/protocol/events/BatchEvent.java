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
        List<ErrorInfo> errors) {

    /** A batch of no tenant (the batch command's). */
    public BatchEvent(String batchId, String endpoint, String inputFile, long total, long createdAt,
            Map<String, String> metadata, Long cancelledAt) {
        this(batchId, endpoint, inputFile, total, createdAt, metadata, cancelledAt, null);
    }

    /** A batch read from a local file, in progress from its creation. */
    public BatchEvent(String batchId, String endpoint, String inputFile, long total, long createdAt,
            Map<String, String> metadata, Long cancelledAt, String tenant) {
        this(batchId, endpoint, inputFile, total, createdAt, metadata, cancelledAt, tenant, null, null, null, null, null, null);
    }

    public BatchEvent {
        errors = errors == null ? null : List.copyOf(errors);
    }

    /** A batch of a stored file, as {@code POST /v1/batches} creates it: validating until ingested. */
    public static BatchEvent ofFile(String batchId, String endpoint, String inputFileId, String completionWindow,
            long createdAt, long expiresAt, Map<String, String> metadata, String tenant) {
        return new BatchEvent(batchId, endpoint, null, 0, createdAt, metadata, null, tenant, inputFileId, completionWindow,
                expiresAt, null, null, null);
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
                inputFileId, completionWindow, expiresAt, inProgressAt, failedAt, errors);
    }

    /** This batch with its requests published: {@code total} results to expect. */
    public BatchEvent inProgress(long lines, long at) {
        return new BatchEvent(batchId, endpoint, inputFile, lines, createdAt, metadata, cancelledAt, tenant,
                inputFileId, completionWindow, expiresAt, at, failedAt, errors);
    }

    /** This batch failed as a whole, before any request of it was published. */
    public BatchEvent fail(ErrorInfo error, long at) {
        return new BatchEvent(batchId, endpoint, inputFile, 0, createdAt, metadata, cancelledAt, tenant,
                inputFileId, completionWindow, expiresAt, inProgressAt, at, List.of(error));
    }
}
