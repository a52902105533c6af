package io.millrace.protocol.events;

import java.util.Map;

/**
 * A submitted batch on {@code millrace.batches}, keyed by batch id: how many results to expect.
 *
 * @param total     lines in the input file, valid or not: each gets exactly one result
 * @param inputFile name of the input file, for display
 * @param createdAt   epoch milliseconds
 * @param metadata    caller metadata (OpenAI: at most 16 pairs)
 * @param cancelledAt epoch milliseconds when cancellation was asked for, or null. A cancel is the
 *                    same event published again with this set: the topic is compacted, so the
 *                    latest event per batch id is the batch's state.
 * @param tenant      who submitted it over the API, or null (the batch command)
 */
public record BatchEvent(
        String batchId,
        String endpoint,
        String inputFile,
        long total,
        long createdAt,
        Map<String, String> metadata,
        Long cancelledAt,
        String tenant) {

    /** A batch of no tenant (the batch command's). */
    public BatchEvent(String batchId, String endpoint, String inputFile, long total, long createdAt,
            Map<String, String> metadata, Long cancelledAt) {
        this(batchId, endpoint, inputFile, total, createdAt, metadata, cancelledAt, null);
    }

    public boolean cancelled() {
        return cancelledAt != null;
    }

    public BatchEvent cancel(long at) {
        return cancelled() ? this : new BatchEvent(batchId, endpoint, inputFile, total, createdAt, metadata, at, tenant);
    }
}
