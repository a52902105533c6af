package io.millrace.router;

import io.millrace.protocol.Stores;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.HealthEvent;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folds {@code millrace.health} into the global store {@code router-model-health}: each report is
 * applied to its model's {@link ModelHealth} by the {@link CircuitBreaker}. A record that is not a
 * report is skipped with a warning (any client could write the topic; it must not stop the router).
 *
 * <p>The store is in memory and not logged: the topic is its source, and Kafka Streams rebuilds a
 * global store by running the records through this processor again, so a restarted router holds the
 * same circuits as one that never stopped (the topic keeps an hour, more than any circuit needs).
 */
final class HealthStoreUpdater implements Processor<String, byte[], Void, Void> {
    private static final Logger LOG = LoggerFactory.getLogger(HealthStoreUpdater.class);

    private final CircuitBreaker breaker;
    private KeyValueStore<String, byte[]> store;

    HealthStoreUpdater(CircuitBreaker breaker) {
        this.breaker = breaker;
    }

    static StoreBuilder<KeyValueStore<String, byte[]>> storeBuilder() {
        return org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
                org.apache.kafka.streams.state.Stores.inMemoryKeyValueStore(Stores.ROUTER_MODEL_HEALTH),
                Serdes.String(), Serdes.ByteArray()).withLoggingDisabled();
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.store = context.getStateStore(Stores.ROUTER_MODEL_HEALTH);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        HealthEvent report;
        try {
            report = Topics.HEALTH_SERDE.deserializer().deserialize(Topics.HEALTH.name(), record.value());
        } catch (RuntimeException e) {
            LOG.warn("skipping a record of {} under key {}: not a health report ({})", Topics.HEALTH.name(), record.key(),
                    e.getMessage());
            return;
        }
        if (report == null || report.model() == null || report.workerId() == null || report.at() <= 0) {
            LOG.warn("skipping a record of {} under key {}: a health report needs model, worker_id and at",
                    Topics.HEALTH.name(), record.key());
            return;
        }
        store.put(report.model(), breaker.apply(ModelHealth.fromBytes(store.get(report.model())), report).toBytes());
    }
}
