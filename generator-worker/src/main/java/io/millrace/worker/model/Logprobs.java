package io.millrace.worker.model;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Log probabilities as OpenAI reports them: the log-softmax of the model's raw logits, before temperature and penalties. */
final class Logprobs {
    private Logprobs() {}

    static double[] logSoftmax(float[] logits) {
        double max = logits[Sampler.argmax(logits)];
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        double logSum = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] - logSum;
        }
        return out;
    }

    /** Token {@code id} at a position with these log probabilities, with its {@code top} most likely alternatives. */
    static TokenLogprob entry(int id, double[] logprobs, int top, HfTokenizer tokenizer) {
        List<TokenLogprob> alternatives = new ArrayList<>(top);
        for (int alt : topIds(logprobs, top)) {
            alternatives.add(token(alt, logprobs[alt], tokenizer, List.of()));
        }
        return token(id, logprobs[id], tokenizer, List.copyOf(alternatives));
    }

    /** The ids of the {@code n} largest values, largest first, ties to the lower id. */
    static int[] topIds(double[] values, int n) {
        int[] top = new int[Math.min(n, values.length)];
        int size = 0;
        for (int i = 0; i < values.length && top.length > 0; i++) {
            if (size < top.length) {
                size++;
            } else if (!(values[i] > values[top[size - 1]])) {
                continue;
            }
            // Insertion into the short sorted list; strict > keeps the earlier (lower) id ahead on ties.
            int at = size - 1;
            while (at > 0 && values[i] > values[top[at - 1]]) {
                top[at] = top[at - 1];
                at--;
            }
            top[at] = i;
        }
        return top;
    }

    /** The token's text is its bytes decoded alone: U+FFFD where it holds part of a character, as OpenAI shows it. */
    private static TokenLogprob token(int id, double logprob, HfTokenizer tokenizer, List<TokenLogprob> top) {
        byte[] bytes = tokenizer.tokenBytes(id);
        return new TokenLogprob(id, new String(bytes, StandardCharsets.UTF_8), bytes, logprob, top);
    }
}
