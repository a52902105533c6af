package io.millrace.router;

import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * The request ids answered within the retention, in a persistent window store keyed by request id
 * (value: the record timestamp of the first sighting). Windows by record timestamp rather than
 * a key-value store with a TTL job: the store drops whole expired segments by itself, and its
 * changelog commits in the same transaction as the outputs, so after a crash the store never
 * remembers an id whose output was lost, nor forgets one whose output was written.
 *
 * <p>Duplicates must reach the same task: requests are keyed by request id (see
 * {@link io.millrace.protocol.Topics}), so every copy of one lands on the same partition.
 */
final class DedupWindow {
    private final WindowStore<String, Long> store;
    private final long retentionMs;

    DedupWindow(WindowStore<String, Long> store, Duration retention) {
        this.store = store;
        this.retentionMs = retention.toMillis();
    }

    /**
     * The store, named so its changelog topic keeps its name across topology changes. Window size
     * equals retention: the window only needs to hold one timestamp, and size may not exceed
     * retention. Logging (the changelog) stays on: it is what makes the store part of the transaction.
     */
    static StoreBuilder<WindowStore<String, Long>> storeBuilder(String name, Duration retention) {
        return Stores.windowStoreBuilder(
                Stores.persistentWindowStore(name, retention, retention, false), Serdes.String(), Serdes.Long());
    }

    /**
     * Records {@code requestId} and returns true unless it was already seen within the retention
     * either side of {@code timestamp}: a re-sent request may carry an older timestamp than the
     * copy that arrived first. A copy older than the store's retention behind stream time is not
     * found (its segment is gone) and counts as new: such a copy is past the dedup window anyway.
     */
    boolean firstSighting(String requestId, long timestamp) {
        long from = Math.max(0, timestamp - retentionMs + 1);
        long to = timestamp > Long.MAX_VALUE - retentionMs ? Long.MAX_VALUE : timestamp + retentionMs - 1;
        try (WindowStoreIterator<Long> seen = store.fetch(requestId, from, to)) {
            if (seen.hasNext()) {
                return false;
            }
        }
        store.put(requestId, timestamp, timestamp);
        return true;
    }
}
