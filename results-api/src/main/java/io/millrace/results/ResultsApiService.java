package io.millrace.results;

import io.millrace.protocol.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The results stage: materializes {@code millrace.results} and {@code millrace.batches}
 * ({@link ResultsTopology}) and serves them over HTTP ({@link ResultsHttpServer}).
 *
 * <p>Guarantees:
 * <ul>
 *   <li><b>Read-only.</b> Writes nothing to the contract topics, only its own changelog and
 *       repartition topics, so running, stopping or resetting it never changes results.</li>
 *   <li><b>Committed results only.</b> Runs with {@code exactly_once_v2}, so it reads with
 *       {@code read_committed}: a result from an aborted or open transaction is never served.</li>
 *   <li><b>Exact counts.</b> Store updates commit atomically with input offsets, so a crash or a
 *       restart neither loses nor double counts a result, and a result re-published for the same
 *       request id replaces the earlier one in the counts.</li>
 *   <li><b>Eventually consistent across stores.</b> Counts are updated after a repartition, so a
 *       result can be readable shortly (about one commit interval) before its batch counts it.</li>
 *   <li><b>No partial answers.</b> While a store is starting, restoring or rebalancing, reads
 *       fail with {@link NotReadyException} (HTTP 503, Retry-After: 1) instead of a false 404.</li>
 *   <li><b>One instance.</b> Each instance answers from its own stores only; run one per
 *       application id, or a key hosted by another instance reads as not found.</li>
 * </ul>
 *
 * <p>Fault tolerance is owned by Kafka Streams: stores are restored from their changelogs, failed
 * stream threads are replaced or the client shut down as {@link StreamThreadFailurePolicy} says.
 * The caller owns the process: restart it when {@code GET /health} answers 503.
 */
public final class ResultsApiService implements AutoCloseable {
    public static final String APPLICATION_ID = "millrace-results-api";
    private static final Duration HTTP_GRACE = Duration.ofSeconds(1);
    private static final Duration STREAMS_CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger log = LoggerFactory.getLogger(ResultsApiService.class);

    private final KafkaStreams streams;
    private final StreamThreadFailurePolicy failures = new StreamThreadFailurePolicy();
    private final String bootstrapServers;
    private final StreamsResultsView view;
    private final int requestedPort;
    private final Object stateChanged = new Object();
    private ResultsHttpServer http;
    private boolean started;
    private boolean closed;

