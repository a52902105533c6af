package io.millrace.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The bootstrap and McNemar's test against known cases. */
class StatisticsTest {

    @Test
    void constantScoresHaveNoSpread() {
        Estimate e = new Bootstrap(200, 7).estimate(new double[] {0.5, 0.5, 0.5});
        assertThat(e).isEqualTo(new Estimate(0.5, 0, 0.5, 0.5, 3));
    }

    @Test
    void bootstrapOfHalfRightMatchesTheBinomialStandardError() {
        double[] scores = new double[100];
        for (int i = 0; i < 50; i++) {
            scores[i] = 1;
        }
        Estimate e = new Bootstrap(4000, 1234).estimate(scores);
        assertThat(e.mean()).isEqualTo(0.5);
        // sqrt(p (1 - p) / n) = sqrt(0.25 / 100) = 0.05; the interval about mean -+ 1.96 * 0.05
        assertThat(e.stderr()).isCloseTo(0.05, within(0.004));
        assertThat(e.lower()).isCloseTo(0.402, within(0.015));
        assertThat(e.upper()).isCloseTo(0.598, within(0.015));
    }

    @Test
    void analyticStderrIsLmEvalsSampleStandardDeviationOverRootN() {
        // {1, 1, 1, 0}: mean 0.75, squares 3 * 0.0625 + 0.5625 = 0.75, sample variance 0.75 / 3 = 0.25,
        // sd 0.5, stderr 0.5 / sqrt(4) = 0.25.
        assertThat(Bootstrap.analyticStderr(new double[] {1, 1, 1, 0})).isCloseTo(0.25, within(1e-12));
        // {0.5, 0, 1}: mean 0.5, squares 0.5, variance 0.25, sd 0.5, stderr 0.5 / sqrt(3) = 0.288675...
        assertThat(Bootstrap.analyticStderr(new double[] {0.5, 0, 1})).isCloseTo(0.2886751346, within(1e-9));
        assertThat(Bootstrap.analyticStderr(new double[] {1})).isNaN();
    }

    @Test
    void bootstrapAndAnalyticStderrAgreeUpToTheirKnownFactor() {
        // 30 items, 12 right: analytic sqrt(0.4 * 0.6 / 29) = 0.0909718; the bootstrap tends to the
        // plug-in sqrt(0.4 * 0.6 / 30) = 0.0894427 (smaller by sqrt(29 / 30)). With 20000 resamples its
        // own noise is about 0.5% (sd / sqrt(2 R)): within 2% of the plug-in value, and of the analytic
        // one within the 1.7% factor plus that noise.
        double[] scores = new double[30];
        for (int i = 0; i < 12; i++) {
            scores[i] = 1;
        }
        double analytic = Bootstrap.analyticStderr(scores);
        assertThat(analytic).isCloseTo(0.0909718, within(1e-6));
        double bootstrap = new Bootstrap(20000, 1234).estimate(scores).stderr();
        assertThat(bootstrap).isCloseTo(0.0894427, within(0.02 * 0.0894427));
        assertThat(bootstrap / analytic).isCloseTo(Math.sqrt(29.0 / 30.0), within(0.02));
    }

    @Test
    void severalSamplesPerItemAreResampledAsOneItem() {
        // n = 3 samples per item, scored [1,0,1], [1,1,1], [0,0,0]: item means 2/3, 1, 0; the run's mean
        // 5/9; the spread is the items' (analytic: squares 1/81 + 16/81 + 25/81 = 42/81, variance 21/81,
        // stderr sqrt(21/81) / sqrt(3) = 0.293972), not the 9 samples' as if independent.
        double[] itemMeans = {2.0 / 3, 1, 0};
        assertThat(Bootstrap.mean(itemMeans)).isCloseTo(5.0 / 9, within(1e-12));
        assertThat(Bootstrap.analyticStderr(itemMeans)).isCloseTo(Math.sqrt(21.0 / 81) / Math.sqrt(3), within(1e-12));
        assertThat(Bootstrap.analyticStderr(itemMeans)).isCloseTo(0.293972, within(1e-6));
    }

    @Test
    void theSameSeedGivesTheSameEstimate() {
        double[] scores = {1, 0, 0, 1, 1, 0.5, 0.25, 0};
        assertThat(new Bootstrap(500, 42).estimate(scores)).isEqualTo(new Bootstrap(500, 42).estimate(scores));
        assertThat(new Bootstrap(500, 42).estimate(scores)).isNotEqualTo(new Bootstrap(500, 43).estimate(scores));
    }

    @Test
    void percentileInterpolatesBetweenRanks() {
        // position 0.25 * 3 = 0.75: 1 + 0.75 * (2 - 1)
        assertThat(Bootstrap.percentile(new double[] {1, 2, 3, 4}, 0.25)).isEqualTo(1.75);
        assertThat(Bootstrap.percentile(new double[] {1, 2, 3, 4}, 1.0)).isEqualTo(4);
    }

    @Test
    void pairedBootstrapResamplesDifferences() {
        double[] a = {0, 1, 0, 1};
        double[] b = {1, 1, 1, 1};
        Estimate d = new Bootstrap(300, 1).paired(a, b);
        assertThat(d.mean()).isEqualTo(0.5);
        // the same differences B - A, bootstrapped alone, give the same estimate
        assertThat(d).isEqualTo(new Bootstrap(300, 1).estimate(new double[] {1, 0, 1, 0}));
        // a shift common to both sides cancels out entirely
        assertThat(new Bootstrap(300, 1).paired(new double[] {0.1, 0.9}, new double[] {0.2, 1.0}).stderr()).isCloseTo(0, within(1e-12));
        assertThatThrownBy(() -> new Bootstrap(300, 1).paired(a, new double[] {1})).hasMessageContaining("same items");
    }

    @Test
    void mcNemarExactPValues() {
        // 0 against 5 discordant: 2 * (1/2)^5 = 0.0625
        assertThat(McNemar.exactPValue(0, 5)).isCloseTo(0.0625, within(1e-12));
        // 1 against 4: 2 * (C(5,0) + C(5,1)) / 32 = 12/32
        assertThat(McNemar.exactPValue(1, 4)).isCloseTo(0.375, within(1e-12));
        assertThat(McNemar.exactPValue(3, 3)).isEqualTo(1);
        assertThat(McNemar.exactPValue(0, 0)).isEqualTo(1);
        McNemar m = McNemar.of(new double[] {1, 1, 0, 0, 1}, new double[] {0, 1, 1, 0, 0});
        assertThat(m.onlyA()).isEqualTo(2);
        assertThat(m.onlyB()).isEqualTo(1);
        // 1 against 2: 2 * (1 + 3) / 8 = 1
        assertThat(m.pValue()).isEqualTo(1);
        assertThatThrownBy(() -> McNemar.of(new double[] {0.5}, new double[] {1})).hasMessageContaining("0 or 1");
    }
}
