package io.millrace.router;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a global store a copy of its compacted topic, value bytes as they are: a tombstone removes
 * its key, a live entry is put, an entry already expired removes its key, and a record that is not an
 * entry is skipped with a warning (any client could write to the topic; it must not stop the router).
 * What an entry is, and when it expires, is the subclass's.
 */
abstract class GlobalStoreMirror implements Processor<String, byte[], Void, Void> {
    private static final Logger LOG = LoggerFactory.getLogger(GlobalStoreMirror.class);

    /** What a record's value is. */
    enum Entry { LIVE, EXPIRED, NOT_AN_ENTRY }

    private final String storeName;
    private final String what;
    private ProcessorContext<Void, Void> context;
    private KeyValueStore<String, byte[]> store;

    /** @param what the topic's entries, for the warning: "a cache entry", say */
    GlobalStoreMirror(String storeName, String what) {
        this.storeName = storeName;
        this.what = what;
    }

    /** Whether {@code value} (not null) is an entry of this topic, and whether it is still live at {@code now}. */
    abstract Entry judge(byte[] value, long now);

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.context = context;
        this.store = context.getStateStore(storeName);
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
        switch (judge(record.value(), context.currentSystemTimeMs())) {
            case LIVE -> store.put(record.key(), record.value());
            case EXPIRED -> store.delete(record.key());
            case NOT_AN_ENTRY -> LOG.warn("skipping a record for the store {} under key {}: not {}", storeName, record.key(), what);
        }
    }
}
