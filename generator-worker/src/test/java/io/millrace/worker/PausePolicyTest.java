package io.millrace.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class PausePolicyTest {
    static final TopicPartition P0 = new TopicPartition("t", 0);
    static final TopicPartition P1 = new TopicPartition("t", 1);
    static final List<TopicPartition> BOTH = List.of(P0, P1);

    private final PausePolicy policy = new PausePolicy(8, 32);

    @Test
    void belowTheInFlightBoundNothingIsPaused() {
        assertThat(policy.toPause(BOTH, 7, Map.of(P0, 4, P1, 3))).isEmpty();
    }

    @Test
    void atTheInFlightBoundEveryPartitionIsPaused() {
        assertThat(policy.toPause(BOTH, 8, Map.of())).containsExactlyInAnyOrder(P0, P1);
        assertThat(policy.toPause(BOTH, 20, Map.of())).containsExactlyInAnyOrder(P0, P1);
    }

    @Test
    void aPartitionHoldingTooMuchBehindItsHeadIsPausedAlone() {
        assertThat(policy.toPause(BOTH, 1, Map.of(P0, 32, P1, 31))).containsExactly(P0);
    }

    @Test
    void onlyAssignedPartitionsArePaused() {
        // After a rebalance the queue of a revoked partition may still be counted for a moment.
        assertThat(policy.toPause(List.of(P1), 1, Map.of(P0, 100))).isEmpty();
        assertThat(policy.toPause(List.of(P1), 9, Map.of())).containsExactly(P1);
    }
}
