package io.millrace.router;

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
 * Every node has a fixed name, and the store its protocol name, so the changelog topic
 * ({@code millrace-router-router-dedup-changelog}) survives changes to the topology.
 */
public final class RouterTopology {
    static final String SOURCE = "requests-source";
    static final String ROUTER = "router";
    static final String GENERATION_SINK = "generation-sink";
    static final String RESULTS_SINK = "results-sink";
    static final String DLT_SINK = "requests-dlt-sink";

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
        return topology;
    }
}
