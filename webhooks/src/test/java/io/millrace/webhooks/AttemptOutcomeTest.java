package io.millrace.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.webhooks.AttemptOutcome.Kind;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AttemptOutcomeTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    @ParameterizedTest
    @CsvSource({"200, DELIVERED", "204, DELIVERED", "299, DELIVERED", "410, DISABLE", "301, RETRY", "302, RETRY",
            "400, RETRY", "404, RETRY", "500, RETRY", "429, RETRY", "503, RETRY", "100, RETRY"})
    void classifiesStatuses(int status, Kind kind) {
        assertThat(AttemptOutcome.of(status, null, NOW).kind()).isEqualTo(kind);
    }

    @Test
    void throttlingHonoursRetryAfterInSecondsOrAsADate() {
        assertThat(AttemptOutcome.of(503, "120", NOW).notBefore()).contains(NOW.plusSeconds(120));
        assertThat(AttemptOutcome.of(429, "Thu, 01 Jan 2026 00:05:00 GMT", NOW).notBefore()).contains(NOW.plusSeconds(300));
    }

    @Test
    void retryAfterIsIgnoredWhereItDoesNotApplyOrMakesNoSense() {
        assertThat(AttemptOutcome.of(500, "120", NOW).notBefore()).isEmpty();
        assertThat(AttemptOutcome.of(503, "soon", NOW).notBefore()).isEmpty();
        assertThat(AttemptOutcome.of(503, "Wed, 31 Dec 2025 00:00:00 GMT", NOW).notBefore()).isEmpty();
        // A week is capped at a day: a receiver cannot park an event past the longest tier.
        assertThat(AttemptOutcome.of(503, "604800", NOW).notBefore()).isEqualTo(Optional.of(NOW.plus(AttemptOutcome.MAX_RETRY_AFTER)));
    }
}
