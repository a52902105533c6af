package io.millrace.protocol.events;

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
    /** The prefix of a reason when the model asked for was down and a model of its chain answered. */
    public static final String FALLBACK = "fallback";
}
