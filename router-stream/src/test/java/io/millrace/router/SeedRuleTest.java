package io.millrace.router;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SeedRuleTest {
    @Test
    void aShortPromptWithoutAnalysisWordsIsSimple() {
        assertThat(SeedRule.simple("What is the capital of France?")).isTrue();
        assertThat(SeedRule.simple("")).isTrue();
    }

    @Test
    void anAnalysisWordInAnyCaseMakesItComplex() {
        assertThat(SeedRule.simple("Explain gravity.")).isFalse();
        assertThat(SeedRule.simple("please ANALYZE this")).isFalse();
        assertThat(SeedRule.simple("compare a and b")).isFalse();
    }

    @Test
    void aHundredCharactersOrMoreIsComplex() {
        assertThat(SeedRule.simple("x".repeat(99))).isTrue();
        assertThat(SeedRule.simple("x".repeat(100))).isFalse();
    }
}
