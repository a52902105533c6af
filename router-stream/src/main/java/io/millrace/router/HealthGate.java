package io.millrace.router;

import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * The router's hook for health: a routed request goes to the first model of its chain whose circuit
 * lets it through ({@link FallbackChains}); when every model of the chain is down, a batch request
 * waits in {@code router-parked} and an interactive one fails at once with 503
 * {@code model_unavailable} (or waits too, with {@code router.unavailable.interactive=wait}).
 * {@link #release} routes waiting requests again once a model of their chain is back.
 *
 * <p>Exactly once: the park (a store write, logged), the release (the routed write and the store
 * delete) and the offsets of the records that caused them commit in the task's transactions, so a
 * crash neither loses a waiting request nor routes it twice.
 */
final class HealthGate {
    static final int UNAVAILABLE = 503;
    /** Requests released per punctuation at most, so one transaction stays small after a long outage. */
    static final int RELEASE_BATCH = 2_000;

    /** What to do with a routed request. */
    sealed interface Decision {
        record Send(RequestEvent event) implements Decision {}

        record Park() implements Decision {}

        record Fail(ResultEvent result) implements Decision {}
    }

    private final HealthSettings settings;
    private final CircuitBreaker breaker;
    private final FallbackChains chains;
    private final ProbeGate probes;
    private final KeyValueStore<String, byte[]> health;
    private final KeyValueStore<String, byte[]> parked;
    private final java.util.Set<String> models;
    private final java.util.Map<String, Decoded> decoded = new java.util.HashMap<>();
    private final WaitingCount waiting;

    HealthGate(RouterConfig config, KeyValueStore<String, byte[]> health, KeyValueStore<String, byte[]> parked,
            RouterMetrics metrics) {
        this.settings = config.health();
        this.breaker = new CircuitBreaker(settings);
        this.chains = new FallbackChains(config.fallbacks());
        this.probes = new ProbeGate(settings.probeInterval().toMillis());
        this.health = health;
        this.parked = parked;
        this.models = config.catalog().names();
        this.waiting = new WaitingCount(parked, metrics, RouterMetrics.HEALTH);
    }

    static StoreBuilder<KeyValueStore<String, byte[]>> parkedStoreBuilder() {
        return org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
                org.apache.kafka.streams.state.Stores.persistentKeyValueStore(io.millrace.protocol.Stores.ROUTER_PARKED),
                Serdes.String(), Serdes.ByteArray());
    }

    CircuitState circuit(String model, long now) {
        return breaker.status(read(model), now);
    }

    /** A model's record, decoded once per change: the in-memory store hands back the array it holds until the next put. */
    private ModelHealth read(String model) {
        byte[] bytes = health.get(model);
        if (bytes == null) {
            return null;
        }
        Decoded last = decoded.get(model);
        if (last == null || last.bytes() != bytes) {
            last = new Decoded(bytes, ModelHealth.fromBytes(bytes));
            decoded.put(model, last);
        }
        return last.health();
    }

    private record Decoded(byte[] bytes, ModelHealth health) {}

    Decision decide(RequestEvent routed, long now) {
        FallbackChains.Outcome outcome = chains.choose(routed, m -> circuit(m, now), probes, now);
        if (outcome instanceof FallbackChains.Outcome.Send send) {
            return new Decision.Send(send.event());
        }
        String why = ((FallbackChains.Outcome.Unavailable) outcome).why();
        if (!routed.interactive() || settings.interactiveWaits()) {
            return new Decision.Park();
        }
        // model stays null on errors, as on every router error: no model generated this answer.
        ErrorInfo error = new ErrorInfo(ErrorCodes.MODEL_UNAVAILABLE, "no model can take this request now: " + why
                + ": retry later, or send it in a batch, whose requests wait until a model of the chain is back", "model", null);
        return new Decision.Fail(ResultEvent.failure(routed.withModel(null), UNAVAILABLE, error, now));
    }

    /** Keeps {@code routed} until a model of its chain is back; oldest first on release. */
    void park(RequestEvent routed, long now) {
        parked.put(String.format("%013d/%s", now, routed.requestId()),
                Topics.REQUEST_SERDE.serializer().serialize(Topics.REQUESTS.name(), routed));
        waiting.parked();
    }

    /**
     * Routes again the waiting requests a model can now take, oldest first, handing each to {@code send}
     * and deleting it; the rest keep waiting.
     *
     * @return how many were released
     */
    int release(long now, Consumer<RequestEvent> send) {
        if (models.stream().allMatch(m -> circuit(m, now).open())) {
            return 0; // nothing can take any of them: not worth reading the store
        }
        // Decided while iterating, sent after: the store is not changed under an open iterator.
        List<KeyValue<String, RequestEvent>> go = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = parked.all()) {
            while (it.hasNext() && go.size() < RELEASE_BATCH) {
                KeyValue<String, byte[]> kv = it.next();
                RequestEvent routed = Topics.REQUEST_SERDE.deserializer().deserialize(Topics.REQUESTS.name(), kv.value);
                if (chains.choose(routed, m -> circuit(m, now), probes, now) instanceof FallbackChains.Outcome.Send s) {
                    go.add(KeyValue.pair(kv.key, s.event()));
                }
            }
        }
        for (KeyValue<String, RequestEvent> kv : go) {
            parked.delete(kv.key);
            send.accept(kv.value);
        }
        waiting.released(go.size());
        return go.size();
    }

    /** Requests waiting in this task's store. */
    long waiting() {
        return waiting.now();
    }
}
