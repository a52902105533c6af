package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PenaltiesTest {
    @Test
    void lowersGeneratedTokensByPresenceOnceAndFrequencyPerOccurrence() {
        Penalties penalties = new Penalties(0.5, 0.25);
        float[] logits = {1, 2, 3, 4, 5};
        assertThat(penalties.apply(logits)).isSameAs(logits);
        penalties.record(2);
        penalties.record(2);
        penalties.record(4);
        assertThat(penalties.apply(logits)).containsExactly(1, 2, 3 - 0.5f - 0.5f, 4, 5 - 0.5f - 0.25f);
        assertThat(logits).as("the raw logits stay for logprobs").containsExactly(1, 2, 3, 4, 5);
    }

    @Test
    void withoutPenaltiesLeavesLogitsAlone() {
        Penalties none = new Penalties(0, 0);
        none.record(1);
        float[] logits = {1, 2};
        assertThat(none.apply(logits)).isSameAs(logits);
    }
}
