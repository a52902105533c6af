package io.millrace.streams;

import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle of one stream stage's {@link KafkaStreams} client: failed stream threads are
 * handled by a {@link StreamThreadFailurePolicy}, {@link #awaitRunning} turns the client's state
 * into an answer or a message that says what to check, and {@link #close} leaves the group.
 *
 * <p>Fault tolerance stays Kafka Streams': this class adds no retries of its own.
 */
public final class StreamsStage implements AutoCloseable {
    /** Bounded so a shutdown hook cannot hang on an unreachable broker. */
    public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(StreamsStage.class);

    private final String name;
    private final String inputs;
    private final Object bootstrapServers;
    private final KafkaStreams streams;
    private final StreamThreadFailurePolicy failures;
    private final Object stateChange = new Object();

    /**
     * @param name     the stage in messages and log lines, e.g. {@code "router"}
     * @param inputs   the topics the stage needs, as a timeout message names them
     * @param settings e.g. from {@link StreamsSettings#properties}
     */
    public StreamsStage(String name, String inputs, Topology topology, Properties settings) {
        this.name = name;
        this.inputs = inputs;
        this.bootstrapServers = settings.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG);
        this.failures = new StreamThreadFailurePolicy(name);
        this.streams = new KafkaStreams(topology, settings);
        streams.setUncaughtExceptionHandler(failures);
        streams.setStateListener((now, before) -> {
            LOG.info("{} state {} -> {}", name, before, now);
            synchronized (stateChange) {
                stateChange.notifyAll();
            }
        });
    }

    /** Starts processing in the background and returns at once; see {@link #awaitRunning}. */
    public void start() {
        streams.start();
    }

    /**
     * Waits until the client is RUNNING (it has its partitions and its restored stores).
     *
     * @throws IllegalStateException on timeout, before {@link #start}, or when the client stopped
     *         or failed first, with what to check; when interrupted, with the thread's interrupt
     *         flag set again
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
                        throw new IllegalStateException(name + " was not started: call start() before awaitRunning()");
                    case PENDING_ERROR:
                    case ERROR:
                        throw new IllegalStateException(name + " failed before it was RUNNING (state " + state + "): "
                                + describe(failures.lastFailure()) + "; see the log for the stream thread's stack trace",
                                failures.lastFailure());
                    case PENDING_SHUTDOWN:
                    case NOT_RUNNING:
                        throw new IllegalStateException(name + " was closed before it was RUNNING (state " + state + ")");
                    default:
                        break;
                }
                long leftMs = (deadline - System.nanoTime()) / 1_000_000;
                if (leftMs <= 0) {
                    throw new IllegalStateException(name + " not RUNNING after " + timeout + " (state " + state
                            + "): check that the brokers at " + bootstrapServers + " are reachable and that "
                            + inputs + " exist; last stream-thread failure: " + describe(failures.lastFailure()));
                }
                try {
                    // Bounded wait: state() can change without the listener firing for us (e.g.
                    // during close), so re-read it at least every 100 ms.
                    stateChange.wait(Math.min(leftMs, 100));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the " + name + " to be RUNNING", e);
                }
            }
        }
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** The client, for interactive queries; start and close it through this stage. */
    public KafkaStreams streams() {
        return streams;
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
            LOG.warn("{} did not close within {}: its open transaction, if any, will be aborted by the broker",
                    name, CLOSE_TIMEOUT);
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
