package io.millrace.router;

import io.millrace.protocol.Stores;
import io.millrace.protocol.Topics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.Topology;

/**
 * The router's topology, a pure factory shared by {@link RouterService} and the tests:
 *
 * <pre>
 *   millrace.requests ──▶ router (dedup store router-dedup) ─┬─▶ millrace.gen.&lt;model&gt;  routed requests
 *     (bytes)                                                 ├─▶ millrace.results       error results
 *                                                             └─▶ millrace.requests-dlt  records with no id
 * </pre>
 *
 * With the response cache on (the default), two more inputs join:
 *
 * <pre>
 *   millrace.results ──▶ cache-filler (store router-cache-pending, shared with router) ──▶ millrace.response-cache
 *   millrace.response-cache ──▶ global store router-response-cache (read by router: hits answered at once)
 * </pre>
 *
 * Health, always on: workers' heartbeats feed a global store that every task reads to pick a model of
 * the request's fallback chain ({@link HealthGate}); requests no model can take wait in router-parked:
 *
 * <pre>
 *   millrace.health ──▶ health-updater (CircuitBreaker) ──▶ global store router-model-health (read by router)
 *   router ──(whole chain down, batch)──▶ store router-parked ──(punctuator, a model is back)──▶ millrace.gen.&lt;model&gt;
 * </pre>
 *
 * <p>{@code millrace.results} is co-partitioned with {@code millrace.requests} (both keyed by request
 * id, same partition count), so the filler sees the result of each request its task routed.
 *
 * <p>With quotas configured ({@link QuotaGate}), the router charges, parks and releases requests in
 * stores of its own, and the results correct the charges:
 *
 * <pre>
 *   millrace.results ──▶ quota-settler (stores router-quota-pending, router-quota-charges, shared with router)
 *   router, quota-settler ──▶ millrace.quota-usage ──▶ global store router-quota-usage (every task's charges)
 *   router (store router-quota-parked; a wall-clock punctuator releases) ──▶ millrace.gen.&lt;model&gt;
 * </pre>
 *
 * <p>Every node has a fixed name, and each store its protocol name, so the changelog topics
 * ({@code millrace-router-router-dedup-changelog}, {@code ...-router-cache-pending-changelog})
 * survive changes to the topology.
 */
public final class RouterTopology {
    static final String SOURCE = "requests-source";
    static final String ROUTER = "router";
    static final String GENERATION_SINK = "generation-sink";
    static final String RESULTS_SINK = "results-sink";
    static final String DLT_SINK = "requests-dlt-sink";
    static final String RESULTS_SOURCE = "results-source";
    static final String CACHE_FILLER = "cache-filler";
    static final String CACHE_SINK = "response-cache-sink";
    static final String CACHE_SOURCE = "response-cache-source";
    static final String CACHE_UPDATER = "response-cache-updater";
    static final String HEALTH_SOURCE = "health-source";
    static final String HEALTH_UPDATER = "health-updater";
    static final String QUOTA_SETTLER = "quota-settler";
    static final String QUOTA_SINK = "quota-usage-sink";
    static final String QUOTA_SOURCE = "quota-usage-source";
    static final String QUOTA_UPDATER = "quota-usage-updater";

    private RouterTopology() {}

