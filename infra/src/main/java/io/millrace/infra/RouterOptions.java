package io.millrace.infra;

import io.millrace.router.HealthSettings;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The router's keys among the {@code --set} settings (and the config file's {@code set:} section):
 * when a model's circuit opens and closes, and what an interactive request does when every model of
 * its chain is down, read and checked once, at start, into {@link HealthSettings}; and how long a
 * quota lasts ({@code router.quota.window}, a day by default).
 */
final class RouterOptions {
    static final String DEAD_AFTER = "router.health.dead.after";
    static final String FAILURES = "router.health.failures";
    static final String FAILURE_WINDOW = "router.health.failure.window";
    static final String COOLDOWN = "router.health.cooldown";
    static final String PROBE_INTERVAL = "router.health.probe.interval";
    static final String RELEASE_INTERVAL = "router.health.release.interval";
    static final String UNAVAILABLE_INTERACTIVE = "router.unavailable.interactive";
    static final String QUOTA_WINDOW = "router.quota.window";
    static final Set<String> KEYS = Set.of(DEAD_AFTER, FAILURES, FAILURE_WINDOW, COOLDOWN, PROBE_INTERVAL, RELEASE_INTERVAL,
            UNAVAILABLE_INTERACTIVE, QUOTA_WINDOW);

    private RouterOptions() {}

    /** @throws UsageException naming the key, the value and what to write instead */
    static HealthSettings health(Map<String, Object> settings) {
        for (String key : settings.keySet()) {
            if (key.startsWith("router.") && !KEYS.contains(key)) {
                throw new UsageException("--set " + key + ": the router has no such setting; use one of " + new TreeSet<>(KEYS));
            }
        }
        HealthSettings d = HealthSettings.DEFAULT;
        int failures = d.failures();
        Object f = settings.get(FAILURES);
        if (f != null) {
            try {
                failures = Integer.parseInt(f.toString().trim());
            } catch (NumberFormatException e) {
                throw new UsageException("--set " + FAILURES + "=" + f + ": use a whole number of failures, e.g. 5");
            }
        }
        boolean interactiveWaits = d.interactiveWaits();
        Object w = settings.get(UNAVAILABLE_INTERACTIVE);
        if (w != null) {
            String v = w.toString().trim().toLowerCase(Locale.ROOT);
            if (!v.equals("fail") && !v.equals("wait")) {
                throw new UsageException("--set " + UNAVAILABLE_INTERACTIVE + "=" + w + ": use fail (answer 503 model_unavailable"
                        + " at once) or wait (hold it like a batch request until a model of its chain is back)");
            }
            interactiveWaits = v.equals("wait");
        }
        try {
            return new HealthSettings(duration(settings, DEAD_AFTER, d.deadAfter()), failures,
                    duration(settings, FAILURE_WINDOW, d.failureWindow()), duration(settings, COOLDOWN, d.cooldown()),
                    duration(settings, PROBE_INTERVAL, d.probeInterval()), interactiveWaits,
                    duration(settings, RELEASE_INTERVAL, d.releaseInterval()));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--set " + e.getMessage());
        }
    }

    /** {@code router.quota.window}: a day unless set; the router checks that it divides a day. */
    static Duration quotaWindow(Map<String, Object> settings) {
        Duration window = duration(settings, QUOTA_WINDOW, Duration.ofDays(1));
        try {
            io.millrace.router.RouterConfig.checkQuotaWindow(window);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--set " + e.getMessage());
        }
        return window;
    }

    private static Duration duration(Map<String, Object> settings, String key, Duration dflt) {
        Object v = settings.get(key);
        if (v == null) {
            return dflt;
        }
        try {
            return DurationText.parse(v.toString());
        } catch (IllegalArgumentException e) {
            throw new UsageException("--set " + key + "=" + v + ": " + e.getMessage());
        }
    }
}
