package io.millrace.results;

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
 * <p>Millrace validates lines at ingest and publishes results as they come, so a batch is
 * {@code in_progress} from creation until every line has a result, then {@code completed};
 * finalizing takes no time. A cancelled batch is {@code cancelling} until every line has a result
 * (workers answer the rest with {@code batch_cancelled}), then {@code cancelled}: finished work is
 * still returned, as OpenAI does. Fields of features Millrace does not have (files, expiry) are null.
 */
public final class BatchView {
    public static final String COMPLETION_WINDOW = "24h";
    /** The metadata key that carries the input file name (there is no file id to give). */
    public static final String INPUT_FILE_KEY = "input_file";

    private static final long WINDOW_SECONDS = Duration.ofHours(24).toSeconds();

    private BatchView() {}

    public static ObjectNode of(BatchEvent batch, BatchCounts counts) {
        boolean done = counts.answered() >= batch.total();
        long createdAt = seconds(batch.createdAt());
        // An empty batch has no result to date its completion: it completed when it was created.
        Long completedAt = !done ? null : counts.lastCompletedAt() == null ? createdAt : seconds(counts.lastCompletedAt());

        ObjectNode o = Json.object();
        o.put("id", batch.batchId());
        o.put("object", "batch");
        o.put("endpoint", batch.endpoint());
        o.putNull("errors");
        o.putNull("input_file_id");
        o.put("completion_window", COMPLETION_WINDOW);
        o.put("status", status(batch.cancelled(), done));
        o.putNull("output_file_id");
        o.putNull("error_file_id");
        o.put("created_at", createdAt);
        o.put("in_progress_at", createdAt);
        o.put("expires_at", createdAt + WINDOW_SECONDS);
        o.put("finalizing_at", batch.cancelled() ? null : completedAt);
        o.put("completed_at", batch.cancelled() ? null : completedAt);
        o.putNull("failed_at");
        o.putNull("expired_at");
        o.put("cancelling_at", batch.cancelled() ? seconds(batch.cancelledAt()) : null);
        o.put("cancelled_at", batch.cancelled() ? completedAt : null);
        ObjectNode requestCounts = o.putObject("request_counts");
        requestCounts.put("total", batch.total());
        requestCounts.put("completed", counts.completed());
        requestCounts.put("failed", counts.failed());
        o.set("metadata", Json.MAPPER.valueToTree(metadata(batch)));
        return o;
    }

    private static String status(boolean cancelled, boolean done) {
        if (cancelled) {
            return done ? "cancelled" : "cancelling";
        }
        return done ? "completed" : "in_progress";
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
