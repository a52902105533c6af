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

    @Test
    void batchWorkLeavesTheInteractiveRowsFree() {
        // 4 rows, 1 kept: batch work runs at most 3, and takes no row an interactive prompt holds.
        StepPlanner keeping = new StepPlanner(new EngineConfig(4, 32, 16, 0, 1L << 30, 1));
        assertThat(keeping.batchAdmissions(0, 0, 10)).isEqualTo(3);
        assertThat(keeping.batchAdmissions(3, 3, 10)).isZero();
        assertThat(keeping.batchAdmissions(2, 1, 10)).isEqualTo(2); // one interactive runs: it uses the kept row
        assertThat(keeping.batchAdmissions(4, 2, 10)).isZero();     // two interactive: the batch is full anyway
        assertThat(keeping.batchAdmissions(1, 0, 1)).isEqualTo(1);
        // Interactive prompts may take every row.
        assertThat(keeping.admissions(3, 10)).isEqualTo(1);
    }
}
