package io.millrace.worker.bench;

import java.util.List;

/**
 * How far two runs' greedy tokens over the same prompts agree: the measure of quality drift between
 * a model and its quantized variant, and of agreement between two implementations of one file.
 *
 * <p>Tokens are compared up to each prompt's first difference only: after one different pick the
 * two continuations have different contexts, and position-by-position equality would be chance.
 *
 * @param prompts          prompts compared
 * @param identicalPrompts prompts whose tokens are identical throughout
 * @param tokens           tokens of the reference run
 * @param identicalTokens  tokens before each prompt's first difference, summed
 */
public record TokenAgreement(int prompts, int identicalPrompts, long tokens, long identicalTokens) {

    /** Compares run {@code b} against the reference run {@code a}, prompt by prompt. */
    public static TokenAgreement of(List<int[]> a, List<int[]> b) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException("the runs have " + a.size() + " and " + b.size() + " prompts: compare runs of the same prompts");
        }
        int identical = 0;
        long tokens = 0;
        long same = 0;
        for (int i = 0; i < a.size(); i++) {
            int[] x = a.get(i);
            int[] y = b.get(i);
            int prefix = 0;
            while (prefix < x.length && prefix < y.length && x[prefix] == y[prefix]) {
                prefix++;
            }
            identical += prefix == x.length && prefix == y.length ? 1 : 0;
            tokens += x.length;
            same += prefix;
        }
        return new TokenAgreement(a.size(), identical, tokens, same);
    }

    /** Share of the reference's tokens that came before their prompt's first difference: 1.0 is no drift. */
    public double tokenShare() {
        return tokens == 0 ? 1.0 : (double) identicalTokens / tokens;
    }

    public double promptShare() {
        return prompts == 0 ? 1.0 : (double) identicalPrompts / prompts;
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%.1f%% of tokens identical before the first difference, %d of %d prompts identical",
                100 * tokenShare(), identicalPrompts, prompts);
    }
}
