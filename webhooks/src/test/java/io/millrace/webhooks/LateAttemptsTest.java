package io.millrace.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LateAttemptsTest {
    private final LateAttempts late = new LateAttempts();

    @Test
    void anEndpointHoldsABoundedNumberOfBackgroundAttempts() {
        for (int i = 0; i < LateAttempts.MAX_PER_ENDPOINT; i++) {
            assertThat(late.mayAttempt("dead")).isTrue();
            late.started("dead");
        }
        assertThat(late.mayAttempt("dead")).as("its calls fill the bound").isFalse();
        assertThat(late.mayAttempt("other")).as("another endpoint").isTrue();
        late.ended("dead", "evt_1", false);
        assertThat(late.mayAttempt("dead")).as("one ended").isTrue();
    }

    @Test
    void aLateSuccessIsRememberedSoItsRetryIsDropped() {
        late.started("slow");
        assertThat(late.alreadyDelivered("slow", "evt_1")).isFalse();
        late.ended("slow", "evt_1", true);
        assertThat(late.alreadyDelivered("slow", "evt_1")).isTrue();
        assertThat(late.alreadyDelivered("other", "evt_1")).as("the same event to another endpoint").isFalse();
        late.started("slow");
        late.ended("slow", "evt_2", false);
        assertThat(late.alreadyDelivered("slow", "evt_2")).as("a late failure: its retry stands").isFalse();
    }

    @Test
    void aPollWaitsAThirdOfTheTimeoutAndNeverMoreThanFiveSeconds() {
        assertThat(WebhookDispatcher.pollBudget(Duration.ofSeconds(15))).isEqualTo(Duration.ofSeconds(5));
        assertThat(WebhookDispatcher.pollBudget(Duration.ofSeconds(60))).isEqualTo(Duration.ofSeconds(5));
        assertThat(WebhookDispatcher.pollBudget(Duration.ofSeconds(9))).isEqualTo(Duration.ofSeconds(3));
    }
}
