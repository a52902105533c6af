package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StepPlannerTest {
    private final StepPlanner planner = new StepPlanner(new EngineConfig(4, 32, 16, 0));

    @Test
    void decodesComeFirstThenChunksInAdmissionOrderWithinTheBudget() {
        assertThat(planner.chunks(0, new int[] {40, 5, 30})).containsExactly(16, 5, 11);
        assertThat(planner.chunks(10, new int[] {30, 5})).containsExactly(16, 5);
        assertThat(planner.chunks(10, new int[] {30, 30})).containsExactly(16, 6);
        assertThat(planner.chunks(30, new int[] {30, 30})).containsExactly(2, 0);
        assertThat(planner.chunks(32, new int[] {30})).containsExactly(0);
        assertThat(planner.chunks(3, new int[0])).isEmpty();
    }

    @Test
    void admitsUpToTheBatchSize() {
        assertThat(planner.admissions(0, 10)).isEqualTo(4);
        assertThat(planner.admissions(3, 10)).isEqualTo(1);
        assertThat(planner.admissions(1, 2)).isEqualTo(2);
        assertThat(planner.admissions(4, 10)).isZero();
    }
}
