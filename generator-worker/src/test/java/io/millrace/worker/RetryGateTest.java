package io.millrace.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class RetryGateTest {
    private static final TopicPartition A = new TopicPartition("millrace.gen.m-retry-1000", 0);
    private static final TopicPartition B = new TopicPartition("millrace.gen.m-retry-1000", 1);

    @Test
    void holdsAPartitionUntilItsHeadIsDueThenLetsItGo() {
        RetryGate gate = new RetryGate();
        gate.hold(A, 1_000);
        gate.hold(B, 2_000);
        assertThat(gate.holds(A, 999)).isTrue();
        assertThat(gate.held(999)).containsExactlyInAnyOrder(A, B);
        assertThat(gate.holds(A, 1_000)).as("due at its due time, not after").isFalse();
        assertThat(gate.held(1_000)).containsExactly(B);
        assertThat(gate.held(2_000)).isEmpty();
    }

    @Test
    void forgetsReleasedPartitions() {
        RetryGate gate = new RetryGate();
        gate.hold(A, 5_000);
        gate.release(List.of(A));
        assertThat(gate.holds(A, 0)).isFalse();
        assertThat(gate.held(0)).isEmpty();
    }
}
