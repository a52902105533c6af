package io.millrace.eval;

/**
 * McNemar's test of two models' accuracies on the same items, exact form: only the discordant
 * items count (A right and B wrong, or the reverse), and under "no difference" each is a fair coin,
 * so the two-sided p-value is twice the binomial tail of the smaller count, at most 1. The exact
 * form rather than the chi-squared approximation because eval sets are small and discordant pairs
 * fewer still.
 *
 * @param onlyA items A got right and B wrong
 * @param onlyB items B got right and A wrong
 */
public record McNemar(int onlyA, int onlyB, double pValue) {

    /** The test over per-item correctness (scores 0 or 1) of A and B on the same items. */
    public static McNemar of(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("McNemar's test needs the same items: " + a.length + " against " + b.length);
        }
        int onlyA = 0;
        int onlyB = 0;
        for (int i = 0; i < a.length; i++) {
            if (!binary(a[i]) || !binary(b[i])) {
                throw new IllegalArgumentException("McNemar's test needs right/wrong scores (0 or 1); item " + i + " has "
                        + a[i] + " and " + b[i]);
            }
            if (a[i] == 1 && b[i] == 0) {
                onlyA++;
            } else if (a[i] == 0 && b[i] == 1) {
                onlyB++;
            }
        }
        return new McNemar(onlyA, onlyB, exactPValue(onlyA, onlyB));
    }

    static boolean binary(double x) {
        return x == 0 || x == 1;
    }

    static double exactPValue(int b, int c) {
        int n = b + c;
        if (n == 0) {
            return 1;
        }
        int k = Math.min(b, c);
        // Sum C(n, i) / 2^n for i <= k in log space: n can be in the thousands.
        double tail = 0;
        for (int i = 0; i <= k; i++) {
            tail += Math.exp(logChoose(n, i) - n * Math.log(2));
        }
        return Math.min(1, 2 * tail);
    }

    private static double logChoose(int n, int k) {
        double s = 0;
        for (int i = 1; i <= k; i++) {
            s += Math.log(n - k + i) - Math.log(i);
        }
        return s;
    }
}
