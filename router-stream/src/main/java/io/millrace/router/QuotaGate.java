package io.millrace.router;

import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Headers;
import io.millrace.protocol.JsonSerde;
import io.millrace.protocol.Stores;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.QuotaUsage;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tokens-per-day quotas at the router ({@link QuotaPolicy}), between the response cache (a cache hit
 * costs no tokens and is answered whatever the quota) and the generation topic. A routed request of
 * a tenant with a quota is:
 * <ul>
 *   <li>under quota: charged its estimate ({@link QuotaLedger}), remembered in
 *       {@link Stores#ROUTER_QUOTA_PENDING} until its result corrects the charge ({@link QuotaSettler}),
 *       and sent on;
 *   <li>over quota and interactive: answered at once with status 429 {@code quota_exceeded}, the
 *       message saying the quota, the usage and when it resets;
 *   <li>over quota and batch work: parked in {@link Stores#ROUTER_QUOTA_PARKED} and released by a
 *       wall-clock punctuator, every {@link #RELEASE_INTERVAL}, as soon as its tenant is under quota
 *       again: at the next window, or earlier when results refund estimates that were too high.
 * </ul>
 * Everything happens in the router task's transaction: a parked request is in the store or on the
 * generation topic, never both nor neither, and each charge commits with the offset that caused it.
 */
final class QuotaGate {
    private static final Logger LOG = LoggerFactory.getLogger(QuotaGate.class);
    static final Duration RELEASE_INTERVAL = Duration.ofSeconds(1);
    static final int TOO_MANY_REQUESTS = 429;
    /** Separates the tenant from the request id in a parked key, so that one tenant's requests are a range. */
    private static final char SEPARATOR = '\u0000';
    static final JsonSerde<Parked> PARKED_SERDE = new JsonSerde<>(Parked.class);

    /** A batch request waiting for its tenant's next window, with the key it is to be written under. */
    record Parked(String generationKey, RequestEvent event) {}

    private final QuotaPolicy policy;
    private ProcessorContext<Object, Object> context;
    private QuotaLedger ledger;
    private KeyValueStore<String, QuotaLedger.Pending> pending;
    private KeyValueStore<String, Parked> parked;
    private WaitingCount waiting;

    QuotaGate(QuotaPolicy policy) {
        this.policy = policy;
    }

    static StoreBuilder<KeyValueStore<String, Parked>> parkedStore() {
        return org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
                org.apache.kafka.streams.state.Stores.persistentKeyValueStore(Stores.ROUTER_QUOTA_PARKED),
                Serdes.String(), PARKED_SERDE);
    }

    void init(ProcessorContext<Object, Object> context, RouterMetrics metrics) {
        this.context = context;
        this.ledger = new QuotaLedger(context);
        this.pending = context.getStateStore(Stores.ROUTER_QUOTA_PENDING);
        this.parked = context.getStateStore(Stores.ROUTER_QUOTA_PARKED);
        this.waiting = new WaitingCount(parked, metrics, RouterMetrics.QUOTA);
        context.schedule(RELEASE_INTERVAL, PunctuationType.WALL_CLOCK_TIME, this::release);
    }

    /**
     * @return true when the caller is to send {@code event} on now; false when this gate answered it
     *     (over quota, interactive) or parked it (over quota, batch)
     */
    boolean admit(Record<?, ?> record, RequestEvent event, String generationKey) {
        String tenant = event.tenant();
        if (!policy.limits(tenant)) {
            return true;
        }
        long now = context.currentSystemTimeMs();
        long window = policy.windowStart(now);
        long used = ledger.used(tenant, window);
        if (policy.admits(tenant, used)) {
            charge(event, window, record.timestamp());
            return true;
        }
        if (event.interactive()) {
            ResultEvent refused = ResultEvent.failure(event.withModel(null), TOO_MANY_REQUESTS,
                    ErrorInfo.of(ErrorCodes.QUOTA_EXCEEDED, policy.refusal(tenant, used, now)), now);
            context.forward(record.withKey(event.requestId()).withValue(refused)
                    .withHeaders(OutputHeaders.of(record.headers(), Headers.RESULT_V1, event.batchId())), RouterTopology.RESULTS_SINK);
            return false;
        }
        LOG.debug("parking request {}: tenant {} is over its quota ({} used)", event.requestId(), tenant, used);
        parked.put(tenant + SEPARATOR + event.requestId(), new Parked(generationKey, event));
        waiting.parked();
        return false;
    }

    private void charge(RequestEvent event, long window, long timestamp) {
        long estimate = policy.estimate(event);
        pending.put(event.requestId(), new QuotaLedger.Pending(event.tenant(), window, estimate));
        Record<String, QuotaUsage> usage = ledger.charge(event.tenant(), window, estimate, timestamp);
        if (usage != null) {
            context.forward(usage, RouterTopology.QUOTA_SINK);
        }
    }

    /**
     * Sends on the parked requests of every tenant now under quota, charging each as it goes, until
     * the tenant is over again. One range per tenant: a tenant still over quota costs one lookup
     * whatever it has parked.
     */
    private void release(long now) {
        long window = policy.windowStart(now);
        String from = "";
        int released = 0;
        while (true) {
            String tenant;
            List<KeyValue<String, Parked>> batch = new ArrayList<>();
            try (KeyValueIterator<String, Parked> it = parked.range(from, null)) {
                if (!it.hasNext()) {
                    break;
                }
                KeyValue<String, Parked> first = it.next();
                tenant = first.key.substring(0, first.key.indexOf(SEPARATOR));
                long used = ledger.used(tenant, window);
                // Admit one at a time, each charged before the next is judged, as on arrival.
                if (policy.admits(tenant, used)) {
                    batch.add(first);
                    long charged = used + policy.estimate(first.value.event());
                    while (it.hasNext() && policy.admits(tenant, charged)) {
                        KeyValue<String, Parked> next = it.next();
                        if (!next.key.startsWith(tenant + SEPARATOR)) {
                            break;
                        }
                        batch.add(next);
                        charged += policy.estimate(next.value.event());
                    }
                }
            }
            for (KeyValue<String, Parked> kv : batch) {
                RequestEvent event = kv.value.event();
                parked.delete(kv.key);
                charge(event, window, now);
                context.forward(new Record<Object, Object>(kv.value.generationKey(), event, now)
                        .withHeaders(OutputHeaders.of(null, Headers.REQUEST_V1, event.batchId())), RouterTopology.GENERATION_SINK);
                released++;
            }
            from = tenant + (char) (SEPARATOR + 1); // the next tenant's range
        }
        if (released > 0) {
            waiting.released(released);
            LOG.info("released {} batch requests parked over quota ({} still wait)", released, waiting.now());
        }
    }
}
