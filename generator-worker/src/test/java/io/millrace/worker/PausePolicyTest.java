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

    @Test
    void batchWorkLeavesTheReservedCapacityToTheInteractiveLane() {
        TopicPartition lane = new TopicPartition(io.millrace.protocol.Topics.interactive("m").name(), 0);
        TopicPartition gen = new TopicPartition(io.millrace.protocol.Topics.generation("m").name(), 0);
        TopicPartition retry = new TopicPartition(io.millrace.protocol.Topics.retry("m", 1000).name(), 0);
        PausePolicy reserving = new PausePolicy(8, 32, 2);
        List<TopicPartition> all = List.of(lane, gen, retry);

        // 6 batch requests generate: batch partitions (retries too) pause, the interactive lane reads on.
        assertThat(reserving.toPause(all, 6, 6, Map.of())).containsExactlyInAnyOrder(gen, retry);
        assertThat(reserving.toPause(all, 5, 5, Map.of())).isEmpty();
        // Interactive requests may take the whole capacity, and batch work then waits too.
        assertThat(reserving.toPause(all, 7, 1, Map.of())).isEmpty();
        assertThat(reserving.toPause(all, 8, 1, Map.of())).containsExactlyInAnyOrder(lane, gen, retry);
    }

    @Test
    void theReserveMustLeaveBatchWorkSomeCapacity() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new PausePolicy(4, 32, 4))
                .hasMessageContaining("from 0 to 3");
    }
}
