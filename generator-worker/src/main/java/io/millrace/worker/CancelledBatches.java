package io.millrace.worker;

import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.events.BatchEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The batch ids that are stopped now, cancelled or expired, as {@code millrace.batches} says, with
 * the error code their unanswered requests get ({@code batch_cancelled}, {@code batch_expired}).
 * A stop is kept when a later event lacks it: batch events only ever set fields, and a later one
 * without {@code cancelled_at} was published from a stale copy (an ingest that had not seen the
 * cancel), never to resume the batch. Only a tombstone forgets a batch. Thread-safe: the
 * {@link BatchCancellationReader} writes, the worker's poll thread reads.
 */
final class CancelledBatches {
    private final Map<String, String> stopped = new ConcurrentHashMap<>();
    private final Queue<String> newlyCancelled = new ConcurrentLinkedQueue<>();

    /** Applies the next event of a batch; null is a tombstone. */
    void apply(String batchId, BatchEvent event) {
        if (batchId == null) {
            return;
        }
        if (event == null) {
            stopped.remove(batchId);
        } else if (event.stopped() && !stopped.containsKey(batchId)) {
            // A cancel wins over an expiry published from the same stale state: the user asked first.
            stopped.put(batchId, event.cancelled() ? ErrorCodes.BATCH_CANCELLED : ErrorCodes.BATCH_EXPIRED);
            newlyCancelled.add(batchId);
        }
    }

    boolean contains(String batchId) {
        return batchId != null && stopped.containsKey(batchId);
    }

    /** The error code of the requests of a stopped batch, {@code batch_cancelled} for one that is not. */
    String reason(String batchId) {
        return batchId == null ? ErrorCodes.BATCH_CANCELLED : stopped.getOrDefault(batchId, ErrorCodes.BATCH_CANCELLED);
    }

    /**
     * The batches cancelled since the last call that are still cancelled, each once: the worker
     * cancels their requests in flight.
     */
    List<String> takeNewlyCancelled() {
        List<String> ids = new ArrayList<>();
        for (String id = newlyCancelled.poll(); id != null; id = newlyCancelled.poll()) {
            if (stopped.containsKey(id)) {
                ids.add(id);
            }
        }
        return ids;
    }
}
