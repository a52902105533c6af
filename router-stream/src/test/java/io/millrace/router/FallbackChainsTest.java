package io.millrace.router;

import static io.millrace.router.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.RouteInfo;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Choosing along a chain a → [b, c], with the circuits given as a plain function. */
class FallbackChainsTest {
    private static final CircuitState OPEN = new CircuitState(CircuitState.State.OPEN, "no live worker for 12s");
    private static final CircuitState HALF = new CircuitState(CircuitState.State.HALF_OPEN, "probing");
    private final FallbackChains chains = new FallbackChains(Map.of("a", List.of("b", "c")));
    private final RequestEvent routed = request("r", "batch", "a").withRoute(new RouteInfo("gpt-4o-mini", "a", RouteInfo.ALIAS));

    private static Function<String, CircuitState> circuits(CircuitState a, CircuitState b, CircuitState c) {
        return m -> switch (m) {
            case "a" -> a;
            case "b" -> b;
            default -> c;
        };
    }

    private FallbackChains.Outcome choose(Function<String, CircuitState> circuits, ProbeGate gate) {
        return chains.choose(routed, circuits, gate, 1_000);
    }

    @Test
    void aClosedModelIsRoutedAsItWas() {
        var out = choose(circuits(CircuitState.CLOSED, OPEN, OPEN), new ProbeGate(1000));
        assertThat(out).isEqualTo(new FallbackChains.Outcome.Send(routed));
    }

    @Test
    void anOpenModelGivesWayToTheFirstOfItsChainThatIsClosedWithEverySkippedModelInTheReason() {
        var out = (FallbackChains.Outcome.Send) choose(circuits(OPEN, OPEN, CircuitState.CLOSED), new ProbeGate(1000));
        assertThat(out.event().model()).isEqualTo("c");
        assertThat(out.event().route()).isEqualTo(new RouteInfo("gpt-4o-mini", "c",
                "fallback: a circuit open (no live worker for 12s); b circuit open (no live worker for 12s)"));
    }

    @Test
    void aHalfOpenModelTakesOneProbePerIntervalAndTheRestGoOn() {
        ProbeGate gate = new ProbeGate(1000);
        Function<String, CircuitState> c = circuits(HALF, CircuitState.CLOSED, OPEN);
        assertThat(((FallbackChains.Outcome.Send) chains.choose(routed, c, gate, 1_000)).event().model()).isEqualTo("a");
        assertThat(((FallbackChains.Outcome.Send) chains.choose(routed, c, gate, 1_500)).event().route().reason())
                .isEqualTo("fallback: a circuit half-open (probing)");
        assertThat(((FallbackChains.Outcome.Send) chains.choose(routed, c, gate, 2_000)).event().model()).isEqualTo("a");
    }

    @Test
    void withNothingClosedAHalfOpenModelTakesItRatherThanNobody() {
        ProbeGate gate = new ProbeGate(1000);
        gate.admit("b", 1_000); // b's probe of this interval is spent
        var out = (FallbackChains.Outcome.Send) choose(circuits(OPEN, HALF, OPEN), gate);
        assertThat(out.event().model()).isEqualTo("b");
        assertThat(out.event().route().reason()).isEqualTo("fallback: a circuit open (no live worker for 12s)");
    }

    @Test
    void whenEveryModelOfTheChainIsOpenItSaysWhichAndWhy() {
        var out = choose(circuits(OPEN, OPEN, OPEN), new ProbeGate(1000));
        assertThat(out).isEqualTo(new FallbackChains.Outcome.Unavailable("a circuit open (no live worker for 12s);"
                + " b circuit open (no live worker for 12s); c circuit open (no live worker for 12s)"));
    }

    @Test
    void aModelWithNoChainIsItsOwnChain() {
        assertThat(chains.chain("b")).containsExactly("b");
        assertThat(chains.chain("a")).containsExactly("a", "b", "c");
    }
}
