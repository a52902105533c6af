package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopHoldbackTest {
    @Test
    void holdsBackTheLongestEndThatMayStartAStopString() {
        assertThat(StopHoldback.length("the mill wh", List.of("wheel"))).isEqualTo(2);
        assertThat(StopHoldback.length("the mill w", List.of("wheel", "water"))).isEqualTo(1);
        assertThat(StopHoldback.length("the mill", List.of("wheel"))).isZero();
        assertThat(StopHoldback.length("abc", List.of())).isZero();
        assertThat(StopHoldback.length("x\n\n", List.of("\n\n\n", "END"))).isEqualTo(2);
        assertThat(StopHoldback.length("", List.of("a"))).isZero();
    }
}
