package io.millrace.worker.model;

import java.util.List;

/**
 * How {@link DecoderModel#generate} picks tokens.
 *
 * <p>temperature 0 ⇒ greedy. topP in (0,1]; 0 is accepted (as the OpenAI API accepts it) and keeps
 * only the most likely token. seed null ⇒ seed derived deterministically from the prompt ids, so a
 * retried request reproduces its completion. stop: stop strings (may be empty; null means none).
 * maxNewTokens 0 returns an empty completion without running the model.
 */
public record SamplingParams(int maxNewTokens, double temperature, double topP, Long seed, List<String> stop) {
    public SamplingParams {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("maxNewTokens is " + maxNewTokens + ": it must be 0 or more");
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature is " + temperature + ": it must be a finite number of at least 0");
        }
        if (!(topP >= 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP is " + topP + ": it must be from 0 to 1");
        }
        stop = stop == null ? List.of() : List.copyOf(stop);
        if (stop.contains("")) {
            throw new IllegalArgumentException("stop strings must not be empty");
        }
    }

    /** Greedy decoding of up to {@code maxNewTokens}, no stop strings. */
    public static SamplingParams greedy(int maxNewTokens) {
        return new SamplingParams(maxNewTokens, 0, 1, null, List.of());
    }
}
