package io.millrace.worker;

import io.millrace.protocol.events.BatchEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The batch ids that are cancelled now, as {@code millrace.batches} says: the topic is compacted
 * and the latest event per batch id is the batch's state, so a later event without
 * {@code cancelled_at} (or a tombstone) makes the batch live again. Thread-safe: the
 * {@link BatchCancellationReader} writes, the worker's poll thread reads.
 */
final class CancelledBatches {
    private final Set<String> cancelled = ConcurrentHashMap.newKeySet();
    private final Queue<String> newlyCancelled = new ConcurrentLinkedQueue<>();

    /** Applies the latest event of a batch; null is a tombstone. */
    void apply(String batchId, BatchEvent event) {
        if (batchId == null) {
            return;
        }
        if (event != null && event.cancelled()) {
            if (cancelled.add(batchId)) {
                newlyCancelled.add(batchId);
            }
        } else {
            cancelled.remove(batchId);
        }
    }

    boolean contains(String batchId) {
        return batchId != null && cancelled.contains(batchId);
    }

    /**
     * The batches cancelled since the last call that are still cancelled, each once: the worker
     * cancels their requests in flight.
     */
    List<String> takeNewlyCancelled() {
        List<String> ids = new ArrayList<>();
        for (String id = newlyCancelled.poll(); id != null; id = newlyCancelled.poll()) {
            if (cancelled.contains(id)) {
                ids.add(id);
            }
        }
        return ids;
    }
}
