package io.millrace.results;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.BatchEvent;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds the OpenAI batch object ({@code GET /v1/batches/{id}}) from a batch and its counts.
 * Pure: no clock, so the same inputs always give the same object.
 *
 * <p>Millrace validates lines at ingest and publishes results as they come. A batch created over
 * HTTP is {@code validating} until the ingest role has published its lines (then it knows its
 * total), or {@code failed} when its file could not be read; a batch of the batch command is in
 * progress from creation. A batch of the command is {@code completed} once every line has a result
 * (the command writes its own files). A cancelled batch is {@code cancelling} until every line has a result
 * (workers answer the rest with {@code batch_cancelled}), then {@code cancelled}: finished work is
 * still returned, as OpenAI does. A batch of a stored file is {@code finalizing} between its last
 * result and the storing of its output and error files ({@link BatchFinalizer}), and only then
 * {@code completed} (or {@code cancelled}, or {@code expired} when its window ran out first:
 * workers answered the rest {@code batch_expired}).
 */
public final class BatchView {
    public static final String COMPLETION_WINDOW = "24h";
    /** The metadata key that carries the input file name of the batch command (there is no file id to give). */
    public static final String INPUT_FILE_KEY = "input_file";

    private static final long WINDOW_SECONDS = Duration.ofHours(24).toSeconds();

    private BatchView() {}

    public static ObjectNode of(BatchEvent batch, BatchCounts counts) {
        long createdAt = seconds(batch.createdAt());
        boolean validating = batch.validating();
        boolean failed = batch.failed();
        boolean done = !validating && !failed && counts.answered() >= batch.total();
        // A batch of a stored file ends once its output and error files are stored; one of the
        // batch command (which writes its own files) as soon as every line has its result.
        boolean fileBatch = batch.inputFileId() != null;
        boolean ended = fileBatch ? batch.finalized() : done;
        // An empty batch has no result to date its completion: it completed when it went in progress.
        Long inProgressAt = validating || failed ? null : batch.inProgressAt() == null ? createdAt : seconds(batch.inProgressAt());
        Long doneAt = !done ? null : counts.lastCompletedAt() == null ? inProgressAt
                : Math.max(inProgressAt, seconds(counts.lastCompletedAt()));
        // A batch command's end (published for its webhook event) does not move the times its results give.
        Long finalizingAt = fileBatch && batch.finalized() ? Long.valueOf(seconds(batch.finalizingAt()))
                : done ? doneAt : batch.expired() ? Long.valueOf(seconds(batch.expiredAt())) : null;
        Long completedAt = !fileBatch ? doneAt : batch.completedAt() == null ? null : seconds(batch.completedAt());

        ObjectNode o = Json.object();
        o.put("id", batch.batchId());
        o.put("object", "batch");
        o.put("endpoint", batch.endpoint());
        if (batch.errors() == null || batch.errors().isEmpty()) {
            o.putNull("errors");
        } else {
            ObjectNode errors = o.putObject("errors");
            errors.put("object", "list");
            ArrayNode data = errors.putArray("data");
            batch.errors().forEach(e -> {
                ObjectNode d = data.addObject();
                d.put("code", e.code());
                d.put("message", e.message());
                d.put("param", e.param());
                d.put("line", e.line());
            });
        }
        o.put("input_file_id", batch.inputFileId());
        o.put("completion_window", batch.completionWindow() == null ? COMPLETION_WINDOW : batch.completionWindow());
        o.put("status", status(batch, done, ended));
        o.put("output_file_id", batch.outputFileId());
        o.put("error_file_id", batch.errorFileId());
        o.put("created_at", createdAt);
        o.put("in_progress_at", inProgressAt);
        o.put("expires_at", batch.expiresAt() == null ? createdAt + WINDOW_SECONDS : seconds(batch.expiresAt()));
        o.put("finalizing_at", batch.cancelled() ? null : finalizingAt);
        o.put("completed_at", batch.cancelled() || batch.expired() ? null : completedAt);
        o.put("failed_at", failed ? seconds(batch.failedAt()) : null);
        o.put("expired_at", batch.expired() && !batch.cancelled() ? seconds(batch.expiredAt()) : null);
        o.put("cancelling_at", batch.cancelled() ? seconds(batch.cancelledAt()) : null);
        o.put("cancelled_at", batch.cancelled() && (ended || validating) ? (done ? doneAt : seconds(batch.cancelledAt())) : null);
        ObjectNode requestCounts = o.putObject("request_counts");
        requestCounts.put("total", batch.total());
        requestCounts.put("completed", counts.completed());
        requestCounts.put("failed", counts.failed());
        o.set("metadata", Json.MAPPER.valueToTree(metadata(batch)));
        return o;
    }

    private static String status(BatchEvent batch, boolean done, boolean ended) {
        if (batch.failed()) {
            return "failed";
        }
        if (batch.validating()) {
            // Ingest skips a batch cancelled before it ran: nothing of it will ever be answered.
            return batch.cancelled() ? "cancelled" : "validating";
        }
        if (batch.cancelled()) {
            return ended ? "cancelled" : "cancelling";
        }
        if (batch.expired()) {
            // Workers answer what is left batch_expired, then the files are written.
            return ended ? "expired" : "finalizing";
        }
        if (ended) {
            return "completed";
        }
        return done ? "finalizing" : "in_progress";
    }

    /** The caller's metadata plus the input file name; a caller's own {@code input_file} wins. */
    private static Map<String, String> metadata(BatchEvent batch) {
        if (batch.inputFile() == null) {
            return batch.metadata();
        }
        Map<String, String> m = new TreeMap<>();
        m.put(INPUT_FILE_KEY, batch.inputFile());
        if (batch.metadata() != null) {
            m.putAll(batch.metadata());
        }
        return m;
    }

    private static long seconds(long epochMillis) {
        return Math.floorDiv(epochMillis, 1000L);
    }
}
