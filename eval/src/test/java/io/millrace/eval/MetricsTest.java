package io.millrace.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every metric against values computed by hand (the arithmetic is in each comment). */
class MetricsTest {
    private static final Normalization ALL = new Normalization(true, true, true);
    private static final Normalization CASE = new Normalization(true, false, false);

    @Test
    void normalizationFollowsLmEvalOptions() {
        assertThat(ALL.apply("  Hello,   World! ")).isEqualTo("hello world");
        assertThat(new Normalization(false, true, false).apply(" a \t b\n")).isEqualTo("a b");
        assertThat(new Normalization(false, false, true).apply("it's 3.5%")).isEqualTo("its 35");
        assertThat(Normalization.NONE.apply(" A. ")).isEqualTo(" A. ");
        // Non-ASCII letters are never punctuation.
        assertThat(ALL.apply("Çà, va?")).isEqualTo("çà va");
    }

    @Test
    void exactMatchComparesNormalisedTextsWithAnyIdeal() {
        assertThat(new TextMetric.ExactMatch(Normalization.NONE).score("Paris", List.of("paris"))).isZero();
        assertThat(new TextMetric.ExactMatch(CASE).score("Paris", List.of("paris"))).isEqualTo(1);
        assertThat(new TextMetric.ExactMatch(ALL).score(" Paris. ", List.of("Lyon", "paris"))).isEqualTo(1);
        assertThat(new TextMetric.ExactMatch(ALL).score("Paris, France", List.of("paris"))).isZero();
    }

    @Test
    void includesLooksForAnIdealInsideTheOutput() {
        assertThat(new TextMetric.Includes(CASE).score("The answer is Paris.", List.of("paris"))).isEqualTo(1);
        assertThat(new TextMetric.Includes(Normalization.NONE).score("The answer is Paris.", List.of("paris"))).isZero();
        assertThat(new TextMetric.Includes(CASE).score("Lyon", List.of("paris", "ly"))).isEqualTo(1);
    }

    @Test
    void regexExtractsGroupOneOrOnlyHasToMatch() {
        TextMetric extract = new TextMetric.RegexMatch(Pattern.compile("answer: (\\d+)"), ALL);
        assertThat(extract.score("so the answer: 42.", List.of("42"))).isEqualTo(1);
        assertThat(extract.score("so the answer: 42.", List.of("41"))).isZero();
        assertThat(extract.score("no number here", List.of("42"))).isZero();
        TextMetric find = new TextMetric.RegexMatch(Pattern.compile("\\d"), ALL);
        assertThat(find.score("room 7", List.of("anything"))).isEqualTo(1);
        assertThat(find.score("room", List.of("anything"))).isZero();
    }

    @Test
    void tokenF1CountsCommonTokensAsMultisets() {
        TextMetric f1 = new TextMetric.TokenF1(ALL);
        // common 3; P = 3/3, R = 3/6; F1 = 2 * 1 * 0.5 / 1.5 = 2/3
        assertThat(f1.score("The cat sat.", List.of("the cat sat on the mat"))).isCloseTo(2.0 / 3, within(1e-12));
        // gold has one "a": common 1; P = 1/3, R = 1/2; F1 = 2 * (1/6) / (5/6) = 0.4
        assertThat(f1.score("a a a", List.of("a b"))).isCloseTo(0.4, within(1e-12));
        // the better of two ideals: 0 against "x", 1 against "a b"
        assertThat(f1.score("b a", List.of("x", "a b"))).isEqualTo(1);
        assertThat(f1.score("", List.of(""))).isEqualTo(1);
        assertThat(f1.score("", List.of("a"))).isZero();
        assertThat(f1.score("z", List.of("a"))).isZero();
    }

    @Test
    void accPicksHighestLoglikelihoodAndAccNormPerCharacter() {
        double[] ll = {-3.0, -4.0};
        List<String> choices = List.of(" ab", " abcdefg");
        assertThat(MultipleChoice.predicted(ll)).isZero();
        // per character: -3/3 = -1.0 and -4/8 = -0.5: the longer choice wins once normalised
        assertThat(MultipleChoice.predictedNormalized(ll, choices)).isEqualTo(1);
        // ties go to the first, as numpy's argmax
        assertThat(MultipleChoice.argmax(new double[] {-1, -1, -2})).isZero();
        assertThatThrownBy(() -> MultipleChoice.predictedNormalized(ll, List.of("a"))).hasMessageContaining("2 loglikelihoods for 1 choices");
    }

    @Test
    void accNormDividesByCharactersNotUtf16Units() {
        // "😀😀" is 2 characters (4 UTF-16 units), "abc" 3. Per character: -3 / 2 = -1.5 against -2.7 / 3 = -0.9,
        // so "abc" (1). Per UTF-16 unit it would be -0.75 against -0.9, the other way round.
        String twoSmiles = "\uD83D\uDE00\uD83D\uDE00";
        assertThat(MultipleChoice.predictedNormalized(new double[] {-3.0, -2.7}, List.of(twoSmiles, "abc"))).isEqualTo(1);
    }
}
