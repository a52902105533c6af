package io.millrace.eval;

/**
 * A metric's mean over items with its bootstrap standard error and 95% percentile interval.
 *
 * @param n items the mean is over
 */
public record Estimate(double mean, double stderr, double lower, double upper, int n) {}
