package io.millrace.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The auto route's classifier on the bundled labelled prompts: trained on a fixed three quarters,
 * measured on the quarter held out. The figures it prints are the ones the README quotes.
 */
class ComplexityClassifierTest {
    private static final LabelledPrompts.Split SPLIT = LabelledPrompts.split(LabelledPrompts.bundled(), 0.25, 7L);

    @Test
    void theBundledSetIsBalancedAndLargeEnough() {
        List<LabelledPrompts.Prompt> all = LabelledPrompts.bundled();
        long hard = all.stream().filter(LabelledPrompts.Prompt::hard).count();
        assertThat(all).hasSizeGreaterThanOrEqualTo(250);
        assertThat(hard).isBetween(all.size() * 2L / 5, all.size() * 3L / 5);
        assertThat(SPLIT.heldOut()).hasSizeGreaterThanOrEqualTo(60);
        assertThat(SPLIT.train()).doesNotContainAnyElementsOf(SPLIT.heldOut());
    }

    @Test
    void beatsTheSeedRuleOnTheHeldOutQuarter() {
        long start = System.nanoTime();
        ComplexityClassifier classifier = ComplexityClassifier.train(SPLIT.train());
        long trainMs = (System.nanoTime() - start) / 1_000_000;

        double classifierAccuracy = accuracy(p -> classifier.pHard(p.text()) >= 0.5 == p.hard());
        double ruleAccuracy = accuracy(p -> !SeedRule.simple(p.text()) == p.hard());
        // Sure answers only: what the router uses the classifier for; the rest goes to the rule.
        List<LabelledPrompts.Prompt> sure = SPLIT.heldOut().stream().filter(p -> {
            double h = classifier.pHard(p.text());
            return h >= AutoRouter.SURE_HARD || h <= AutoRouter.SURE_EASY;
        }).toList();
        double sureAccuracy = sure.stream().filter(p -> classifier.pHard(p.text()) >= 0.5 == p.hard()).count() / (double) sure.size();
        double routed = accuracy(p -> {
            double h = classifier.pHard(p.text());
            boolean large = h >= AutoRouter.SURE_HARD || (h > AutoRouter.SURE_EASY && !SeedRule.simple(p.text()));
            return large == p.hard();
        });
        System.out.printf(Locale.ROOT, "auto routing, held-out %d of %d prompts: classifier %.3f, seed rule %.3f,"
                        + " classifier when sure %.3f on %d, classifier+rule as routed %.3f; trained on %d in %d ms%n",
                SPLIT.heldOut().size(), SPLIT.heldOut().size() + SPLIT.train().size(), classifierAccuracy, ruleAccuracy,
                sureAccuracy, sure.size(), routed, SPLIT.train().size(), trainMs);

        assertThat(classifierAccuracy).as("classifier accuracy on the held-out quarter").isGreaterThanOrEqualTo(0.80);
        assertThat(routed).as("as routed: classifier when sure, else the rule").isGreaterThan(ruleAccuracy);
    }

    @Test
    void isReproducible() {
        ComplexityClassifier a = ComplexityClassifier.train(SPLIT.train());
        ComplexityClassifier b = ComplexityClassifier.train(SPLIT.train());
        for (LabelledPrompts.Prompt p : SPLIT.heldOut()) {
            assertThat(a.pHard(p.text())).isEqualTo(b.pHard(p.text()));
        }
    }

    @Test
    void aMalformedLineOfTheSetNamesItsLine() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> LabelledPrompts.parse(new java.io.BufferedReader(
                new java.io.StringReader("# comment\neasy\tHi\nmedium\tWhat?\n")))).hasMessageContaining("line 3")
                .hasMessageContaining("easy<TAB>prompt");
    }

    private static double accuracy(java.util.function.Predicate<LabelledPrompts.Prompt> right) {
        return SPLIT.heldOut().stream().filter(right).count() / (double) SPLIT.heldOut().size();
    }
}
