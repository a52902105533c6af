package io.millrace.protocol;

import java.time.Duration;

/**
 * When a request entered the pipeline, as far as it can be trusted. {@code submitted_at} is set by
 * the producer, and any Kafka client may leave it out (0) or send nonsense; every timing measured
 * from it would then be nonsense too (a missing one made end_to_end_ms about 1.8e12). The router
 * stamps the arrival time on an implausible one, and the worker checks again before measuring.
 */
public final class SubmittedAt {
    /** Clocks of producers and stages differ: a time this far ahead is still taken as given. */
    public static final Duration MAX_SKEW = Duration.ofMinutes(5);
    /** Older than anything {@code millrace.requests} keeps (7 days) with room to spare: not a real time. */
    public static final Duration MAX_AGE = Duration.ofDays(30);

    private SubmittedAt() {}

    /** Whether {@code submittedAt} (epoch ms) can be when a request seen at {@code now} was submitted. */
    public static boolean plausible(long submittedAt, long now) {
        return submittedAt > 0 && submittedAt <= now + MAX_SKEW.toMillis() && submittedAt >= now - MAX_AGE.toMillis();
    }

    /**
     * {@code submittedAt} when plausible, else the record's timestamp (when Kafka received it) when
     * that is plausible, else {@code now}.
     */
    public static long orArrival(long submittedAt, long recordTimestamp, long now) {
        if (plausible(submittedAt, now)) {
            return submittedAt;
        }
        return plausible(recordTimestamp, now) ? recordTimestamp : now;
    }
}
