package io.millrace.protocol;

import java.util.OptionalDouble;

/**
 * A batch's budget for budget routing: the batch metadata {@value #METADATA_KEY}, US dollars as a
 * string (OpenAI metadata values are strings), e.g. {@code "2.50"}. Read the same way by the API,
 * which refuses a malformed one at creation, and by ingest, which plans the lines within it.
 */
public final class BudgetUsd {
    public static final String METADATA_KEY = "budget_usd";

    private BudgetUsd() {}

    /** The budget, or empty when {@code value} is not a finite number above 0. */
    public static OptionalDouble parse(String value) {
        if (value == null) {
            return OptionalDouble.empty();
        }
        double budget;
        try {
            budget = Double.parseDouble(value.strip());
        } catch (NumberFormatException e) {
            return OptionalDouble.empty();
        }
        return budget > 0 && !Double.isInfinite(budget) ? OptionalDouble.of(budget) : OptionalDouble.empty();
    }
}
