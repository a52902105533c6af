package io.millrace.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RetryRouteTest {
    private static final Instant NOW = Instant.ofEpochMilli(1_000_000);
    private final RetryRoute route = new RetryRoute(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5)));

    @Test
    void eachFailureWaitsOnTheNextTierThenTheDeadLetterTopic() {
        assertThat(route.after(1, NOW, Optional.empty()))
                .isEqualTo(new RetryRoute.Hop("millrace.webhook-deliveries-retry-1000", 1_001_000, false));
        assertThat(route.after(2, NOW, Optional.empty()))
                .isEqualTo(new RetryRoute.Hop("millrace.webhook-deliveries-retry-2000", 1_002_000, false));
        assertThat(route.after(3, NOW, Optional.empty()))
                .isEqualTo(new RetryRoute.Hop("millrace.webhook-deliveries-retry-5000", 1_005_000, false));
        assertThat(route.after(4, NOW, Optional.empty()))
                .isEqualTo(new RetryRoute.Hop("millrace.webhook-deliveries-dlt", 1_000_000, true));
    }

    @Test
    void retryAfterPushesTheDueTimeLaterNeverEarlier() {
        assertThat(route.after(1, NOW, Optional.of(NOW.plusSeconds(30))).dueAt()).isEqualTo(1_030_000);
        assertThat(route.after(1, NOW, Optional.of(NOW.plusMillis(10))).dueAt()).isEqualTo(1_001_000);
    }

    @Test
    void noDelaysMeansOneAttempt() {
        assertThat(new RetryRoute(List.of()).after(1, NOW, Optional.empty()).deadLetter()).isTrue();
        assertThat(route.consumedTopics()).containsExactly("millrace.webhook-deliveries", "millrace.webhook-deliveries-retry-1000",
                "millrace.webhook-deliveries-retry-2000", "millrace.webhook-deliveries-retry-5000");
    }
}
