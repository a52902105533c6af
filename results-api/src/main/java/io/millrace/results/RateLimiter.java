package io.millrace.results;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Requests and tokens per minute, per API key: two token buckets each, full at the limit and
 * refilled continuously at limit/minute, as OpenAI's limits behave. A request is admitted only if
 * both buckets hold enough; otherwise nothing is taken and the answer says how long to wait.
 *
 * <p>Per instance: each API instance keeps its own buckets, so N instances behind a balancer admit
 * up to N times the limit. Sharing them would put a broker round trip before every request; an
 * operator who needs an exact global limit runs one API instance or divides the limit.
 */
final class RateLimiter {
    /** One admission decision, with what the {@code x-ratelimit-*} headers report. */
    record Decision(boolean admitted, String limitedBy, long limit, Duration retryAfter, Map<String, String> headers) {}

    private static final long MINUTE_NANOS = Duration.ofMinutes(1).toNanos();

    private final LongSupplier nanoClock;
    private final Map<String, Buckets> byKey = new ConcurrentHashMap<>();

    RateLimiter(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /**
     * @param rpm  the key's requests per minute, 0 for no limit
     * @param tpm  the key's tokens per minute, 0 for no limit
     * @param cost the tokens this request may use (prompt estimate plus its max tokens)
     */
    Decision admit(String keyId, long rpm, long tpm, long cost) {
        Buckets b = byKey.computeIfAbsent(keyId, k -> new Buckets(rpm, tpm, nanoClock.getAsLong()));
        synchronized (b) {
            b.resize(rpm, tpm);
            long now = nanoClock.getAsLong();
            b.requests.refill(now);
            b.tokens.refill(now);
            // A request larger than the whole bucket could never pass: let it through when full.
            long tokenCost = b.tokens.limit > 0 ? Math.min(cost, b.tokens.limit) : 0;
            String limitedBy = null;
            long nanosToWait = 0;
            if (b.requests.limit > 0 && b.requests.level < 1) {
                limitedBy = "requests";
                nanosToWait = b.requests.nanosUntil(1);
            } else if (b.tokens.limit > 0 && b.tokens.level < tokenCost) {
                limitedBy = "tokens";
                nanosToWait = b.tokens.nanosUntil(tokenCost);
            }
            if (limitedBy == null) {
                if (b.requests.limit > 0) {
                    b.requests.level -= 1;
                }
                b.tokens.level -= tokenCost;
            }
            Map<String, String> headers = new LinkedHashMap<>();
            b.requests.headers("requests", headers);
            b.tokens.headers("tokens", headers);
            long limit = "requests".equals(limitedBy) ? b.requests.limit : b.tokens.limit;
            return new Decision(limitedBy == null, limitedBy, limit, Duration.ofNanos(nanosToWait), headers);
        }
    }

    private static final class Buckets {
        final Bucket requests;
        final Bucket tokens;

        Buckets(long rpm, long tpm, long now) {
            requests = new Bucket(rpm, now);
            tokens = new Bucket(tpm, now);
        }

        void resize(long rpm, long tpm) {
            requests.resize(rpm);
            tokens.resize(tpm);
        }
    }

    private static final class Bucket {
        long limit;
        double level;
        long updated;

        Bucket(long limit, long now) {
            this.limit = limit;
            this.level = limit;
            this.updated = now;
        }

        void resize(long newLimit) {
            if (newLimit != limit) { // the key's limits changed: start full at the new size
                limit = newLimit;
                level = newLimit;
            }
        }

        void refill(long now) {
            if (limit > 0 && now > updated) {
                level = Math.min(limit, level + (double) limit * (now - updated) / MINUTE_NANOS);
            }
            updated = Math.max(updated, now);
        }

        long nanosUntil(double needed) {
            return limit <= 0 ? 0 : (long) Math.ceil((needed - level) * MINUTE_NANOS / limit);
        }

        void headers(String what, Map<String, String> headers) {
            if (limit <= 0) {
                return;
            }
            headers.put("x-ratelimit-limit-" + what, Long.toString(limit));
            headers.put("x-ratelimit-remaining-" + what, Long.toString((long) Math.floor(Math.max(0, level))));
            headers.put("x-ratelimit-reset-" + what, resetText(nanosUntil(limit)));
        }
    }

    /** How OpenAI writes a reset time: "1s", "6m0s", "120ms". */
    static String resetText(long nanos) {
        long ms = Math.max(0, (nanos + 999_999) / 1_000_000);
        if (ms < 1000) {
            return ms + "ms";
        }
        long s = (ms + 999) / 1000;
        return s < 60 ? s + "s" : (s / 60) + "m" + (s % 60) + "s";
    }
}
