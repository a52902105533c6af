package io.millrace.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BudgetUsdTest {
    @Test
    void aBudgetIsAFiniteNumberOfDollarsAboveZero() {
        assertThat(BudgetUsd.parse("2.50")).hasValue(2.5);
        assertThat(BudgetUsd.parse(" 0.00025 ")).hasValue(0.00025);
        for (String bad : new String[] {null, "", "abc", "0", "-1", "NaN", "Infinity", "1e999", "$2"}) {
            assertThat(BudgetUsd.parse(bad)).as(String.valueOf(bad)).isEmpty();
        }
    }
}
