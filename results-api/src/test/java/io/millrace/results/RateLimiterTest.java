package io.millrace.results;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
    final AtomicLong now = new AtomicLong(1_000_000_000L);
    final RateLimiter limiter = new RateLimiter(now::get);

    @Test
    void admitsUpToTheRequestLimitThenSaysHowLongToWait() {
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.admit("k", 3, 0, 10).admitted()).isTrue();
        }
        RateLimiter.Decision refused = limiter.admit("k", 3, 0, 10);

        assertThat(refused.admitted()).isFalse();
        assertThat(refused.limitedBy()).isEqualTo("requests");
        assertThat(refused.retryAfter()).isEqualTo(Duration.ofSeconds(20)); // one request refills in 60 s / 3
        assertThat(refused.headers()).containsEntry("x-ratelimit-limit-requests", "3")
                .containsEntry("x-ratelimit-remaining-requests", "0").containsEntry("x-ratelimit-reset-requests", "1m0s");

        now.addAndGet(Duration.ofSeconds(20).toNanos());
        assertThat(limiter.admit("k", 3, 0, 10).admitted()).isTrue();
    }

    @Test
    void tokensAreChargedOnlyWhenAdmitted() {
        assertThat(limiter.admit("k", 0, 100, 60).admitted()).isTrue();
        RateLimiter.Decision refused = limiter.admit("k", 0, 100, 60);

        assertThat(refused.admitted()).isFalse();
        assertThat(refused.limitedBy()).isEqualTo("tokens");
        assertThat(refused.headers()).containsEntry("x-ratelimit-remaining-tokens", "40");
        assertThat(limiter.admit("k", 0, 100, 40).admitted()).as("the refused request took nothing").isTrue();
    }

    @Test
    void aRequestLargerThanTheWholeBucketPassesWhenTheBucketIsFull() {
        assertThat(limiter.admit("k", 0, 100, 1_000).admitted()).isTrue();
        assertThat(limiter.admit("k", 0, 100, 1).admitted()).isFalse();
    }

    @Test
    void keysHaveTheirOwnBucketsAndZeroMeansNoLimit() {
        assertThat(limiter.admit("a", 1, 0, 1).admitted()).isTrue();
        assertThat(limiter.admit("b", 1, 0, 1).admitted()).isTrue();
        assertThat(limiter.admit("a", 1, 0, 1).admitted()).isFalse();
        for (int i = 0; i < 1000; i++) {
            assertThat(limiter.admit("free", 0, 0, 1_000_000).admitted()).isTrue();
        }
        assertThat(limiter.admit("free", 0, 0, 1).headers()).isEmpty();
    }

    @Test
    void resetTimesAreWrittenAsOpenAiDoes() {
        assertThat(RateLimiter.resetText(Duration.ofMillis(120).toNanos())).isEqualTo("120ms");
        assertThat(RateLimiter.resetText(Duration.ofSeconds(1).toNanos())).isEqualTo("1s");
        assertThat(RateLimiter.resetText(Duration.ofSeconds(360).toNanos())).isEqualTo("6m0s");
    }
}
