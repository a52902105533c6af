package io.millrace.protocol;

import java.util.Map;
import org.apache.kafka.common.serialization.Serde;

/**
 * A topic of the contract with its serdes and the settings it is created with. Stages refer to
 * topics only through {@link Topics}: no module spells a topic name as a string.
 *
 * @param configs topic-level configs (cleanup.policy, retention.ms, ...) checked at start
 */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde, int partitions, Map<String, String> configs) {
    public Topic {
        if (partitions < 1) {
            throw new IllegalArgumentException("topic " + name + " needs at least one partition");
        }
        configs = Map.copyOf(configs);
    }
}
