package io.millrace.router;

import io.millrace.protocol.Stores;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.QuotaUsage;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global store {@link Stores#ROUTER_QUOTA_USAGE} in step with {@code millrace.quota-usage}.
 * A record that is not a usage entry is skipped with a warning: any client could write to the topic,
 * and it must not stop the router.
 */
final class QuotaUsageUpdater implements Processor<String, byte[], Void, Void> {
    private static final Logger LOG = LoggerFactory.getLogger(QuotaUsageUpdater.class);

    private KeyValueStore<String, byte[]> store;

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.store = context.getStateStore(Stores.ROUTER_QUOTA_USAGE);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            store.delete(record.key());
            return;
        }
        if (decode(record.value()) == null) {
            LOG.warn("skipping a record of {} under key {}: not a quota usage entry", Topics.QUOTA_USAGE.name(), record.key());
            return;
        }
        store.put(record.key(), record.value());
    }

    static QuotaUsage decode(byte[] value) {
        if (value == null) {
            return null;
        }
        try {
            QuotaUsage u = Topics.QUOTA_USAGE_SERDE.deserializer().deserialize(Topics.QUOTA_USAGE.name(), value);
            return u == null || u.tenant() == null ? null : u;
        } catch (SerializationException e) {
            return null;
        }
    }
}
