package io.millrace.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.events.HealthEvent;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The circuit as a plain function of reports and a time: every transition, with the time given, no clock. */
class CircuitBreakerTest {
    private static final long T0 = 1_700_000_000_000L;
    /** Dead after 10 s; 3 failures within 30 s open it; 20 s cooldown. */
    private static final HealthSettings SETTINGS = new HealthSettings(Duration.ofSeconds(10), 3, Duration.ofSeconds(30),
            Duration.ofSeconds(20), Duration.ofSeconds(1), false, Duration.ofSeconds(1));
    private final CircuitBreaker breaker = new CircuitBreaker(SETTINGS);

    private static HealthEvent beat(String worker, long at) {
        return new HealthEvent(worker, "a", true, 1, 2, 0, 0, at, 2000);
    }

    private static HealthEvent failures(String worker, long at, long n) {
        return new HealthEvent(worker, "a", true, 0, 0, 0, n, at, 2000);
    }

    private static HealthEvent successes(String worker, long at, long n) {
        return new HealthEvent(worker, "a", true, 0, 0, n, 0, at, 2000);
    }

    private static HealthEvent goodbye(String worker, long at) {
        return new HealthEvent(worker, "a", false, 0, 0, 0, 0, at, 2000);
    }

    @Test
    void aModelNoWorkerHasReportedOnIsClosed() {
        assertThat(breaker.status(null, T0).state()).isEqualTo(CircuitState.State.CLOSED);
    }

    @Test
    void aModelWhoseWorkersFallSilentOpensAfterDeadAfterAndSaysHowLong() {
        ModelHealth h = breaker.apply(null, beat("w1", T0));
        assertThat(breaker.status(h, T0 + 9_999).state()).isEqualTo(CircuitState.State.CLOSED);
        CircuitState open = breaker.status(h, T0 + 12_000);
        assertThat(open.state()).isEqualTo(CircuitState.State.OPEN);
        assertThat(open.describe()).isEqualTo("circuit open (no live worker for 12s)");
    }

    @Test
    void oneLiveWorkerOfTwoKeepsTheModelClosed() {
        ModelHealth h = breaker.apply(null, beat("w1", T0));
        h = breaker.apply(h, beat("w2", T0 + 8_000));
        h = breaker.apply(h, goodbye("w1", T0 + 9_000));
        assertThat(breaker.status(h, T0 + 15_000).state()).isEqualTo(CircuitState.State.CLOSED);
        assertThat(breaker.status(h, T0 + 19_000).state()).as("w2 silent for 11 s too").isEqualTo(CircuitState.State.OPEN);
    }

    @Test
    void aGoodbyeCountsAsTheLastLiveMomentSoAQuickRestartDoesNotOpen() {
        ModelHealth h = breaker.apply(null, beat("w1", T0));
        h = breaker.apply(h, goodbye("w1", T0 + 1_000));
        assertThat(breaker.status(h, T0 + 5_000).state()).isEqualTo(CircuitState.State.CLOSED);
        assertThat(breaker.status(h, T0 + 11_000).state()).isEqualTo(CircuitState.State.OPEN);
        h = breaker.apply(h, beat("w1", T0 + 6_000)); // back before dead.after: never open, never probing
        assertThat(breaker.status(h, T0 + 7_000).state()).isEqualTo(CircuitState.State.CLOSED);
    }

    @Test
    void aWorkerBackAfterTheModelWasDeadIsProbedUntilASuccessClosesIt() {
        ModelHealth h = breaker.apply(null, beat("w1", T0));
        h = breaker.apply(h, beat("w1", T0 + 30_000)); // 30 s of silence: it was dead
        CircuitState probing = breaker.status(h, T0 + 30_500);
        assertThat(probing.state()).isEqualTo(CircuitState.State.HALF_OPEN);
        assertThat(probing.reason()).contains("a worker is back");
        h = breaker.apply(h, beat("w1", T0 + 32_000)); // a heartbeat alone proves liveness, not that generation works
        assertThat(breaker.status(h, T0 + 32_500).state()).isEqualTo(CircuitState.State.HALF_OPEN);
        h = breaker.apply(h, successes("w1", T0 + 34_000, 1));
        assertThat(breaker.status(h, T0 + 34_500).state()).isEqualTo(CircuitState.State.CLOSED);
    }

