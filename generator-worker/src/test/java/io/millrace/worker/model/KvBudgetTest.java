package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.worker.model.KvBudget.Demand;
import org.junit.jupiter.api.Test;

class KvBudgetTest {
    /** 10 bytes a token keeps the arithmetic readable. */
    private static final long TOKEN = 10;

    @Test
    void reservesBothBatchBuffersAtTheLongestContextAndTwicePromptsStillPrefilling() {
        KvBudget budget = new KvBudget(10_000, TOKEN);
        Demand d = Demand.NONE.plus(20, 100).plus(5, 40);
        assertThat(d).isEqualTo(new Demand(2, 100, 25));
        // Batch: 2 buffers × 2 rows × 100 tokens; prefill: 2 × 25 tokens.
        assertThat(budget.batchBytes(d, 0)).isEqualTo(4_000);
        assertThat(budget.reservedBytes(d, 0)).isEqualTo(4_500);
        assertThat(budget.prefixCacheRoom(d, 0)).isEqualTo(5_500);
        // Once prefilled, a sequence holds only its rows.
        assertThat(budget.reservedBytes(new Demand(2, 100, 0), 0)).isEqualTo(4_000);
    }

    @Test
    void buffersAlreadyHeldCountWhenMoreThanTheReservation() {
        KvBudget budget = new KvBudget(10_000, TOKEN);
        Demand d = Demand.NONE.plus(0, 100);
        assertThat(budget.batchBytes(d, 9_000)).isEqualTo(9_000);
        assertThat(budget.prefixCacheRoom(d, 9_000)).isEqualTo(1_000);
        assertThat(budget.fits(d.plus(60, 50), 9_000)).as("its prefill fits beside the reservation, not beside the buffers").isFalse();
        assertThat(budget.fits(d.plus(60, 50), 0)).isTrue();
    }

    @Test
    void admitsUpToTheBudgetExactly() {
        KvBudget budget = new KvBudget(4_000, TOKEN);
        Demand one = Demand.NONE.plus(0, 100);
        assertThat(budget.fits(one.plus(0, 100), 0)).isTrue(); // 2 × 2 × 100 × 10 = 4000
        assertThat(budget.fits(one.plus(0, 101), 0)).isFalse();
        assertThat(budget.fits(one.plus(1, 100), 0)).as("its prompt's prefill needs room too").isFalse();
        assertThat(budget.prefixCacheRoom(one.plus(1, 100), 0)).isZero();
    }

    @Test
    void saysWhyARequestCouldNeverRunAndHowToFixIt() {
        KvBudget budget = new KvBudget(4 << 20, 1024);
        assertThat(budget.neverFits(100, 1000)).isNull(); // 2 × 1000 + 2 × 100 tokens of 1 KiB
        assertThat(budget.neverFits(100, 1948)).isNull(); // 4096 KiB exactly
        assertThat(budget.neverFits(100, 1949)).isNotNull();
        assertThat(budget.neverFits(100, 2000))
                .contains("needs 4.1 MiB of KV cache (100 prompt tokens, up to 2000 in all)")
                .contains("KV budget is 4.0 MiB")
                .contains("raise worker.kv.memory");
    }
}
