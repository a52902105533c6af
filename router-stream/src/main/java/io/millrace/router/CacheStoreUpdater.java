package io.millrace.router;

import io.millrace.protocol.Stores;
import io.millrace.protocol.events.CacheEntry;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global {@link ResponseCache} store in step with {@code millrace.response-cache}: an entry
 * is put, a tombstone or an entry already expired removes its key, and a record that is not a cache
 * entry is skipped with a warning (any client could write to the topic; it must not stop the router).
 */
final class CacheStoreUpdater implements Processor<String, byte[], Void, Void> {
    private static final Logger LOG = LoggerFactory.getLogger(CacheStoreUpdater.class);

    private ProcessorContext<Void, Void> context;
    private KeyValueStore<String, byte[]> store;

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.context = context;
        this.store = context.getStateStore(Stores.ROUTER_RESPONSE_CACHE);
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
        CacheEntry entry = ResponseCache.decode(record.value());
        if (entry == null) {
            LOG.warn("skipping a record of the response cache under key {}: not a cache entry", record.key());
            return;
        }
        if (!entry.liveAt(context.currentSystemTimeMs())) {
            store.delete(record.key());
            return;
        }
        store.put(record.key(), record.value());
    }
}
