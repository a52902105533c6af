package io.millrace.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhooksConfigTest {

    @Test
    void defaultsToStandardWebhooksSchedule() {
        WebhooksConfig c = WebhooksConfig.defaults();
        assertThat(c.retryDelays()).containsExactly(Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofMinutes(30),
                Duration.ofHours(2), Duration.ofHours(5), Duration.ofHours(10), Duration.ofHours(14), Duration.ofHours(20),
                Duration.ofHours(24));
        assertThat(c.allowPrivate()).isFalse();
        assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void readsTheSettings() {
        WebhooksConfig c = WebhooksConfig.from(Map.of(WebhooksConfig.RETRY_DELAYS, "1s, 2s,5s", WebhooksConfig.ALLOW_PRIVATE, "true"));
        assertThat(c.retryDelaysMs()).isEqualTo(List.of(1_000L, 2_000L, 5_000L));
        assertThat(c.allowPrivate()).isTrue();
        assertThat(WebhooksConfig.from(Map.of(WebhooksConfig.RETRY_DELAYS, "none")).retryDelays()).isEmpty();
    }

    @Test
    void badValuesSayWhatToFix() {
        assertThatThrownBy(() -> WebhooksConfig.from(Map.of(WebhooksConfig.RETRY_DELAYS, "1s,soon")))
                .hasMessageContaining("webhooks.retry.delays").hasMessageContaining("'soon'");
        assertThatThrownBy(() -> WebhooksConfig.from(Map.of(WebhooksConfig.RETRY_DELAYS, "1s,1s"))).hasMessageContaining("twice");
        assertThatThrownBy(() -> WebhooksConfig.from(Map.of(WebhooksConfig.RETRY_DELAYS, "2d"))).hasMessageContaining("24h");
        assertThatThrownBy(() -> WebhooksConfig.from(Map.of(WebhooksConfig.ALLOW_PRIVATE, "yes"))).hasMessageContaining("true or false");
    }
}
