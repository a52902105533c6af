package io.millrace.results;

import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Finds a key-value store by name. Lets {@link StreamsResultsView} read the stores of a running
 * {@link KafkaStreams} and, in tests, those of a TopologyTestDriver with the same code.
 */
@FunctionalInterface
interface StoreLookup {
    /** @throws org.apache.kafka.streams.errors.InvalidStateStoreException when not queryable now */
    <V> ReadOnlyKeyValueStore<String, V> keyValueStore(String name);

    static StoreLookup interactiveQueries(KafkaStreams streams) {
        return new StoreLookup() {
            @Override
            public <V> ReadOnlyKeyValueStore<String, V> keyValueStore(String name) {
                // Active replicas only (no stale stores): a restoring store would answer 404 for
                // results that exist, which a client cannot tell from "not there yet".
                return streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, V>keyValueStore()));
            }
        };
    }
}
