package io.millrace.results;

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
 * The results service's one table of stream-thread failures (those Streams did not handle itself).
 * Under exactly-once a failed thread's open transaction is aborted, so a replacement thread
 * re-reads from the last commit: no result is lost from the view or counted twice.
 *
 * <table>
 *   <caption>Failure classes</caption>
 *   <tr><th>failure (anywhere in the cause chain)</th><th>response</th><th>why</th></tr>
 *   <tr><td>{@link Error}; missing source topic, config, authentication, authorization,
 *       unsupported version, topology</td><td>shut down</td><td>needs an operator</td></tr>
 *   <tr><td>anything else</td><td>replace the thread</td><td>transient (broker restart, timeouts)</td></tr>
 *   <tr><td>more than {@link #MAX_REPLACEMENTS} replacements in {@link #REPLACEMENT_WINDOW}</td>
 *       <td>shut down</td><td>a failure that repeats would otherwise loop forever</td></tr>
 * </table>
 *
 * Shutting down moves the client to ERROR: reads answer 503 and {@code /health} turns 503, so a
 * supervisor restarts the service.
 */
final class StreamThreadFailurePolicy implements StreamsUncaughtExceptionHandler {
    static final int MAX_REPLACEMENTS = 10;
    static final Duration REPLACEMENT_WINDOW = Duration.ofMinutes(10);

    private static final Logger log = LoggerFactory.getLogger(StreamThreadFailurePolicy.class);
    private static final List<Class<? extends Throwable>> FATAL = List.of(Error.class,
            MissingSourceTopicException.class, ConfigException.class, AuthenticationException.class,
            AuthorizationException.class, UnsupportedVersionException.class, TopologyException.class);

    private final LongSupplier clockMs;
    private final Deque<Long> replacedAt = new ArrayDeque<>();
    private volatile Throwable lastFailure;

    StreamThreadFailurePolicy(LongSupplier clockMs) {
        this.clockMs = clockMs;
    }

    StreamThreadFailurePolicy() {
        this(System::currentTimeMillis);
    }

    @Override
    public synchronized StreamThreadExceptionResponse handle(Throwable failure) {
        lastFailure = failure;
        if (isFatal(failure)) {
            log.error("results stream thread failed and cannot recover: shutting the results service's streams down", failure);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        long now = clockMs.getAsLong();
        while (!replacedAt.isEmpty() && replacedAt.peekFirst() <= now - REPLACEMENT_WINDOW.toMillis()) {
            replacedAt.pollFirst();
        }
        if (replacedAt.size() >= MAX_REPLACEMENTS) {
            log.error("results stream thread failed {} times within {}: shutting down rather than retrying a failure"
                    + " that repeats", replacedAt.size() + 1, REPLACEMENT_WINDOW, failure);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        replacedAt.addLast(now);
        log.error("results stream thread failed: replacing it; it re-reads from the last commit", failure);
        return StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    /** The last failure handled, for error messages; null when none. */
    Throwable lastFailure() {
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
