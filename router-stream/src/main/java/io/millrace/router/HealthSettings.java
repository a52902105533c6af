package io.millrace.router;

import java.time.Duration;

/**
 * How the router judges models by their workers' heartbeats ({@code millrace.health}) and what it
 * does when no model of a request's chain can take it; validated when built, so a bad value fails at
 * start with the key to fix.
 *
 * @param deadAfter        a model whose workers were all silent (or said goodbye) this long has its
 *                         circuit open ({@code router.health.dead.after}, 10 s)
 * @param failures         this many generation failures within {@code failureWindow} open the circuit
 *                         ({@code router.health.failures}, 5)
 * @param failureWindow    the window failures are counted in ({@code router.health.failure.window}, 30 s)
 * @param cooldown         how long a circuit opened by failures stays open before it lets probes
 *                         through, half-open ({@code router.health.cooldown}, 30 s)
 * @param probeInterval    a half-open model gets at most one probe request per this interval from each
 *                         router task; the rest take the fallback chain ({@code router.health.probe.interval}, 1 s)
 * @param interactiveWaits true: interactive requests wait like batch ones when every model of their chain
 *                         is down; false (the default): they fail at once, 503 {@code model_unavailable}
 *                         ({@code router.unavailable.interactive=fail|wait})
 * @param releaseInterval  how often waiting requests are looked at again ({@code router.health.release.interval}, 1 s)
 */
public record HealthSettings(Duration deadAfter, int failures, Duration failureWindow, Duration cooldown,
        Duration probeInterval, boolean interactiveWaits, Duration releaseInterval) {
    public static final HealthSettings DEFAULT = new HealthSettings(Duration.ofSeconds(10), 5, Duration.ofSeconds(30),
            Duration.ofSeconds(30), Duration.ofSeconds(1), false, Duration.ofSeconds(1));
    /** The most failures a circuit counts: each is kept as a timestamp in the model's health record. */
    static final int MAX_FAILURES = 1000;

    public HealthSettings {
        positive(deadAfter, "router.health.dead.after", "10s");
        positive(failureWindow, "router.health.failure.window", "30s");
        positive(cooldown, "router.health.cooldown", "30s");
        positive(probeInterval, "router.health.probe.interval", "1s");
        positive(releaseInterval, "router.health.release.interval", "1s");
        if (failures < 1 || failures > MAX_FAILURES) {
            throw new IllegalArgumentException("router.health.failures is " + failures + ": use a whole number from 1 to "
                    + MAX_FAILURES + ", e.g. 5");
        }
    }

    private static void positive(Duration d, String key, String example) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(key + " is " + d + ": use a duration above 0, e.g. " + example);
        }
    }
}
