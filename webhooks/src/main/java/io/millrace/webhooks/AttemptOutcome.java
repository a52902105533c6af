package io.millrace.webhooks;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * What one delivery attempt's answer means, the dispatcher's one table of outcomes (Standard
 * Webhooks and OpenAI): 2xx delivered; 410 Gone disables the endpoint (its owner removed it);
 * 429 and 503 (and 502, 504, as Standard Webhooks lists them) throttle: retry, not before their
 * {@code Retry-After}; anything else, redirects included (never followed), timeouts and
 * connection errors retry on the schedule.
 *
 * @param notBefore for a retry, the earliest time the endpoint asked for ({@code Retry-After}), if any
 */
public record AttemptOutcome(Kind kind, Optional<Instant> notBefore) {
    public enum Kind { DELIVERED, DISABLE, RETRY }

    /** The longest {@code Retry-After} honoured: beyond it the schedule's own delays apply. */
    static final Duration MAX_RETRY_AFTER = Duration.ofDays(1);

    public static AttemptOutcome of(int status, String retryAfter, Instant now) {
        if (status >= 200 && status < 300) {
            return new AttemptOutcome(Kind.DELIVERED, Optional.empty());
        }
        if (status == 410) {
            return new AttemptOutcome(Kind.DISABLE, Optional.empty());
        }
        if (status == 429 || status == 502 || status == 503 || status == 504) {
            return new AttemptOutcome(Kind.RETRY, retryAfter(retryAfter, now));
        }
        return retry();
    }

    /** No answer at all: a timeout, a refused connection, an address the guard refused. */
    public static AttemptOutcome retry() {
        return new AttemptOutcome(Kind.RETRY, Optional.empty());
    }

    /** {@code Retry-After} as delta-seconds or an HTTP date; absent, unreadable or past: none. */
    static Optional<Instant> retryAfter(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String v = value.trim();
        Instant at;
        if (v.matches("[0-9]{1,9}")) {
            at = now.plusSeconds(Long.parseLong(v));
        } else {
            try {
                at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            } catch (DateTimeParseException e) {
                return Optional.empty();
            }
        }
        if (!at.isAfter(now)) {
            return Optional.empty();
        }
        Instant cap = now.plus(MAX_RETRY_AFTER);
        return Optional.of(at.isAfter(cap) ? cap : at);
    }
}
