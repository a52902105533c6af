package io.millrace.router;

import io.millrace.protocol.JsonSerde;
import io.millrace.protocol.Stores;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.QuotaUsage;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * The tokens charged to each tenant in the current quota window, across router tasks. A tenant's
 * requests are spread over every partition of {@code millrace.requests} (they are keyed by request
 * id), so no one task sees them all: each task keeps its own charges in its store
 * {@link Stores#ROUTER_QUOTA_CHARGES} (exact, changed in its transaction) and publishes them to
 * {@code millrace.quota-usage}, which every instance reads into the global store
 * {@link Stores#ROUTER_QUOTA_USAGE}. A tenant's usage is this task's charges plus the other tasks'
 * as last read: the others' lag by the global thread's poll (milliseconds), by which a tenant can
 * pass its quota a little when its requests arrive on several partitions at once.
 */
final class QuotaLedger {
    static final JsonSerde<Pending> PENDING_SERDE = new JsonSerde<>(Pending.class);

    /** What a routed request was charged, until its result replaces the estimate with the real usage. */
    record Pending(String tenant, long windowStart, long estimate) {}

    private final KeyValueStore<String, QuotaUsage> charges;
    private final KeyValueStore<String, byte[]> everyTask;
    private final int partition;

    QuotaLedger(ProcessorContext<?, ?> context) {
        this.charges = context.getStateStore(Stores.ROUTER_QUOTA_CHARGES);
        this.everyTask = context.getStateStore(Stores.ROUTER_QUOTA_USAGE);
        this.partition = context.taskId().partition();
    }

    static StoreBuilder<KeyValueStore<String, QuotaUsage>> chargesStore() {
        return org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
                org.apache.kafka.streams.state.Stores.persistentKeyValueStore(Stores.ROUTER_QUOTA_CHARGES),
                Serdes.String(), Topics.QUOTA_USAGE_SERDE);
    }

    static StoreBuilder<KeyValueStore<String, Pending>> pendingStore() {
        return org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
                org.apache.kafka.streams.state.Stores.persistentKeyValueStore(Stores.ROUTER_QUOTA_PENDING),
                Serdes.String(), PENDING_SERDE);
    }

    /** The global store over {@code millrace.quota-usage}: a few entries per tenant, in memory, rebuilt from the topic at start. */
    static StoreBuilder<KeyValueStore<String, byte[]>> usageStore() {
        return org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
                org.apache.kafka.streams.state.Stores.inMemoryKeyValueStore(Stores.ROUTER_QUOTA_USAGE),
                Serdes.String(), Serdes.ByteArray()).withLoggingDisabled();
    }

    /** Tokens charged to {@code tenant} in the window starting at {@code window}, by every task. */
    long used(String tenant, long window) {
        QuotaUsage mine = charges.get(tenant);
        long used = mine == null ? 0 : mine.usedIn(window);
        for (int p = 0; p < Topics.REQUEST_PARTITIONS; p++) {
            if (p == partition) {
                continue; // this task's own entry may lag its store: the store is exact
            }
            QuotaUsage other = QuotaUsageUpdater.decode(everyTask.get(QuotaUsage.key(p, tenant)));
            used += other == null ? 0 : other.usedIn(window);
        }
        return used;
    }

    /**
     * Charges {@code tokens} (negative: refunds) to {@code tenant} in {@code window} and returns the
     * record to publish to {@code millrace.quota-usage}. A charge to a window older than the one held
     * changes nothing (the day it counted for is over) and returns null.
     */
    Record<String, QuotaUsage> charge(String tenant, long window, long tokens, long timestamp) {
        QuotaUsage mine = charges.get(tenant);
        if (mine != null && mine.windowStart() > window) {
            return null;
        }
        long before = mine == null ? 0 : mine.usedIn(window);
        QuotaUsage now = new QuotaUsage(tenant, partition, window, Math.max(0, before + tokens));
        charges.put(tenant, now);
        return new Record<>(QuotaUsage.key(partition, tenant), now, timestamp)
                .withHeaders(OutputHeaders.of(null, io.millrace.protocol.Headers.QUOTA_USAGE_V1, null));
    }
}
