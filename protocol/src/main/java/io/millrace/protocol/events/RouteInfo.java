package io.millrace.protocol.events;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * Why a request went where it went, set by the router on the routed request and copied onto its
 * result by whoever answers it (worker, cache), so a user reading the result sees the decision.
 *
 * @param requested the model the client named (an alias, {@code auto}, or a served model)
 * @param model     the served model chosen
 * @param reason    one short phrase: {@code direct}, {@code alias}, {@code auto: ...},
 *                  {@code budget: ...}, {@code fallback: ...}; stable prefixes, free text after the colon
 */
public record RouteInfo(String requested, String model, String reason) {
    public static final String DIRECT = "direct";
    public static final String ALIAS = "alias";
    /** The reason's start when {@code model: "auto"} chose. */
    public static final String AUTO_PREFIX = "auto: ";
    /**
     * The reason's start when a batch's budget plan chose. Ingest sets such a route on the request
     * events of a batch with {@code metadata.budget_usd}; the router keeps it when it names a served
     * model the request fits (see README, "Budget routing").
     */
    public static final String BUDGET_PREFIX = "budget: ";

    /** Whether this route is a budget plan's choice (derived: not a field of the JSON). */
    @JsonIgnore
    public boolean budget() {
        return reason != null && reason.startsWith(BUDGET_PREFIX);
    }

    /** The prefix of a reason when the model asked for was down and a model of its chain answered. */
    public static final String FALLBACK = "fallback";
}