    /**
     * @param stateDir  where the stores live; keep it across restarts to avoid a full restore
     * @param httpPort  0 for any free port (see {@link #httpPort()})
     * @param overrides Kafka Streams settings that replace the defaults of {@link #streamsConfig}
     */
    public ResultsApiService(String bootstrapServers, Path stateDir, int httpPort, Map<String, Object> overrides) {
        if (httpPort < 0 || httpPort > 65535) {
            throw new IllegalArgumentException("HTTP port " + httpPort + " is out of range: use 0 (any free port) to 65535");
        }
        Properties config = streamsConfig(bootstrapServers, stateDir, overrides);
        Object guarantee = config.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG);
        if (!StreamsConfig.EXACTLY_ONCE_V2.equals(guarantee)) {
            throw new IllegalArgumentException(StreamsConfig.PROCESSING_GUARANTEE_CONFIG + "=" + guarantee
                    + " would serve uncommitted results and could double count them: remove the override");
        }
        this.bootstrapServers = bootstrapServers;
        this.requestedPort = httpPort;
        this.streams = new KafkaStreams(ResultsTopology.build(), config);
        this.view = new StreamsResultsView(streams);
        streams.setUncaughtExceptionHandler(failures);
        streams.setStateListener((next, previous) -> {
            log.info("results service state {} -> {}", previous, next);
            synchronized (stateChanged) {
                stateChanged.notifyAll();
            }
        });
    }

    /**
     * The Kafka Streams settings of this stage; entries of {@code overrides} win over the defaults.
     *
     * @param overrides any StreamsConfig or client setting, e.g. {@code num.stream.threads}
     */
    public static Properties streamsConfig(String bootstrapServers, Path stateDir, Map<String, Object> overrides) {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("bootstrapServers is blank: pass host:port of at least one broker");
        }
        if (stateDir == null) {
            throw new IllegalArgumentException("stateDir is null: pass a directory that persists across restarts"
                    + " (without it every start restores the stores from Kafka)");
        }
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, APPLICATION_ID);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        // Results become visible one commit after they arrive: keep that short for pollers.
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        // -1: internal topics take the broker's default replication factor (1 on a dev broker).
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1);
        // A record that does not parse would fail every replacement thread and every restart (its
        // offset never commits), stopping the whole view for one record. This stage answers
        // nobody, so skipping it (logged) only hides that record from the view.
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
        if (overrides != null) {
            overrides.forEach((k, v) -> {
                if (k == null || v == null) {
                    throw new IllegalArgumentException("override " + k + "=" + v + " has a null: remove it to keep the default");
                }
                p.put(k, v);
            });
        }
        return p;
    }

    /** Binds the HTTP port and starts consuming; returns at once (see {@link #awaitRunning}). */
    public synchronized void start() {
        if (closed || started) {
            throw new IllegalStateException("the results service starts once: create a new one");
        }
        try {
            http = new ResultsHttpServer(view, this::live, requestedPort);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on HTTP port " + requestedPort
                    + ": free it or choose another (0 picks any free port)", e);
        }
        http.start();
        started = true;
        streams.start();
    }

    /**
     * Waits until the stores are queryable (RUNNING: partitions assigned, state restored).
     *
     * @throws IllegalStateException on timeout, when not started, or when the service stopped or
     *         failed first, with what to check; when interrupted, with the interrupt flag set again
     */
    public void awaitRunning(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (stateChanged) {
            while (true) {
                KafkaStreams.State state = streams.state();
                switch (state) {
                    case RUNNING:
                        return;
                    case CREATED:
                        throw new IllegalStateException("results service was not started: call start() before awaitRunning()");
                    case PENDING_ERROR:
                    case ERROR:
                        throw new IllegalStateException("results service failed before it was RUNNING (state " + state
                                + "): " + failures.lastFailure() + "; see the log for the stream thread's stack trace",
                                failures.lastFailure());
                    case PENDING_SHUTDOWN:
                    case NOT_RUNNING:
                        throw new IllegalStateException("results service was closed before it was RUNNING (state " + state + ")");
                    default:
                        break;
                }
                long leftMs = (deadline - System.nanoTime()) / 1_000_000;
                if (leftMs <= 0) {
                    throw new IllegalStateException("results service not RUNNING after " + timeout + " (state " + state
                            + "): check that the brokers at " + bootstrapServers + " are reachable and that "
                            + Topics.RESULTS.name() + " and " + Topics.BATCHES.name() + " exist; last stream-thread failure: "
                            + failures.lastFailure());
                }
                try {
                    // Bounded: the state can change without our listener firing (e.g. during
                    // close), so re-read it at least every 100 ms.
                    stateChanged.wait(Math.min(leftMs, 100));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the results service to be RUNNING", e);
                }
            }
        }
    }

    /** The port the HTTP API listens on. */
    public synchronized int httpPort() {
        if (http == null) {
            throw new IllegalStateException("the HTTP port is bound by start(): call it first");
        }
        return http.port();
    }

    public ResultsView view() {
        return view;
    }

    /** Stops HTTP first (so no read races the closing stores), then the streams client. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (http != null) {
            http.stop(HTTP_GRACE);
        }
        // Leave the group: otherwise the next start waits out this member's session timeout.
        streams.close(CloseOptions.timeout(STREAMS_CLOSE_TIMEOUT)
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    }

    /** False once the streams client failed or stopped: restarting, not waiting, would help. */
    private boolean live() {
        KafkaStreams.State s = streams.state();
        return s.isRunningOrRebalancing() || s == KafkaStreams.State.CREATED;
    }
}
