package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.router.HealthSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The router's {@code router.*} settings: defaults, values as people write them, and every mistake naming its fix. */
class RouterOptionsTest {
    @Test
    void defaultsAndValues() {
        assertThat(RouterOptions.health(Map.of())).isEqualTo(HealthSettings.DEFAULT);
        HealthSettings s = RouterOptions.health(Map.of(RouterOptions.DEAD_AFTER, "3s", RouterOptions.FAILURES, "2",
                RouterOptions.FAILURE_WINDOW, "1m", RouterOptions.COOLDOWN, "45s", RouterOptions.PROBE_INTERVAL, "250ms",
                RouterOptions.RELEASE_INTERVAL, "500ms", RouterOptions.UNAVAILABLE_INTERACTIVE, "wait"));
        assertThat(s).isEqualTo(new HealthSettings(Duration.ofSeconds(3), 2, Duration.ofMinutes(1), Duration.ofSeconds(45),
                Duration.ofMillis(250), true, Duration.ofMillis(500)));
    }

    @Test
    void mistakesNameTheKeyAndTheFix() {
        assertThatThrownBy(() -> RouterOptions.health(Map.of("router.health.dead", "3s"))).isInstanceOf(UsageException.class)
                .hasMessageContaining("router.health.dead: the router has no such setting; use one of");
        assertThatThrownBy(() -> RouterOptions.health(Map.of(RouterOptions.DEAD_AFTER, "soon")))
                .hasMessageContaining("router.health.dead.after=soon").hasMessageContaining("e.g. 90s");
        assertThatThrownBy(() -> RouterOptions.health(Map.of(RouterOptions.DEAD_AFTER, "0s")))
                .hasMessageContaining("router.health.dead.after is PT0S: use a duration above 0");
        assertThatThrownBy(() -> RouterOptions.health(Map.of(RouterOptions.FAILURES, "0")))
                .hasMessageContaining("router.health.failures is 0: use a whole number from 1");
        assertThatThrownBy(() -> RouterOptions.health(Map.of(RouterOptions.FAILURES, "many")))
                .hasMessageContaining("router.health.failures=many: use a whole number");
        assertThatThrownBy(() -> RouterOptions.health(Map.of(RouterOptions.UNAVAILABLE_INTERACTIVE, "queue")))
                .hasMessageContaining("router.unavailable.interactive=queue: use fail").hasMessageContaining("or wait");
    }

    @Test
    void settingsCheckRouterAndHeartbeatKeysAtStart() {
        assertThatThrownBy(() -> new Settings(null, Path.of("d"), 0, 0, List.of(), null, -1,
                Map.of(RouterOptions.COOLDOWN, "never"))).isInstanceOf(UsageException.class).hasMessageContaining("router.health.cooldown");
        assertThatThrownBy(() -> new Settings(null, Path.of("d"), 0, 0, List.of(), null, -1,
                Map.of("worker.health.interval.ms", "5"))).isInstanceOf(UsageException.class)
                .hasMessageContaining("--set worker.health.interval.ms is '5': use whole milliseconds from 10 to 60000");
        assertThatThrownBy(() -> new Settings(null, Path.of("d"), 0, 0, List.of(), null, -1,
                Map.of(RouterOptions.QUOTA_WINDOW, "7s"))).isInstanceOf(UsageException.class)
                .hasMessageContaining("--set router.quota.window is PT7S: use a duration from 1s to 24h that divides a day");
        Settings ok = new Settings(null, Path.of("d"), 0, 0, List.of(), null, -1, Map.of(RouterOptions.DEAD_AFTER, "4s"));
        assertThat(ok.health().deadAfter()).isEqualTo(Duration.ofSeconds(4));
        assertThat(ok.quotaWindow()).isEqualTo(Duration.ofDays(1));
        assertThat(new Settings(null, Path.of("d"), 0, 0, List.of(), null, -1, Map.of(RouterOptions.QUOTA_WINDOW, "10s"))
                .quotaWindow()).isEqualTo(Duration.ofSeconds(10));
    }
}
