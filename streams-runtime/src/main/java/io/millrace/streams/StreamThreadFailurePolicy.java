package io.millrace.streams;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.LongSupplier;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.streams.errors.MissingSourceTopicException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.errors.TopologyException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stream stages' one table of stream-thread failures, the errors Streams did not handle itself
 * (fencing and task migration it does). Under exactly-once a failed thread's open transaction is
 * aborted, so replacing the thread reprocesses its records from the last commit: nothing is lost
 * or doubled.
 *
 * <table>
 *   <caption>Failure classes</caption>
 *   <tr><th>failure (anywhere in the cause chain)</th><th>response</th><th>why</th></tr>
 *   <tr><td>{@link Error}</td><td>shut down</td><td>the JVM or classpath is broken; a new thread fails alike</td></tr>
 *   <tr><td>missing source topic, config, authentication, authorization, unsupported version,
 *       topology</td><td>shut down</td><td>needs an operator; retrying cannot fix it</td></tr>
 *   <tr><td>anything else</td><td>replace the thread</td><td>transient (broker restart, timeouts)</td></tr>
 *   <tr><td>more than {@link #MAX_REPLACEMENTS} replacements in {@link #REPLACEMENT_WINDOW}</td>
 *       <td>shut down</td><td>a record that fails every time would otherwise loop forever</td></tr>
 * </table>
 *
 * Shutting down moves the client to ERROR, which {@link StreamsStage#awaitRunning} reports and the
 * stage's supervisor acts on (each stage says how it exposes that state).
 */
public final class StreamThreadFailurePolicy implements StreamsUncaughtExceptionHandler {
    public static final int MAX_REPLACEMENTS = 10;
    public static final Duration REPLACEMENT_WINDOW = Duration.ofMinutes(10);

    private static final Logger LOG = LoggerFactory.getLogger(StreamThreadFailurePolicy.class);
    private static final List<Class<? extends Throwable>> FATAL = List.of(Error.class,
            MissingSourceTopicException.class, ConfigException.class, AuthenticationException.class,
            AuthorizationException.class, UnsupportedVersionException.class, TopologyException.class);

    private final String stage;
    private final LongSupplier clockMs;
    private final Deque<Long> replacedAt = new ArrayDeque<>();
    private volatile Throwable lastFailure;

    /** @param stage the stage's name in log lines, e.g. {@code "router"} */
    public StreamThreadFailurePolicy(String stage) {
        this(stage, System::currentTimeMillis);
    }

    StreamThreadFailurePolicy(String stage, LongSupplier clockMs) {
        this.stage = stage;
        this.clockMs = clockMs;
    }

    @Override
    public synchronized StreamThreadExceptionResponse handle(Throwable failure) {
        lastFailure = failure;
        if (isFatal(failure)) {
            LOG.error("{} stream thread failed and cannot recover: shutting the {} down", stage, stage, failure);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        long now = clockMs.getAsLong();
        while (!replacedAt.isEmpty() && replacedAt.peekFirst() <= now - REPLACEMENT_WINDOW.toMillis()) {
            replacedAt.pollFirst();
        }
        if (replacedAt.size() >= MAX_REPLACEMENTS) {
            LOG.error("{} stream thread failed {} times within {}: shutting the {} down rather than retrying a"
                    + " failure that repeats", stage, replacedAt.size() + 1, REPLACEMENT_WINDOW, stage, failure);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        replacedAt.addLast(now);
        LOG.error("{} stream thread failed: replacing it; its open transaction is aborted and its records are"
                + " processed again from the last commit", stage, failure);
        return StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    /** The last failure handled, for error messages; null when none. */
    public Throwable lastFailure() {
        return lastFailure;
    }

    static boolean isFatal(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            for (Class<? extends Throwable> fatal : FATAL) {
                if (fatal.isInstance(t)) {
                    return true;
                }
            }
        }
        return false;
    }
}
