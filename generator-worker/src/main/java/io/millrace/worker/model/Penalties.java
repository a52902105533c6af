package io.millrace.worker.model;

import java.util.HashMap;
import java.util.Map;

/**
 * OpenAI's presence and frequency penalties: each token generated so far has its logit lowered by
 * {@code presence} once plus {@code frequency} per time it was generated. Prompt tokens are not
 * counted (vLLM's repetition penalty counts them; OpenAI's two penalties do not).
 */
final class Penalties {
    private final double presence;
    private final double frequency;
    private final Map<Integer, Integer> counts = new HashMap<>();

    Penalties(double presence, double frequency) {
        this.presence = presence;
        this.frequency = frequency;
    }

    void record(int token) {
        if (active()) {
            counts.merge(token, 1, Integer::sum);
        }
    }

    /** The penalized logits: a copy when a penalty applies, else {@code logits} itself. */
    float[] apply(float[] logits) {
        if (!active() || counts.isEmpty()) {
            return logits;
        }
        float[] out = logits.clone();
        counts.forEach((token, n) -> out[token] -= (float) (presence + frequency * n));
        return out;
    }

    private boolean active() {
        return presence != 0 || frequency != 0;
    }
}
