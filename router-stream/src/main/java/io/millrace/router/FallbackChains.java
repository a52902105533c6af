package io.millrace.router;

import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.RouteInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Picks the model a routed request goes to from its model's fallback chain and each model's circuit.
 * Pure: the circuits come in as a function, the probes through a {@link ProbeGate}.
 *
 * <p>In chain order (the model the request was routed to, then its fallbacks from the deployment
 * file): a closed model takes it; a half-open one takes it when the gate admits a probe. Failing
 * both, the first half-open model takes it anyway (probing a doubtful model beats holding the
 * request). Only when every model of the chain is open is the request {@link Outcome.Unavailable}.
 */
final class FallbackChains {
    private final Map<String, List<String>> fallbacks;

    /** @param fallbacks per served model, the models to try in order when it is down */
    FallbackChains(Map<String, List<String>> fallbacks) {
        this.fallbacks = Map.copyOf(fallbacks);
    }

    sealed interface Outcome {
        /** Route {@code event} (its model and route possibly changed) to its model's topic. */
        record Send(RequestEvent event) implements Outcome {}

        /** Every model of the chain is down; {@code why} names each and its circuit. */
        record Unavailable(String why) implements Outcome {}
    }

    /** The chain of {@code model}: itself, then its fallbacks. */
    List<String> chain(String model) {
        List<String> chain = new ArrayList<>();
        chain.add(model);
        chain.addAll(fallbacks.getOrDefault(model, List.of()));
        return chain;
    }

    /**
     * @param routed  a request routed to its model ({@link RoutePolicy}), with its route
     * @param circuit each model's circuit now
     */
    Outcome choose(RequestEvent routed, Function<String, CircuitState> circuit, ProbeGate probes, long now) {
        List<String> chain = chain(routed.model());
        List<String> skipped = new ArrayList<>();
        String halfOpen = null;
        for (String model : chain) {
            CircuitState c = circuit.apply(model);
            boolean take = switch (c.state()) {
                case CLOSED -> true;
                case HALF_OPEN -> probes.admit(model, now);
                case OPEN -> false;
            };
            if (take) {
                return new Outcome.Send(to(routed, model, skipped));
            }
            if (c.state() == CircuitState.State.HALF_OPEN && halfOpen == null) {
                halfOpen = model;
            }
            skipped.add(model + " " + c.describe());
        }
        if (halfOpen != null) {
            return new Outcome.Send(to(routed, halfOpen, skipped.subList(0, chain.indexOf(halfOpen))));
        }
        return new Outcome.Unavailable(String.join("; ", skipped));
    }

    /** The request sent to {@code model}; when that is not its own model, the reason says which were skipped and why. */
    private static RequestEvent to(RequestEvent routed, String model, List<String> skipped) {
        if (model.equals(routed.model())) {
            return routed;
        }
        RouteInfo was = routed.route();
        String requested = was != null ? was.requested() : routed.requestedModel();
        return routed.withRoute(new RouteInfo(requested, model, RouteInfo.FALLBACK + ": " + String.join("; ", skipped)));
    }
}
