package io.millrace.results;

import io.millrace.protocol.events.BatchEvent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * One page of {@code GET /v1/batches}, as OpenAI pages it: newest first (by creation time, then
 * id), starting after the batch {@code after}. Batches are never deleted, so a cursor stays valid.
 *
 * @param data    at most {@code limit} batches
 * @param hasMore true when batches follow this page
 */
record BatchPage(List<BatchEvent> data, boolean hasMore) {
    static final int DEFAULT_LIMIT = 20;
    static final int MAX_LIMIT = 100;
    static final Comparator<BatchEvent> NEWEST_FIRST = Comparator.comparingLong(BatchEvent::createdAt)
            .thenComparing(BatchEvent::batchId).reversed();

    /** @throws IllegalArgumentException naming the parameter when {@code limit} is not 1 to 100 */
    static int limit(String limit) {
        if (limit == null || limit.isEmpty()) {
            return DEFAULT_LIMIT;
        }
        try {
            int l = Integer.parseInt(limit.trim());
            if (l >= 1 && l <= MAX_LIMIT) {
                return l;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new IllegalArgumentException("limit");
    }

    /**
     * @param visible the caller's batches, in any order
     * @param after   the id of the last batch of the previous page, or null; one not among
     *                {@code visible} gives an empty page
     */
    static BatchPage of(Collection<BatchEvent> visible, String after, int limit) {
        List<BatchEvent> sorted = new ArrayList<>(visible);
        sorted.sort(NEWEST_FIRST);
        int from = 0;
        if (after != null && !after.isEmpty()) {
            Optional<BatchEvent> cursor = sorted.stream().filter(b -> b.batchId().equals(after)).findFirst();
            from = cursor.map(c -> sorted.indexOf(c) + 1).orElse(sorted.size());
        }
        int to = Math.min(sorted.size(), from + limit);
        return new BatchPage(List.copyOf(sorted.subList(from, to)), to < sorted.size());
    }
}