    public static Topology build(RouterConfig config) {
        if (config == null) {
            throw new IllegalArgumentException("config is null: pass a RouterConfig with the served models");
        }
        GenerationTopics generation = new GenerationTopics(config.catalog());
        Topology topology = new Topology();
        // Values are read as bytes so that an undecodable value is answered by the router instead
        // of failing deserialization; RequestTimestamps does the same for invalid timestamps.
        // Earliest: requests produced before the router's first start must still be answered.
        // Keys too: read as text, a key that is not UTF-8 would become U+FFFD and could collide with
        // another; RouterProcessor decodes it strictly and dead-letters one that is not.
        topology.addSource(AutoOffsetReset.earliest(), SOURCE, new RequestTimestamps(), Serdes.ByteArray().deserializer(),
                Serdes.ByteArray().deserializer(), Topics.REQUESTS.name());
        topology.addProcessor(ROUTER, RouterProcessor.supplier(config), SOURCE);
        topology.addSink(GENERATION_SINK, generation, generation.keySerializer(), generation.valueSerializer(), ROUTER);
        topology.addSink(RESULTS_SINK, Topics.RESULTS.name(), Topics.RESULTS.keySerde().serializer(),
                Topics.RESULTS.valueSerde().serializer(), ROUTER);
        topology.addSink(DLT_SINK, Topics.REQUESTS_DLT.name(), Topics.REQUESTS_DLT.keySerde().serializer(),
                Topics.REQUESTS_DLT.valueSerde().serializer(), ROUTER);
        boolean quotas = !config.quotas().isEmpty();
        if (config.cache().enabled() || quotas) {
            // Results are read as bytes, like requests: any record the filler cannot use is skipped, never fatal.
            // Latest at the first start: only results of requests this router routes fill the cache or settle charges.
            topology.addSource(AutoOffsetReset.latest(), RESULTS_SOURCE, new RequestTimestamps(), Serdes.ByteArray().deserializer(),
                    Serdes.ByteArray().deserializer(), Topics.RESULTS.name());
        }
        if (config.cache().enabled()) {
            addCache(topology, config.cache());
        }
        // A global store: requests are partitioned by request id, so every task needs every model's
        // circuit; and every instance reading the whole topic is what makes them all agree.
        CircuitBreaker breaker = new CircuitBreaker(config.health());
        topology.addGlobalStore(HealthStoreUpdater.storeBuilder(), HEALTH_SOURCE, new RequestTimestamps(),
                Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), Topics.HEALTH.name(), HEALTH_UPDATER,
                () -> new HealthStoreUpdater(breaker));
        if (quotas) {
            addQuotas(topology, new QuotaPolicy(config.quotas(), config.catalog(), config.quotaWindow()));
        }
        return topology;
    }

    private static void addQuotas(Topology topology, QuotaPolicy policy) {
        topology.addProcessor(QUOTA_SETTLER, () -> new QuotaSettler(policy), RESULTS_SOURCE);
        topology.addStateStore(QuotaLedger.chargesStore(), ROUTER, QUOTA_SETTLER);
        topology.addStateStore(QuotaLedger.pendingStore(), ROUTER, QUOTA_SETTLER);
        topology.addStateStore(QuotaGate.parkedStore(), ROUTER);
        topology.addSink(QUOTA_SINK, Topics.QUOTA_USAGE.name(), Topics.QUOTA_USAGE.keySerde().serializer(),
                Topics.QUOTA_USAGE.valueSerde().serializer(), ROUTER, QUOTA_SETTLER);
        topology.addGlobalStore(QuotaLedger.usageStore(), QUOTA_SOURCE, new RequestTimestamps(), Serdes.String().deserializer(),
                Serdes.ByteArray().deserializer(), Topics.QUOTA_USAGE.name(), QUOTA_UPDATER, QuotaUsageUpdater::new);
    }

    private static void addCache(Topology topology, CacheSettings cache) {
        topology.addProcessor(CACHE_FILLER, () -> new CacheFiller(cache.ttl()), RESULTS_SOURCE);
        topology.addStateStore(org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
                org.apache.kafka.streams.state.Stores.persistentKeyValueStore(Stores.ROUTER_CACHE_PENDING),
                Serdes.String(), Serdes.String()), ROUTER, CACHE_FILLER);
        topology.addSink(CACHE_SINK, Topics.RESPONSE_CACHE.name(), Topics.RESPONSE_CACHE.keySerde().serializer(),
                Topics.RESPONSE_CACHE.valueSerde().serializer(), CACHE_FILLER);
        topology.addGlobalStore(ResponseCache.storeBuilder(cache.maxEntries()), CACHE_SOURCE, new RequestTimestamps(),
                Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), Topics.RESPONSE_CACHE.name(), CACHE_UPDATER,
                CacheStoreUpdater::new);
    }
}
