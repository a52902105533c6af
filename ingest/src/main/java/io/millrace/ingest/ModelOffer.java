package io.millrace.ingest;

/**
 * A served model as budget routing sees it: its price in USD per million input and output tokens
 * and the deployment's estimate of its answers' quality (0 to 1, the fraction of lines it answers
 * well; only the order and gaps between models matter). From the deployment file's {@code models:}
 * ({@code price}, {@code quality}); infra builds these, ingest never reads the file.
 */
public record ModelOffer(String model, double inputUsdPerMillion, double outputUsdPerMillion, double quality) {
    public ModelOffer {
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("a model offer needs the served model's name");
        }
        if (!(inputUsdPerMillion >= 0) || !(outputUsdPerMillion >= 0) || Double.isInfinite(inputUsdPerMillion)
                || Double.isInfinite(outputUsdPerMillion)) {
            throw new IllegalArgumentException("model " + model + ": prices must be finite numbers of USD per million tokens, 0 or more");
        }
        if (!(quality >= 0 && quality <= 1)) {
            throw new IllegalArgumentException("model " + model + ": quality is " + quality + ": give a number from 0 to 1");
        }
    }

    /** The estimated cost of one line, in USD. */
    double costUsd(long inputTokens, long outputTokens) {
        return (inputTokens * inputUsdPerMillion + outputTokens * outputUsdPerMillion) / 1_000_000.0;
    }
}
