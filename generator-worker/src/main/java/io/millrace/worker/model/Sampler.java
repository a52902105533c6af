package io.millrace.worker.model;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from a logits row: greedy at temperature 0, otherwise temperature-scaled
 * softmax restricted to the top-p nucleus. All randomness comes from one seeded
 * {@link SplittableRandom} per completion, and ties are broken by lower token id, so the same
 * seed and prompt always give the same tokens.
 */
final class Sampler {
    private final double temperature;
    private final double topP;
    private final SplittableRandom random;

    Sampler(double temperature, double topP, long seed) {
        this.temperature = temperature;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
    }

    int next(float[] logits) {
        if (temperature == 0) {
            return argmax(logits);
        }
        double max = logits[argmax(logits)];
        double[] probs = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            probs[i] = Math.exp((logits[i] - max) / temperature);
            sum += probs[i];
        }
        return topP >= 1 ? draw(probs, sum) : drawFromNucleus(probs, sum);
    }

    private int draw(double[] weights, double total) {
        double u = random.nextDouble() * total;
        int last = 0;
        for (int i = 0; i < weights.length; i++) {
            if (weights[i] > 0) {
                last = i;
                u -= weights[i];
                if (u < 0) {
                    return i;
                }
            }
        }
        return last; // rounding left u a hair above zero: the last candidate absorbs it
    }

    /** Keeps the most likely tokens whose mass first reaches topP (at least one), then draws among them. */
    private int drawFromNucleus(double[] probs, double sum) {
        // Sort by probability descending, ties by id ascending, with one primitive sort: the float
        // bits of a non-negative number order like the number, and the low word holds ~id.
        long[] keys = new long[probs.length];
        for (int i = 0; i < probs.length; i++) {
            keys[i] = ((long) Float.floatToIntBits((float) (probs[i] / sum)) << 32) | (~i & 0xFFFFFFFFL);
        }
        Arrays.sort(keys);
        double[] nucleus = new double[probs.length];
        double mass = 0;
        for (int k = keys.length - 1; k >= 0; k--) {
            int id = ~(int) keys[k];
            nucleus[id] = probs[id];
            mass += probs[id] / sum;
            if (mass >= topP) {
                break;
            }
        }
        return draw(nucleus, Arrays.stream(nucleus).sum());
    }

    private static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
