package io.millrace.remote;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
    private final RetryPolicy policy = new RetryPolicy(4, Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofSeconds(30));

    @Test
    void backOffDoublesUpToItsCapWithJitterInTheUpperHalf() {
        assertThat(policy.delay(1, OptionalLong.empty(), () -> 0.0)).contains(Duration.ofMillis(100));
        assertThat(policy.delay(1, OptionalLong.empty(), () -> 0.999)).hasValueSatisfying(d -> assertThat(d.toMillis()).isBetween(190L, 200L));
        assertThat(policy.delay(2, OptionalLong.empty(), () -> 0.0)).contains(Duration.ofMillis(200));
        assertThat(policy.delay(3, OptionalLong.empty(), () -> 0.0)).contains(Duration.ofMillis(400));
        RetryPolicy many = new RetryPolicy(50, Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofSeconds(30));
        assertThat(many.delay(40, OptionalLong.empty(), () -> 0.999)).hasValueSatisfying(d -> assertThat(d).isLessThanOrEqualTo(Duration.ofSeconds(1)));
    }

    @Test
    void attemptsAreBounded() {
        assertThat(policy.delay(3, OptionalLong.empty(), () -> 0.5)).isPresent();
        assertThat(policy.delay(4, OptionalLong.empty(), () -> 0.5)).isEmpty();
        assertThat(new RetryPolicy(1, Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofSeconds(30))
                .delay(1, OptionalLong.empty(), () -> 0.5)).isEmpty();
    }

    @Test
    void retryAfterIsHonouredAndTooLongGivesUp() {
        assertThat(policy.delay(1, OptionalLong.of(5_000), () -> 0.5)).contains(Duration.ofSeconds(5));
        assertThat(policy.delay(3, OptionalLong.of(10), () -> 0.0)).contains(Duration.ofMillis(400)); // the back-off is longer
        assertThat(policy.delay(1, OptionalLong.of(31_000), () -> 0.5)).isEmpty();
    }

    @Test
    void retryAfterReadsSecondsAndHttpDates() {
        assertThat(RetryPolicy.retryAfterMs("2", 0)).hasValue(2_000);
        assertThat(RetryPolicy.retryAfterMs(" 0 ", 0)).hasValue(0);
        long now = java.time.ZonedDateTime.parse("Sun, 06 Dec 2026 10:00:00 GMT",
                java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
        assertThat(RetryPolicy.retryAfterMs("Sun, 06 Dec 2026 10:00:03 GMT", now)).hasValue(3_000);
        assertThat(RetryPolicy.retryAfterMs("Sun, 06 Dec 2026 09:00:00 GMT", now)).hasValue(0);
        assertThat(RetryPolicy.retryAfterMs("soon", 0)).isEmpty();
        assertThat(RetryPolicy.retryAfterMs("-1", 0)).isEmpty();
        assertThat(RetryPolicy.retryAfterMs(null, 0)).isEmpty();
    }

    @Test
    void laterAnswersAreRetriableAndRefusalsAreNot() {
        for (int s : new int[] {408, 429, 500, 502, 503, 504}) {
            assertThat(RetryPolicy.retriable(s)).as("status %d", s).isTrue();
        }
        for (int s : new int[] {400, 401, 403, 404, 413, 422, 501, 505}) {
            assertThat(RetryPolicy.retriable(s)).as("status %d", s).isFalse();
        }
    }
}
