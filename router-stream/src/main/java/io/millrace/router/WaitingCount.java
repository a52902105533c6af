package io.millrace.router;

import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * How many requests wait in one of the task's parked stores, exact, published as the gauge
 * {@code parked-requests} ({@link RouterMetrics#waiting}). Counted once when the task starts (Kafka
 * Streams initializes processors after restoring their stores, so a restart sees what still waits),
 * then kept with each park and release. RocksDB's own count is an estimate, hence not used.
 */
final class WaitingCount {
    private final RouterMetrics metrics;
    private final String reason;
    private long requests;

    WaitingCount(KeyValueStore<String, ?> store, RouterMetrics metrics, String reason) {
        this.metrics = metrics;
        this.reason = reason;
        try (KeyValueIterator<String, ?> it = store.all()) {
            while (it.hasNext()) {
                it.next();
                requests++;
            }
        }
        metrics.waiting(reason, requests);
    }

    void parked() {
        metrics.waiting(reason, ++requests);
    }

    void released(int n) {
        requests -= n;
        metrics.waiting(reason, requests);
    }

    long now() {
        return requests;
    }
}
