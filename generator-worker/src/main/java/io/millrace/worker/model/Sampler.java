package io.millrace.worker.model;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from a logits row: greedy at temperature 0, otherwise a draw from the
 * temperature-scaled softmax cut to the top-k tokens and then to the top-p nucleus of those (the
 * order vLLM applies them). All randomness comes from one seeded {@link SplittableRandom} per
 * completion, and ties are broken by lower token id, so the same seed and prompt always give the
 * same tokens.
 */
final class Sampler {
    private final double temperature;
    private final double topP;
    private final int topK;
    private final SplittableRandom random;

    /** @param topK 0 for no top-k cut */
    Sampler(double temperature, double topP, int topK, long seed) {
        this.temperature = temperature;
        this.topP = topP;
        this.topK = topK;
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
        boolean cutK = topK > 0 && topK < logits.length;
        if (!cutK && topP >= 1) {
            return draw(probs, sum);
        }
        return drawFromNucleus(probs, cutK ? largest(probs, sum, topK) : nucleusCandidates(probs, sum));
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

    /**
     * Keeps the most likely of the {@code ranked} candidates whose share of the candidates' mass
     * first reaches topP (at least one), then draws among them.
     *
     * @param ranked {@link #key}s, ascending (so most likely last)
     */
    private int drawFromNucleus(double[] probs, long[] ranked) {
        double pool = 0;
        for (long key : ranked) {
            pool += probs[idOf(key)];
        }
        double[] nucleus = new double[probs.length];
        double mass = 0;
        for (int k = ranked.length - 1; k >= 0; k--) {
            int id = idOf(ranked[k]);
            nucleus[id] = probs[id];
            mass += probs[id] / pool;
            if (mass >= topP) {
                break;
            }
        }
        return draw(nucleus, Arrays.stream(nucleus).sum());
    }

    /**
     * The tokens that can be in the top-p nucleus, ranked. A token below (1 - topP) / vocab of the
     * mass cannot: all such tokens together hold less than 1 - topP, so the ranked prefix reaches
     * topP before them. Sorting only the rest keeps a 50k vocabulary cheap at every step.
     */
    private long[] nucleusCandidates(double[] probs, double sum) {
        double floor = (1 - topP) / probs.length * sum;
        long[] keys = new long[probs.length];
        int n = 0;
        for (int i = 0; i < probs.length; i++) {
            if (probs[i] >= floor) {
                keys[n++] = key(probs[i] / sum, i);
            }
        }
        keys = Arrays.copyOf(keys, n);
        Arrays.sort(keys);
        return keys;
    }

    /** The {@code k} most likely tokens, ranked; a size-k min-heap so the vocabulary is scanned once. */
    private static long[] largest(double[] probs, double sum, int k) {
        long[] heap = new long[k];
        for (int i = 0; i < probs.length; i++) {
            long key = key(probs[i] / sum, i);
            if (i < k) {
                heap[i] = key;
                siftUp(heap, i);
            } else if (key > heap[0]) {
                heap[0] = key;
                siftDown(heap, k);
            }
        }
        Arrays.sort(heap);
        return heap;
    }

    /**
     * Orders by probability, then by lower id, in one primitive long: the float bits of a
     * non-negative number order like the number, and the low word holds ~id.
     */
    private static long key(double prob, int id) {
        return ((long) Float.floatToIntBits((float) prob) << 32) | (~id & 0xFFFFFFFFL);
    }

    private static int idOf(long key) {
        return ~(int) key;
    }

    private static void siftUp(long[] heap, int i) {
        while (i > 0 && heap[(i - 1) / 2] > heap[i]) {
            swap(heap, i, (i - 1) / 2);
            i = (i - 1) / 2;
        }
    }

    private static void siftDown(long[] heap, int size) {
        int i = 0;
        while (true) {
            int smallest = i;
            for (int child = 2 * i + 1; child <= 2 * i + 2 && child < size; child++) {
                if (heap[child] < heap[smallest]) {
                    smallest = child;
                }
            }
            if (smallest == i) {
                return;
            }
            swap(heap, i, smallest);
            i = smallest;
        }
    }

    private static void swap(long[] a, int i, int j) {
        long t = a[i];
        a[i] = a[j];
        a[j] = t;
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
