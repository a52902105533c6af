package io.millrace.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class EndpointHealthTest {
    private final EndpointHealth health = new EndpointHealth(Duration.ofSeconds(60));

    @Test
    void anEndpointThatDoesNotAnswerCoolsDownForAWhile() {
        assertThat(health.cooling("a", 0)).isFalse();
        health.record("a", false, 1_000);
        assertThat(health.cooling("a", 1_001)).isTrue();
        assertThat(health.cooling("b", 1_001)).as("another endpoint").isFalse();
        assertThat(health.cooling("a", 61_000)).as("after the cooldown").isFalse();
    }

    @Test
    void anyAnswerEndsTheCooldown() {
        health.record("a", false, 1_000);
        health.record("a", true, 2_000); // a 503 is an answer: quick, it delays no one
        assertThat(health.cooling("a", 2_001)).isFalse();
    }
}
