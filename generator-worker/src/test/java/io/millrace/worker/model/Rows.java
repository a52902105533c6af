package io.millrace.worker.model;

import java.util.Arrays;

/** Building the rows of a forward pass by hand, and comparing logits, in the model tests. */
final class Rows {
    private Rows() {}

    static long[][] rows(long[] row) {
        return new long[][] {row};
    }

    static long[] ones(int n) {
        long[] a = new long[n];
        Arrays.fill(a, 1);
        return a;
    }

    static long[] range(int from, int n) {
        long[] a = new long[n];
        for (int i = 0; i < n; i++) {
            a[i] = from + i;
        }
        return a;
    }

    /** The largest elementwise difference of two logit rows of one length. */
    static float maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("logit rows of " + a.length + " and " + b.length + " values");
        }
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    /** Max minus min of a row: a row of equal values would make any comparison vacuous. */
    static float spread(float[] a) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float v : a) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        return max - min;
    }
}
