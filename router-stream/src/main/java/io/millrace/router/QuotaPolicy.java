package io.millrace.router;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.events.RequestEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * Tokens per day per tenant: a bucket of {@code tokens_per_day} tokens per tenant, filled whole at
 * 00:00 UTC (a fixed daily window, as OpenAI's and LiteLLM's daily budgets). Pure: the router keeps
 * the usage ({@link QuotaLedger}) and asks this policy what to do. The window may be set shorter
 * ({@code router.quota.window}, a divisor of a day, so windows still start at 00:00 UTC): for tests,
 * which cannot wait for midnight, and for quotas that refill more often.
 *
 * <p>Charging: a request is charged an estimate when it is routed ({@link #estimate}: its prompt's
 * characters / 4, plus its maximum new tokens per choice, or the model's context when it names
 * none, times its choices: an upper bound, as the API's per-key rate limits count), and the
 * estimate is replaced by the real usage ({@code usage.total_tokens}) when its result arrives, so a
 * batch's lines cannot all pass before the first result is counted, and what is finally counted is
 * what was generated. A request is admitted while the tenant's usage in the window is under its
 * quota, so the usage may pass the quota by what was in flight, never more.
 */
final class QuotaPolicy {
    static final long DAY_MS = Duration.ofDays(1).toMillis();
    static final Duration DAY = Duration.ofDays(1);

    private final Map<String, Long> tokensPerDay;
    private final ModelCatalog catalog;
    private final long windowMs;

    /** With the daily window. */
    QuotaPolicy(Map<String, Long> tokensPerDay, ModelCatalog catalog) {
        this(tokensPerDay, catalog, DAY);
    }

    /**
     * @param tokensPerDay quota per tenant, per window; tenants not named (and requests of no tenant) are not limited
     * @param window       how long a quota lasts before it is whole again: a day, or a divisor of a day
     */
    QuotaPolicy(Map<String, Long> tokensPerDay, ModelCatalog catalog, Duration window) {
        checkWindow(window);
        this.windowMs = window.toMillis();
        tokensPerDay.forEach((tenant, n) -> {
            if (tenant == null || tenant.isBlank() || n == null || n < 1) {
                throw new IllegalArgumentException("quota of tenant '" + tenant + "' is " + n
                        + ": name a tenant and give it at least 1 token per day");
            }
        });
        this.tokensPerDay = Map.copyOf(tokensPerDay);
        this.catalog = catalog;
    }

    /** Whether this tenant has a quota. */
    boolean limits(String tenant) {
        return tenant != null && tokensPerDay.containsKey(tenant);
    }

    long quota(String tenant) {
        return tokensPerDay.get(tenant);
    }

    /**
     * @throws IllegalArgumentException naming the setting, unless {@code window} is from 1 s to a day and divides a day
     */
    static void checkWindow(Duration window) {
        if (window == null || window.toMillis() < 1000 || window.toMillis() > DAY_MS || DAY_MS % window.toMillis() != 0) {
            throw new IllegalArgumentException("router.quota.window is " + window + ": use a duration from 1s to 24h that"
                    + " divides a day (so every window starts at 00:00 UTC), e.g. 24h (the default), 1h or 10s");
        }
    }

    /** The start of the window holding {@code now}: 00:00 UTC of its day with the daily window. */
    long windowStart(long now) {
        return Math.floorDiv(now, windowMs) * windowMs;
    }

    /** When the window holding {@code now} ends and the quota is whole again: the next 00:00 UTC with the daily window. */
    long resetsAt(long now) {
        return windowStart(now) + windowMs;
    }

    /** Whether a request of {@code tenant} is admitted with {@code used} tokens charged in the current window. */
    boolean admits(String tenant, long used) {
        return !limits(tenant) || used < quota(tenant);
    }

    /** Why an interactive request is refused: the quota, the usage and when it resets. */
    String refusal(String tenant, long used, long now) {
        return "tenant '" + tenant + "' has used " + used + " of its quota of " + quota(tenant)
                + (windowMs == DAY_MS ? " tokens per day" : " tokens per " + Duration.ofMillis(windowMs).toString().substring(2).toLowerCase())
                + "; the quota resets at " + Instant.ofEpochMilli(resetsAt(now)) + (windowMs == DAY_MS ? " (00:00 UTC)" : "")
                + ": retry then, or send the request as a batch line, which waits for the reset";
    }

    /**
     * The tokens a request may cost at most: prompt characters / 4 (about a token each 4 characters
     * of English), plus its maximum new tokens ({@code max_completion_tokens}, {@code max_tokens}, else
     * the model's context, else 4096), times its choices ({@code n}, or the prompts of a legacy
     * completion).
     */
    long estimate(RequestEvent event) {
        JsonNode body = event.body();
        if (body == null) {
            return 1;
        }
        long promptChars = 0;
        JsonNode messages = body.path("messages");
        for (JsonNode m : messages) {
            JsonNode content = m.path("content");
            promptChars += content.isTextual() ? content.asText().length() : content.toString().length();
        }
        JsonNode prompt = body.path("prompt");
        int prompts = 1;
        if (prompt.isTextual()) {
            promptChars += prompt.asText().length();
        } else if (prompt.isArray()) {
            promptChars += prompt.toString().length();
            if (prompt.size() > 0 && !prompt.get(0).isNumber()) {
                prompts = prompt.size();
            }
        }
        long maxNew = body.hasNonNull("max_completion_tokens") ? body.get("max_completion_tokens").asLong()
                : body.hasNonNull("max_tokens") ? body.get("max_tokens").asLong() : defaultMaxTokens(event);
        long choices = Math.max(1, body.path("n").asLong(1)) * prompts;
        return Math.max(1, promptChars / 4 + Math.max(0, maxNew) * choices);
    }

    private long defaultMaxTokens(RequestEvent event) {
        int context = event.model() == null ? 0
                : catalog.find(event.model()).map(ModelCatalog.Entry::contextLength).orElse(0);
        return context > 0 ? context : 4096;
    }
}
