package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final float[] LOGITS = {1.0f, 3.0f, 3.0f, 2.5f, -1.0f};

    @Test
    void temperatureZeroIsArgmaxWithTiesToTheLowerId() {
        assertThat(new Sampler(0, 1, 0, 1).next(LOGITS)).isEqualTo(1);
    }

    @Test
    void tinyTopPKeepsOnlyTheMostLikelyToken() {
        Sampler sampler = new Sampler(1.0, 0.0, 0, 3);
        for (int i = 0; i < 50; i++) {
            assertThat(sampler.next(LOGITS)).isEqualTo(1);
        }
    }

    @Test
    void topPExcludesTheTail() {
        // Probabilities ≈ [.05, .37, .37, .22, .01]: a 0.8 nucleus is {1, 2, 3}.
        Sampler sampler = new Sampler(1.0, 0.8, 0, 5);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            seen.add(sampler.next(LOGITS));
        }
        assertThat(seen).containsExactlyInAnyOrder(1, 2, 3);
    }

    @Test
    void fullDistributionReachesEveryToken() {
        Sampler sampler = new Sampler(5.0, 1.0, 0, 11);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            seen.add(sampler.next(LOGITS));
        }
        assertThat(seen).containsExactlyInAnyOrder(0, 1, 2, 3, 4);
    }

    @Test
    void sameSeedSameSequence() {
        Sampler a = new Sampler(0.9, 0.95, 0, 42);
        Sampler b = new Sampler(0.9, 0.95, 0, 42);
        for (int i = 0; i < 100; i++) {
            assertThat(b.next(LOGITS)).isEqualTo(a.next(LOGITS));
        }
    }

    @Test
    void topKKeepsTheKMostLikelyWithTiesToTheLowerId() {
        Sampler sampler = new Sampler(5.0, 1.0, 2, 13);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            seen.add(sampler.next(LOGITS));
        }
        assertThat(seen).containsExactlyInAnyOrder(1, 2);
    }

    @Test
    void topPAppliesWithinTheTopK() {
        // Top 3 {1, 2, 3} renormalized ≈ [.39, .39, .23]: a 0.3 nucleus of them is {1}.
        Sampler sampler = new Sampler(1.0, 0.3, 3, 17);
        for (int i = 0; i < 50; i++) {
            assertThat(sampler.next(LOGITS)).isEqualTo(1);
        }
    }

    @Test
    void nucleusOfALargeVocabularyIsTheRankedPrefixReachingTopP() {
        Random random = new Random(5);
        float[] logits = new float[5000];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (random.nextGaussian() * 3);
        }
        double topP = 0.6;
        Set<Integer> nucleus = referenceNucleus(logits, topP);
        Sampler sampler = new Sampler(1.0, topP, 0, 23);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 20_000; i++) {
            seen.add(sampler.next(logits));
        }
        assertThat(nucleus).containsAll(seen);
        assertThat(seen.size()).isGreaterThan(nucleus.size() / 2);
    }

    /** Sorts the whole vocabulary, as the top-p definition reads. */
    private static Set<Integer> referenceNucleus(float[] logits, double topP) {
        double max = logits[Sampler.argmax(logits)];
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        Set<Integer> nucleus = new HashSet<>();
        double mass = 0;
        for (int id : order) {
            nucleus.add(id);
            mass += p[id] / sum;
            if (mass >= topP) {
                break;
            }
        }
        return nucleus;
    }
}
