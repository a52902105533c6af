package io.millrace.router;

import io.millrace.protocol.Topics;
import io.millrace.streams.StreamsSettings;
import io.millrace.streams.StreamsStage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router stage: reads {@code millrace.requests}, drops request ids already seen within the
 * dedup retention, answers invalid requests with an error result on {@code millrace.results},
 * sends valid ones to their model's {@code millrace.gen.<model>} topic and records without any id
 * to {@code millrace.requests-dlt}. It reads workers' heartbeats ({@code millrace.health}) into a
 * global store and sends a request whose model's circuit is open along its fallback chain; a batch
 * request whose whole chain is down waits in a store until a model is back ({@link HealthGate}).
 *
 * <p><b>Guarantee:</b> exactly-once: input offsets, routed outputs, error results and dedup-store
 * changes commit atomically (exactly_once_v2). After a crash or rebalance the uncommitted
 * transaction is aborted and its records are processed again, so, as {@code read_committed}
 * consumers see it, each request id yields exactly one routed request or one error result per
 * dedup retention ({@link RouterConfig#dedupRetention()}): copies re-sent within it yield nothing,
 * crash or no crash. Non-transactional readers may also see aborted writes. What happens
 * downstream (generation) is the workers' guarantee, not this one.
 *
 * <p>Fault tolerance is owned by Kafka Streams: state is restored from its changelog, failed
 * stream threads are replaced or the client shut down as
 * {@link io.millrace.streams.StreamThreadFailurePolicy} says. The caller owns the process: watch
 * {@link #state()} and restart on {@code ERROR}.
 */
public final class RouterService implements AutoCloseable {
    public static final String APPLICATION_ID = "millrace-router";

    private static final Logger LOG = LoggerFactory.getLogger(RouterService.class);
    private static final StreamsSettings SETTINGS = new StreamsSettings(APPLICATION_ID, Map.of(
            // Poison records (undeserializable, or whose processing throws) go to the dead-letter
            // topic with the reason in headers, and the topology goes on: failing would replay the
            // same record forever and stop every request behind it (KIP-1034).
            StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterDeserializationHandler.class,
            StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterProcessingHandler.class,
            StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, Topics.REQUESTS_DLT.name(),
            // Writes still fail rather than skip: a skipped write would commit the input offset
            // without its answer, and the request would get no result.
            StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndFailProductionExceptionHandler.class,
            // The router has no global stores; opting in now is what Kafka 5.0 will do by default.
            StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true,
            // A task reads millrace.requests and millrace.results (to fill the response cache). By
            // default it may hold a request until it knows the results partition is caught up; the
            // order across the two topics does not matter here (a request that overtakes the result
            // that would have answered it from the cache is generated, as two requests in flight
            // together are), so it never waits. (This did not remove the ~100 ms the cache adds to
            // a request: docs/BENCHMARKS.md, API latency.)
            StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, -1L));

    private final StreamsStage stage;

    public RouterService(String bootstrapServers, Path stateDir, RouterConfig config, Map<String, Object> overrides) {
        if (config == null) {
            throw new IllegalArgumentException("config is null: pass a RouterConfig with the served models");
        }
        this.stage = new StreamsStage("router", "the topics of Topics.all(models)", RouterTopology.build(config),
                streamsConfig(bootstrapServers, stateDir, overrides));
    }

    /**
     * The Streams settings of the router; {@code overrides} win over every default here.
     *
     * @param overrides any StreamsConfig or client setting, e.g. {@code num.stream.threads}
     */
    public static Properties streamsConfig(String bootstrapServers, Path stateDir, Map<String, Object> overrides) {
        Properties props = SETTINGS.properties(bootstrapServers, stateDir, overrides);
        // A warning, not a refusal: an operator may trade exactness for throughput knowingly.
        if (!StreamsSettings.exactlyOnce(props)) {
            LOG.warn("processing.guarantee overridden to {}: the router no longer routes exactly once;"
                    + " duplicates can reach the generation topics after a crash",
                    props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        }
        return props;
    }

    /**
     * Starts processing in the background; see {@link #awaitRunning}. Returns once the global stores
     * (model health, and the response cache when on) are read to their end, as Kafka Streams does for
     * every global store; with no broker that fails after {@code task.timeout.ms}.
     */
    public void start() {
        stage.start();
    }

    /**
     * Waits until the router is RUNNING (it has its partitions and its restored store).
     *
     * @throws IllegalStateException on timeout, or when the router stopped or failed first, with
     *         what to check; when interrupted, with the thread's interrupt flag set again
     */
    public void awaitRunning(Duration timeout) {
        stage.awaitRunning(timeout);
    }

    public KafkaStreams.State state() {
        return stage.state();
    }

    /** Entries in this instance's response cache (0 when the cache is off), for tests and operators. */
    public long responseCacheEntries() {
        if (stage.streams().state() != KafkaStreams.State.RUNNING) {
            return 0;
        }
        try {
            return stage.streams().store(org.apache.kafka.streams.StoreQueryParameters.fromNameAndType(
                    io.millrace.protocol.Stores.ROUTER_RESPONSE_CACHE,
                    org.apache.kafka.streams.state.QueryableStoreTypes.<String, byte[]>keyValueStore())).approximateNumEntries();
        } catch (org.apache.kafka.streams.errors.InvalidStateStoreException e) {
            return 0; // no such store: the cache is off, or the instance is rebalancing
        }
    }

    /**
     * Requests waiting in this instance's tasks now (the gauge {@code parked-requests}, summed over
     * tasks), for tests and operators.
     *
     * @param reason {@code "health"} (every model of their chain down) or {@code "quota"} (their
     *               tenant over its quota)
     */
    public long parkedRequests(String reason) {
        return RouterMetrics.waitingIn(stage.streams().metrics(), reason);
    }

    /**
     * Stops processing within {@link StreamsStage#CLOSE_TIMEOUT}, committing what was processed. Work
     * not committed by then is aborted, and processed again by whichever instance gets its partitions.
     */
    @Override
    public void close() {
        stage.close();
    }
}
