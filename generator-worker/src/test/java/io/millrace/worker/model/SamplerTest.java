package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final float[] LOGITS = {1.0f, 3.0f, 3.0f, 2.5f, -1.0f};

    @Test
    void temperatureZeroIsArgmaxWithTiesToTheLowerId() {
        assertThat(new Sampler(0, 1, 1).next(LOGITS)).isEqualTo(1);
    }

    @Test
    void tinyTopPKeepsOnlyTheMostLikelyToken() {
        Sampler sampler = new Sampler(1.0, 0.0, 3);
        for (int i = 0; i < 50; i++) {
            assertThat(sampler.next(LOGITS)).isEqualTo(1);
        }
    }

    @Test
    void topPExcludesTheTail() {
        // Probabilities ≈ [.05, .37, .37, .22, .01]: a 0.8 nucleus is {1, 2, 3}.
        Sampler sampler = new Sampler(1.0, 0.8, 5);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            seen.add(sampler.next(LOGITS));
        }
        assertThat(seen).containsExactlyInAnyOrder(1, 2, 3);
    }

    @Test
    void fullDistributionReachesEveryToken() {
        Sampler sampler = new Sampler(5.0, 1.0, 11);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            seen.add(sampler.next(LOGITS));
        }
        assertThat(seen).containsExactlyInAnyOrder(0, 1, 2, 3, 4);
    }

    @Test
    void sameSeedSameSequence() {
        Sampler a = new Sampler(0.9, 0.95, 42);
        Sampler b = new Sampler(0.9, 0.95, 42);
        for (int i = 0; i < 100; i++) {
            assertThat(b.next(LOGITS)).isEqualTo(a.next(LOGITS));
        }
    }
}
