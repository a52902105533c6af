package io.millrace.eval;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Bootstrap resampling of per-item scores: the standard error is the standard deviation of the
 * resampled means, the 95% interval their 2.5th and 97.5th percentiles. Seeded with its own
 * generator, so the same scores give the same estimate on every run and machine: a rerun's
 * summary.json is byte-for-byte the same.
 */
public final class Bootstrap {
    public static final int DEFAULT_RESAMPLES = 1000;
    public static final long DEFAULT_SEED = 1234;

    private final int resamples;
    private final long seed;

    public Bootstrap(int resamples, long seed) {
        if (resamples < 2) {
            throw new IllegalArgumentException("bootstrap resamples is " + resamples + ": use at least 2 (1000 is usual)");
        }
        this.resamples = resamples;
        this.seed = seed;
    }

    /** The mean of {@code values}, its standard error and 95% interval. */
    public Estimate estimate(double[] values) {
        int n = values.length;
        if (n == 0) {
            return new Estimate(Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);
        }
        double mean = mean(values);
        SplittableRandom random = new SplittableRandom(seed);
        double[] means = new double[resamples];
        for (int r = 0; r < resamples; r++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += values[random.nextInt(n)];
            }
            means[r] = sum / n;
        }
        double m = mean(means);
        double squares = 0;
        for (double x : means) {
            squares += (x - m) * (x - m);
        }
        double stderr = Math.sqrt(squares / (resamples - 1));
        Arrays.sort(means);
        return new Estimate(mean, stderr, percentile(means, 0.025), percentile(means, 0.975), n);
    }

    /**
     * The paired bootstrap of B against A on the same items: the estimate of the per-item differences
     * {@code b[i] - a[i]}. Resampling items (not each side alone) keeps each item's pair together, so
     * item difficulty cancels out.
     */
    public Estimate paired(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("paired scores need the same items: " + a.length + " against " + b.length);
        }
        double[] d = new double[a.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = b[i] - a[i];
        }
        return estimate(d);
    }

    /**
     * lm-evaluation-harness's analytic standard error of a mean ({@code mean_stderr}): the sample
     * standard deviation (n - 1) over sqrt(n); for right/wrong scores sqrt(p (1 - p) / (n - 1)). The
     * bootstrap's standard error tends to the plug-in sqrt(p (1 - p) / n) instead, smaller by
     * sqrt((n - 1) / n) (1.7% at 30 items) plus its resampling noise: summary.json gives both, so a
     * number can be set beside lm-eval's. NaN below 2 items.
     */
    public static double analyticStderr(double[] values) {
        int n = values.length;
        if (n < 2) {
            return Double.NaN;
        }
        double m = mean(values);
        double squares = 0;
        for (double v : values) {
            squares += (v - m) * (v - m);
        }
        return Math.sqrt(squares / (n - 1)) / Math.sqrt(n);
    }

    static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }

    /** Linear interpolation between the closest ranks (numpy's default percentile). */
    static double percentile(double[] sorted, double q) {
        double position = q * (sorted.length - 1);
        int below = (int) Math.floor(position);
        int above = Math.min(below + 1, sorted.length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
