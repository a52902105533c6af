package io.millrace.router;

import static io.millrace.router.Requests.CATALOG;
import static io.millrace.router.Requests.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.protocol.events.RequestEvent;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QuotaPolicyTest {
    private final QuotaPolicy policy = new QuotaPolicy(Map.of("acme", 100L), CATALOG);

    @Test
    void theWindowIsTheUtcDay() {
        long noon = Instant.parse("2026-03-04T12:34:56Z").toEpochMilli();
        assertThat(policy.windowStart(noon)).isEqualTo(Instant.parse("2026-03-04T00:00:00Z").toEpochMilli());
        assertThat(policy.resetsAt(noon)).isEqualTo(Instant.parse("2026-03-05T00:00:00Z").toEpochMilli());
        long midnight = Instant.parse("2026-03-05T00:00:00Z").toEpochMilli();
        assertThat(policy.windowStart(midnight)).isEqualTo(midnight);
        assertThat(policy.windowStart(midnight - 1)).isEqualTo(policy.windowStart(noon));
    }

    @Test
    void aShorterWindowDividesTheDayAndTheRefusalSaysIt() {
        QuotaPolicy tenSeconds = new QuotaPolicy(Map.of("acme", 100L), CATALOG, java.time.Duration.ofSeconds(10));
        long t = Instant.parse("2026-03-04T12:34:56.789Z").toEpochMilli();
        assertThat(tenSeconds.windowStart(t)).isEqualTo(Instant.parse("2026-03-04T12:34:50Z").toEpochMilli());
        assertThat(tenSeconds.resetsAt(t)).isEqualTo(Instant.parse("2026-03-04T12:35:00Z").toEpochMilli());
        assertThat(tenSeconds.refusal("acme", 120, t)).contains("quota of 100 tokens per 10s")
                .contains("resets at 2026-03-04T12:35:00Z:").doesNotContain("00:00 UTC");
        assertThat(policy.refusal("acme", 120, t)).contains("quota of 100 tokens per day").contains("(00:00 UTC)");
        for (java.time.Duration bad : new java.time.Duration[] {java.time.Duration.ofMillis(500), java.time.Duration.ofSeconds(7),
                java.time.Duration.ofDays(2)}) {
            assertThatThrownBy(() -> new QuotaPolicy(Map.of("acme", 1L), CATALOG, bad)).hasMessageContaining("router.quota.window")
                    .hasMessageContaining("divides a day");
        }
    }

    @Test
    void aTenantIsAdmittedWhileUnderItsQuotaAndOthersAlways() {
        assertThat(policy.admits("acme", 0)).isTrue();
        assertThat(policy.admits("acme", 99)).isTrue();
        assertThat(policy.admits("acme", 100)).isFalse();
        assertThat(policy.admits("other", 1_000_000)).isTrue();
        assertThat(policy.admits(null, 1_000_000)).isTrue();
        assertThat(policy.limits("acme")).isTrue();
        assertThat(policy.limits(null)).isFalse();
    }

    @Test
    void theRefusalSaysTheQuotaTheUsageAndWhenItResets() {
        String why = policy.refusal("acme", 123, Instant.parse("2026-03-04T12:00:00Z").toEpochMilli());
        assertThat(why).contains("'acme'").contains("used 123").contains("quota of 100 tokens per day")
                .contains("resets at 2026-03-05T00:00:00Z");
    }

    @Test
    void theEstimateIsPromptCharactersOverFourPlusTheMaximumNewTokensOfEveryChoice() {
        assertThat(policy.estimate(chat("{\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(40) + "\"}],\"max_tokens\":8}")))
                .isEqualTo(10 + 8);
        assertThat(policy.estimate(chat("{\"messages\":[{\"role\":\"user\",\"content\":\"abcd\"}],\"max_completion_tokens\":5,"
                + "\"max_tokens\":99,\"n\":3}"))).isEqualTo(1 + 15);
        // No maximum: the served model's context (millrace-tiny: 512).
        assertThat(policy.estimate(chat("{\"messages\":[{\"role\":\"user\",\"content\":\"abcd\"}]}").withModel("millrace-tiny")))
                .isEqualTo(1 + 512);
        // A legacy completion of two prompts: one maximum per prompt.
        assertThat(policy.estimate(chat("{\"prompt\":[\"abcd\",\"efgh\"],\"max_tokens\":4}"))).isEqualTo(3 + 8);
    }

    @Test
    void aQuotaMustNameATenantAndGiveItTokens() {
        assertThatThrownBy(() -> new QuotaPolicy(Map.of("acme", 0L), CATALOG)).hasMessageContaining("at least 1 token per day");
        assertThatThrownBy(() -> new QuotaPolicy(Map.of(" ", 5L), CATALOG)).hasMessageContaining("name a tenant");
    }

    private static RequestEvent chat(String body) {
        return new RequestEvent("r", null, "r", null, "POST", "/v1/chat/completions", json(body), null, 0);
    }
}