    @Test
    void nFailuresWithinTheWindowOpenForTheCooldownThenHalfOpen() {
        ModelHealth h = breaker.apply(null, beat("w1", T0));
        h = breaker.apply(h, failures("w1", T0 + 1_000, 1));
        h = breaker.apply(h, failures("w1", T0 + 2_000, 1));
        assertThat(breaker.status(h, T0 + 2_500).state()).as("2 of 3").isEqualTo(CircuitState.State.CLOSED);
        h = breaker.apply(h, failures("w1", T0 + 3_000, 1));
        CircuitState open = breaker.status(h, T0 + 4_000);
        assertThat(open.state()).isEqualTo(CircuitState.State.OPEN);
        assertThat(open.reason()).startsWith("3 generation failures within 30s").contains("cooling down for 19s");
        h = breaker.apply(h, beat("w1", T0 + 5_000)); // still live: the failures, not silence, hold it open
        assertThat(breaker.status(h, T0 + 22_999).state()).isEqualTo(CircuitState.State.OPEN);
        h = breaker.apply(h, beat("w1", T0 + 21_000));
        assertThat(breaker.status(h, T0 + 23_000).state()).isEqualTo(CircuitState.State.HALF_OPEN);
        assertThat(breaker.status(h, T0 + 23_000).reason()).isEqualTo("probing after 3 generation failures within 30s");
    }

    @Test
    void failuresOutsideTheWindowDoNotAddUp() {
        ModelHealth h = breaker.apply(null, failures("w1", T0, 2));
        for (long at = T0 + 9_000; at < T0 + 31_000; at += 9_000) {
            h = breaker.apply(h, beat("w1", at)); // live all along: no gap to recover from
        }
        h = breaker.apply(h, failures("w1", T0 + 31_000, 1));
        assertThat(breaker.status(h, T0 + 31_500).state()).isEqualTo(CircuitState.State.CLOSED);
        h = breaker.apply(h, failures("w1", T0 + 32_000, 5)); // a burst reported in one heartbeat
        assertThat(breaker.status(h, T0 + 32_500).state()).isEqualTo(CircuitState.State.OPEN);
        assertThat(h.failures()).as("kept bounded by the threshold").hasSize(3);
    }

    @Test
    void aProbeThatSucceedsClosesAndOneThatFailsOpensForAnotherCooldown() {
        ModelHealth tripped = breaker.apply(null, failures("w1", T0, 3));
        assertThat(breaker.status(tripped, T0 + 1_000).state()).isEqualTo(CircuitState.State.OPEN);

        ModelHealth failedAgain = breaker.apply(tripped, failures("w1", T0 + 21_000, 1));
        CircuitState reopened = breaker.status(failedAgain, T0 + 22_000);
        assertThat(reopened.state()).isEqualTo(CircuitState.State.OPEN);
        assertThat(reopened.reason()).contains("failed again after the cooldown");
        ModelHealth stillLive = breaker.apply(failedAgain, beat("w1", T0 + 40_000));
        assertThat(breaker.status(stillLive, T0 + 41_000).state()).isEqualTo(CircuitState.State.HALF_OPEN);

        ModelHealth closed = breaker.apply(tripped, successes("w1", T0 + 21_000, 1));
        assertThat(breaker.status(closed, T0 + 22_000).state()).isEqualTo(CircuitState.State.CLOSED);
        assertThat(closed.failures()).isEmpty();
    }

    @Test
    void successesDuringTheCooldownDoNotCloseEarly() {
        ModelHealth h = breaker.apply(null, failures("w1", T0, 3));
        h = breaker.apply(h, successes("w1", T0 + 5_000, 4)); // requests that were already running
        assertThat(breaker.status(h, T0 + 6_000).state()).isEqualTo(CircuitState.State.OPEN);
    }

    @Test
    void theRecordDependsOnReportsOnlySoEveryRouterThatReadThemAgrees() {
        ModelHealth one = breaker.apply(breaker.apply(null, beat("w1", T0)), failures("w1", T0 + 1_000, 3));
        ModelHealth two = new CircuitBreaker(SETTINGS).apply(new CircuitBreaker(SETTINGS).apply(null, beat("w1", T0)),
                failures("w1", T0 + 1_000, 3));
        assertThat(one).isEqualTo(two);
        assertThat(ModelHealth.fromBytes(one.toBytes())).isEqualTo(one);
    }
}
