package io.millrace.results;

import io.millrace.protocol.Stores;
import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.ResultEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;

/**
 * {@link ResultsView} over the stores of {@link ResultsTopology}, by interactive queries.
 *
 * <p>Reads only the stores of this instance: it assumes one instance hosts every partition (there
 * is no lookup of keys hosted by other instances), otherwise a key hosted elsewhere reads as absent.
 */
public final class StreamsResultsView implements ResultsView {
    private final StoreLookup stores;

    public StreamsResultsView(KafkaStreams streams) {
        this(StoreLookup.interactiveQueries(streams));
    }

    StreamsResultsView(StoreLookup stores) {
        this.stores = stores;
    }

    @Override
    public Optional<ResultEvent> result(String requestId) {
        return Optional.ofNullable(this.<ResultEvent>get(Stores.RESULTS_BY_REQUEST, requestId));
    }

    @Override
    public Optional<BatchEvent> batch(String batchId) {
        return Optional.ofNullable(this.<BatchEvent>get(Stores.BATCHES_BY_ID, batchId));
    }

    /** A scan of the whole store: batch events are small, and there is one per batch ever created. */
    @Override
    public List<BatchEvent> batches() {
        List<BatchEvent> all = new ArrayList<>();
        try (KeyValueIterator<String, BatchEvent> it = stores.<BatchEvent>keyValueStore(Stores.BATCHES_BY_ID).all()) {
            while (it.hasNext()) {
                KeyValue<String, BatchEvent> kv = it.next();
                if (kv.value != null) {
                    all.add(kv.value);
                }
            }
        } catch (InvalidStateStoreException e) {
            throw new NotReadyException("store " + Stores.BATCHES_BY_ID + " is not queryable yet: " + e.getMessage(), e);
        }
        return all;
    }

    /**
     * Request ids of a batch continue its id with ':' (custom ids) or '#' (lines without one).
     * String keys are stored as UTF-8, whose byte order is code point order, so every such id
     * lies between {@code <batch_id>#} and {@code <batch_id>;} ('#' &lt; ':' &lt; ';'); ids of other
     * batches that fall in between (a batch id that extends this one with '$' and the like) are
     * filtered out by their batch id.
     */
    @Override
    public java.util.stream.Stream<ResultEvent> batchResults(String batchId, String after) {
        Objects.requireNonNull(batchId, "batchId");
        String from = after == null ? batchId + "#" : after;
        KeyValueIterator<String, ResultEvent> it;
        try {
            it = stores.<ResultEvent>keyValueStore(Stores.RESULTS_BY_REQUEST).range(from, batchId + ";");
        } catch (InvalidStateStoreException e) {
            throw new NotReadyException("store " + Stores.RESULTS_BY_REQUEST + " is not queryable yet: " + e.getMessage(), e);
        }
        java.util.Iterator<ResultEvent> values = new java.util.Iterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public ResultEvent next() {
                return it.next().value;
            }
        };
        return java.util.stream.StreamSupport.stream(
                        java.util.Spliterators.spliteratorUnknownSize(values, java.util.Spliterator.ORDERED), false)
                .onClose(it::close)
                .filter(r -> r != null && batchId.equals(r.batchId()) && !r.requestId().equals(after));
    }

    @Override
    public BatchCounts counts(String batchId) {
        BatchCounts counts = this.<BatchCounts>get(Stores.BATCH_COUNTS, batchId);
        return counts == null ? BatchCounts.NONE : counts;
    }

    private <V> V get(String store, String key) {
        Objects.requireNonNull(key, "key");
        try {
            return stores.<V>keyValueStore(store).get(key);
        } catch (InvalidStateStoreException e) {
            // Thrown before start, while restoring, while rebalancing and when a task migrates
            // mid-read: all transient from a reader's point of view.
            throw new NotReadyException("store " + store + " is not queryable yet: " + e.getMessage(), e);
        }
    }
}
