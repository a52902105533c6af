package io.millrace.webhooks;

import io.millrace.protocol.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The webhooks role's settings, from {@code --set webhooks.*}, checked at start.
 *
 * @param retryDelays  the waits before the 2nd, 3rd, ... attempt (the first is immediate), each its
 *                     own retry topic ({@link Topics#webhookRetry}); after the last the delivery is
 *                     dead-lettered. Standard Webhooks' schedule by default
 * @param allowPrivate plain http and private, loopback and metadata addresses allowed (development
 *                     and tests only: it switches the server-side request forgery guard off)
 * @param timeout      how long one attempt may take, connect to last byte
 * @param rotationGrace how long a rotated-out secret keeps signing
 */
public record WebhooksConfig(List<Duration> retryDelays, boolean allowPrivate, Duration timeout, Duration rotationGrace) {
    public static final String RETRY_DELAYS = "webhooks.retry.delays";
    public static final String ALLOW_PRIVATE = "webhooks.allow.private";
    public static final String TIMEOUT = "webhooks.timeout";
    /** A record waits on a retry topic kept a week; a day is the longest tier. */
    static final Duration MAX_DELAY = Duration.ofDays(1);
    static final int MAX_TIERS = 20;
    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})\\s*(ms|s|m|h|d)?");

    public WebhooksConfig {
        retryDelays = List.copyOf(retryDelays);
        if (retryDelays.size() > MAX_TIERS) {
            throw new IllegalArgumentException(RETRY_DELAYS + " has " + retryDelays.size() + " delays: at most " + MAX_TIERS);
        }
        for (int i = 0; i < retryDelays.size(); i++) {
            Duration d = retryDelays.get(i);
            if (d.toMillis() < 1 || d.compareTo(MAX_DELAY) > 0) {
                throw new IllegalArgumentException(RETRY_DELAYS + ": delay " + (i + 1) + " is " + d.toMillis()
                        + " ms: each must be from 1ms to 24h");
            }
            if (retryDelays.subList(0, i).contains(d)) {
                // Each delay names its topic; Standard Webhooks' schedule has no repeats, nor may ours.
                throw new IllegalArgumentException(RETRY_DELAYS + ": " + d.toMillis() + " ms appears twice: each delay"
                        + " names a retry topic, so list each once");
            }
        }
        if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofSeconds(30)) > 0) {
            throw new IllegalArgumentException(TIMEOUT + " is " + timeout.toMillis() + " ms: use more than 0 and at most 30s");
        }
    }

    /** Standard Webhooks' schedule, the guard on, 15 s per attempt, a day of rotation grace. */
    public static WebhooksConfig defaults() {
        return from(Map.of());
    }

    /** From {@code --set} pairs: the {@code webhooks.*} ones are read, others ignored. */
    public static WebhooksConfig from(Map<String, ?> settings) {
        List<Duration> delays = Topics.DEFAULT_WEBHOOK_RETRY_DELAYS_MS.stream().map(Duration::ofMillis).toList();
        Object d = settings.get(RETRY_DELAYS);
        if (d != null) {
            delays = parseDelays(d.toString());
        }
        Object p = settings.get(ALLOW_PRIVATE);
        boolean allowPrivate = false;
        if (p != null) {
            String v = p.toString().trim().toLowerCase(Locale.ROOT);
            if (!v.equals("true") && !v.equals("false")) {
                throw new IllegalArgumentException(ALLOW_PRIVATE + " is '" + p + "': use true or false");
            }
            allowPrivate = v.equals("true");
        }
        Object t = settings.get(TIMEOUT);
        Duration timeout = t == null ? Duration.ofSeconds(15) : parseDuration(TIMEOUT, t.toString());
        return new WebhooksConfig(delays, allowPrivate, timeout, Duration.ofHours(24));
    }

    public List<Long> retryDelaysMs() {
        return retryDelays.stream().map(Duration::toMillis).toList();
    }

    private static List<Duration> parseDelays(String text) {
        String t = text.trim();
        if (t.isEmpty() || t.equalsIgnoreCase("none")) {
            return List.of();
        }
        List<Duration> out = new ArrayList<>();
        for (String part : t.split(",")) {
            out.add(parseDuration(RETRY_DELAYS, part));
        }
        return out;
    }

    private static Duration parseDuration(String key, String part) {
        Matcher m = DURATION.matcher(part.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException(key + ": '" + part.trim() + "' is not a duration; write e.g. 1s,2s,5s"
                    + " (units ms, s, m, h, d; a bare number is ms), or none for no retries");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2) == null ? "ms" : m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofMillis(n);
        };
    }
}
