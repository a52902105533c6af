package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class LogprobsTest {
    @Test
    void logSoftmaxIsANormalizedLogDistribution() {
        double[] lp = Logprobs.logSoftmax(new float[] {1, 3, 3, 2.5f, -1, 1000});
        assertThat(Arrays.stream(lp).map(Math::exp).sum()).isCloseTo(1.0, within(1e-12));
        assertThat(lp[5]).isCloseTo(0.0, within(1e-12)).as("no overflow at large logits");
        assertThat(lp[1] - lp[0]).isCloseTo(2.0, within(1e-12));
    }

    @Test
    void topIdsAreLargestFirstWithTiesToTheLowerId() {
        double[] values = {0.1, 0.5, 0.5, 0.3, 0.9, 0.5};
        assertThat(Logprobs.topIds(values, 4)).containsExactly(4, 1, 2, 5);
        assertThat(Logprobs.topIds(values, 0)).isEmpty();
        assertThat(Logprobs.topIds(values, 10)).containsExactly(4, 1, 2, 5, 3, 0);
    }
}
