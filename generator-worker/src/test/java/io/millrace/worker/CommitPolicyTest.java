package io.millrace.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CommitPolicyTest {
    private final CommitPolicy policy = new CommitPolicy(Duration.ofMillis(100), 10);

    @Test
    void nothingReadyIsNeverDue() {
        assertThat(policy.due(0, 1_000_000)).isFalse();
    }

    @Test
    void anIdleWorkerCommitsAtOnce() {
        assertThat(policy.due(1, 5_000)).isTrue();
    }

    @Test
    void whileResultsKeepComingItCommitsEveryIntervalOrEveryMaxResults() {
        policy.committed(5_000);
        assertThat(policy.due(1, 5_050)).isFalse();
        assertThat(policy.due(9, 5_099)).isFalse();
        assertThat(policy.due(10, 5_001)).isTrue();
        assertThat(policy.due(1, 5_100)).isTrue();
    }

    @Test
    void aResultAWaitingClientNeedsIsCommittedAtOnceWhateverTheInterval() {
        policy.committed(5_000);
        assertThat(policy.due(1, true, 5_001)).isTrue();
        assertThat(policy.due(1, false, 5_001)).isFalse();
        assertThat(policy.due(0, true, 5_001)).isFalse();
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> new CommitPolicy(Duration.ofMillis(-1), 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CommitPolicy(Duration.ZERO, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
