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
}
