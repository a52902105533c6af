package io.millrace.router;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndFailExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router stage: reads {@code millrace.requests}, drops request ids already seen within the
 * dedup retention, answers invalid requests with an error result on {@code millrace.results},
 * sends valid ones to their model's {@code millrace.gen.<model>} topic and records without any id
 * to {@code millrace.requests-dlt}.
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
 * stream threads are replaced or the client shut down as {@link StreamThreadFailurePolicy} says.
 * The caller owns the process: watch {@link #state()} and restart on {@code ERROR}.
 */
public final class RouterService implements AutoCloseable {
    public static final String APPLICATION_ID = "millrace-router";
    /** Bounded so a shutdown hook cannot hang on an unreachable broker. */
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(RouterService.class);

    private final KafkaStreams streams;
    private final StreamThreadFailurePolicy failures = new StreamThreadFailurePolicy();
    private final String bootstrapServers;
    private final Object stateChange = new Object();

    public RouterService(String bootstrapServers, Path stateDir, RouterConfig config, Map<String, Object> overrides) {
        if (config == null) {
            throw new IllegalArgumentException("config is null: pass a RouterConfig with the served models");
        }
        this.bootstrapServers = bootstrapServers;
        this.streams = new KafkaStreams(RouterTopology.build(config), streamsConfig(bootstrapServers, stateDir, overrides));
        streams.setUncaughtExceptionHandler(failures);
        streams.setStateListener((now, before) -> {
            LOG.info("router state {} -> {}", before, now);
            synchronized (stateChange) {
                stateChange.notifyAll();
            }
        });
    }

    /**
     * The Streams settings of the router; {@code overrides} win over every default here.
     *
     * @param overrides any StreamsConfig or client setting, e.g. {@code num.stream.threads}
     */
    public static Properties streamsConfig(String bootstrapServers, Path stateDir, Map<String, Object> overrides) {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("bootstrapServers is blank: pass host:port of at least one broker");
        }
        if (stateDir == null) {
            throw new IllegalArgumentException("stateDir is null: pass a directory that persists across restarts"
                    + " (the dedup store lives there)");
        }
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, APPLICATION_ID);
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
        // Also makes the consumers read_committed and the producers transactional.
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        // -1: the broker's default.replication.factor, so one-broker dev setups and 3-broker
        // production create the changelog without a per-environment setting.
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1);
        // Each commit ends a transaction: routed requests become visible to read_committed
        // workers only then, so the interval is the latency the router adds.
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        // Fail rather than skip: a skipped record would commit its offset without an answer.
        // (The source reads bytes, so deserialization can only fail on a key, which never happens
        // with the String key deserializer; the handler is the safe default all the same.)
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndFailExceptionHandler.class);
        props.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndFailProductionExceptionHandler.class);
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndFailProcessingExceptionHandler.class);
        // The router has no global stores; opting in now is what Kafka 5.0 will do by default.
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        if (overrides != null) {
            overrides.forEach((k, v) -> {
                if (k == null || v == null) {
                    throw new IllegalArgumentException("override " + k + "=" + v + " has a null: remove it to keep"
                            + " the router's default");
                }
                props.put(k, v);
            });
            Object guarantee = props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG);
            if (!StreamsConfig.EXACTLY_ONCE_V2.equals(guarantee)) {
                LOG.warn("processing.guarantee overridden to {}: the router no longer routes exactly once;"
                        + " duplicates can reach the generation topics after a crash", guarantee);
            }
        }
        return props;
    }

    /** Starts processing in the background and returns at once; see {@link #awaitRunning}. */
    public void start() {
        streams.start();
    }

    /**
     * Waits until the router is RUNNING (it has its partitions and its restored store).
     *
     * @throws IllegalStateException on timeout, or when the router stopped or failed first, with
     *         what to check; when interrupted, with the thread's interrupt flag set again
     */
    public void awaitRunning(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (stateChange) {
            while (true) {
                KafkaStreams.State state = streams.state();
                switch (state) {
                    case RUNNING:
                        return;
                    case CREATED:
                        throw new IllegalStateException("router was not started: call start() before awaitRunning()");
                    case PENDING_ERROR:
                    case ERROR:
                        throw new IllegalStateException("router failed before it was RUNNING (state " + state + "): "
                                + describe(failures.lastFailure()) + "; see the log for the stream thread's stack trace",
                                failures.lastFailure());
                    case PENDING_SHUTDOWN:
                    case NOT_RUNNING:
                        throw new IllegalStateException("router was closed before it was RUNNING (state " + state + ")");
                    default:
                        break;
                }
                long leftMs = (deadline - System.nanoTime()) / 1_000_000;
                if (leftMs <= 0) {
                    throw new IllegalStateException("router not RUNNING after " + timeout + " (state " + state
                            + "): check that the brokers at " + bootstrapServers + " are reachable and that the"
                            + " topics of Topics.all(models) exist; last stream-thread failure: "
                            + describe(failures.lastFailure()));
                }
                try {
                    // Bounded wait: state() can change without the listener firing for us (e.g.
                    // during close), so re-read it at least every 100 ms.
                    stateChange.wait(Math.min(leftMs, 100));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the router to be RUNNING", e);
                }
            }
        }
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /**
     * Stops processing within {@link #CLOSE_TIMEOUT}, committing what was processed. Work not
     * committed by then is aborted, and processed again by whichever instance gets its partitions.
     */
    @Override
    public void close() {
        // Leave the group: otherwise the next start (a re-run of a batch) waits out the session
        // timeout of this member before its partitions are assigned again.
        if (!streams.close(CloseOptions.timeout(CLOSE_TIMEOUT)
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP))) {
            LOG.warn("router did not close within {}: its open transaction, if any, will be aborted by the broker",
                    CLOSE_TIMEOUT);
        }
    }

    private static String describe(Throwable t) {
        if (t == null) {
            return "none recorded";
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == t ? t.toString() : t + " caused by " + root;
    }
}
