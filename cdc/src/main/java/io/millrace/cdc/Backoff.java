package io.millrace.cdc;

import java.time.Duration;

/**
 * How long to wait before the next try after consecutive failures: doubling from {@code initial}
 * up to {@code max}, back to {@code initial} after a success. Not thread-safe: one per loop.
 */
public final class Backoff {
    private final Duration initial;
    private final Duration max;
    private Duration next;

    public Backoff(Duration initial, Duration max) {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("back-off needs 0 < initial <= max, not " + initial + " and " + max);
        }
        this.initial = initial;
        this.max = max;
        this.next = initial;
    }

    /** The wait before the next try; each call doubles the one after, up to the maximum. */
    public Duration next() {
        Duration d = next;
        Duration doubled = next.multipliedBy(2);
        next = doubled.compareTo(max) > 0 ? max : doubled;
        return d;
    }

    /** After a success: the next failure waits {@code initial} again. */
    public void reset() {
        next = initial;
    }
}
