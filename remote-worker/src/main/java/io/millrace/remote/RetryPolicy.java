package io.millrace.remote;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.DoubleSupplier;

/**
 * When a call to a remote server is tried again, and after how long. Plain, so it has plain tests.
 *
 * <p>Retriable: no answer at all (refused or dropped connection, timeout) and the answers that say
 * "later" — 408, 429 and the 5xx but 501 and 505, which say "never". Everything else (a 4xx: the
 * request or the key is wrong) is final at once. The wait doubles from {@link #base} up to
 * {@link #max}, each a random point in its upper half (so callers that failed together do not come
 * back together, yet never sooner than half the back-off), and never sooner than the server's
 * {@code Retry-After}; a {@code Retry-After} longer than {@link #maxRetryAfter} gives up instead,
 * leaving the request to the worker's retry tiers, which wait without holding a call slot.
 */
public record RetryPolicy(int maxAttempts, Duration base, Duration max, Duration maxRetryAfter) {
    public static RetryPolicy of(int maxAttempts) {
        return new RetryPolicy(maxAttempts, Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofSeconds(30));
    }

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
    }

    /** Whether an answer with this status is worth asking again. */
    public static boolean retriable(int status) {
        return status == 408 || status == 429 || (status >= 500 && status != 501 && status != 505);
    }

    /**
     * The wait before attempt {@code failed + 1}, or empty when there is none: attempts spent, or the
     * server asks for longer than {@link #maxRetryAfter}.
     *
     * @param failed     attempts made so far, all failed retriably (1 after the first)
     * @param retryAfter the last answer's {@code Retry-After} in ms, if it had one
     * @param random     uniform in [0, 1)
     */
    public Optional<Duration> delay(int failed, OptionalLong retryAfter, DoubleSupplier random) {
        if (failed >= maxAttempts) {
            return Optional.empty();
        }
        long backoff = Math.min(max.toMillis(), base.toMillis() << Math.min(failed - 1, 30));
        long wait = backoff / 2 + (long) (random.getAsDouble() * (backoff - backoff / 2));
        if (retryAfter.isPresent()) {
            if (retryAfter.getAsLong() > maxRetryAfter.toMillis()) {
                return Optional.empty();
            }
            wait = Math.max(wait, retryAfter.getAsLong());
        }
        return Optional.of(Duration.ofMillis(wait));
    }

    /**
     * A {@code Retry-After} header in ms from {@code nowMs}: delay-seconds or an HTTP-date (RFC 9110);
     * empty when absent or unreadable (then the back-off alone decides).
     */
    public static OptionalLong retryAfterMs(String header, long nowMs) {
        if (header == null || header.isBlank()) {
            return OptionalLong.empty();
        }
        String v = header.trim();
        try {
            long seconds = Long.parseLong(v);
            return seconds < 0 ? OptionalLong.empty() : OptionalLong.of(Math.multiplyExact(seconds, 1000L));
        } catch (NumberFormatException | ArithmeticException e) {
            // an HTTP-date, perhaps
        }
        try {
            long at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
            return OptionalLong.of(Math.max(0, at - nowMs));
        } catch (DateTimeParseException e) {
            return OptionalLong.empty();
        }
    }
}
