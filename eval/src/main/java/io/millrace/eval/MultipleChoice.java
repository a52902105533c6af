package io.millrace.eval;

import java.util.List;

/**
 * lm-evaluation-harness's multiple-choice scoring: {@code acc} picks the choice of the highest
 * loglikelihood, {@code acc_norm} the highest loglikelihood per character of the choice's text.
 * Ties go to the first choice, as numpy's argmax does.
 */
public final class MultipleChoice {
    private MultipleChoice() {}

    /** The index of the largest value; the first on a tie. */
    public static int argmax(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no choices to pick from");
        }
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The choice {@code acc} picks. */
    public static int predicted(double[] loglikelihoods) {
        return argmax(loglikelihoods);
    }

    /** The choice {@code acc_norm} picks: loglikelihood divided by the choice's length in characters (code points). */
    public static int predictedNormalized(double[] loglikelihoods, List<String> choices) {
        if (loglikelihoods.length != choices.size()) {
            throw new IllegalArgumentException(loglikelihoods.length + " loglikelihoods for " + choices.size() + " choices");
        }
        double[] perChar = new double[loglikelihoods.length];
        for (int i = 0; i < perChar.length; i++) {
            // An empty choice would divide by zero; lm-eval never sees one (the dataset check refuses them).
            // Characters as Python's len() counts them (code points), as lm-eval divides.
            String choice = choices.get(i);
            perChar[i] = loglikelihoods[i] / Math.max(1, choice.codePointCount(0, choice.length()));
        }
        return argmax(perChar);
    }
}
