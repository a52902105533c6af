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
    void batchWorkBorrowsTheInteractiveRowsAndGivesThemBackWhenAPromptArrives() {
        // 4 rows, 1 kept: with no interactive prompt waiting, batch work may take all 4.
        StepPlanner keeping = new StepPlanner(new EngineConfig(4, 32, 16, 0, 1L << 30, 1));
        assertThat(keeping.batchAdmissions(0, 10)).isEqualTo(4);
        assertThat(keeping.batchAdmissions(3, 10)).isEqualTo(1);
        assertThat(keeping.batchAdmissions(4, 10)).isZero();
        // An interactive prompt arrives: the batch sequence on the borrowed row gives it back.
        assertThat(keeping.preemptions(4, 4, 1)).isEqualTo(1);
        // Two arrive: only the one borrowed row is taken back; the second waits as it did with the row kept empty.
        assertThat(keeping.preemptions(4, 4, 2)).isEqualTo(1);
        // A row is free already, or batch work borrowed nothing: nobody is preempted.
        assertThat(keeping.preemptions(3, 3, 1)).isZero();
        assertThat(keeping.preemptions(4, 3, 1)).isZero(); // one interactive runs on the kept row
        assertThat(keeping.preemptions(4, 4, 0)).isZero();
        // 2 kept, the batch on all 4 rows and 3 interactive prompts waiting: the 2 borrowed rows come back.
        StepPlanner two = new StepPlanner(new EngineConfig(4, 32, 16, 0, 1L << 30, 2));
        assertThat(two.preemptions(4, 4, 3)).isEqualTo(2);
        assertThat(two.preemptions(3, 3, 3)).isEqualTo(1); // one row free, one more taken back
        // None kept: batch work is never preempted.
        StepPlanner none = new StepPlanner(new EngineConfig(4, 32, 16, 0, 1L << 30, 0));
        assertThat(none.preemptions(4, 4, 5)).isZero();
        // Interactive prompts may take every row.
        assertThat(keeping.admissions(3, 10)).isEqualTo(1);
    }
}
