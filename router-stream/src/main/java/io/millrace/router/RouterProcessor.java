package io.millrace.router;

import io.millrace.protocol.Headers;
import io.millrace.protocol.Stores;
import io.millrace.protocol.events.CacheEntry;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.WindowStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies {@link RoutePolicy} to each request record, drops request ids already answered within
 * the dedup retention, and forwards the rest to one of three sinks by name. Outputs are typed per
 * sink, so the processor forwards {@code Object}s and each sink's serializers fix the type.
 *
 * <p>With the response cache on, a routed request that is cacheable ({@link CacheKeys}) and whose
 * key holds a live entry is answered at once with the cached completion ({@link ResponseCache#answer});
 * on a miss its key is remembered in the pending store, so that {@link CacheFiller} stores its result.
 * A sparse hit is committed at once ({@link CommitPacer}), not at the next commit interval.
 *
 * <p>Health ({@link HealthGate}): a routed request whose model's circuit is open goes to the first
 * model of its fallback chain that can take it; when none can, it waits in the parked store (batch) or
 * is answered 503 (interactive). A wall-clock punctuator routes waiting requests once a model is back.
 */
final class RouterProcessor implements Processor<byte[], byte[], Object, Object> {
    private static final Logger LOG = LoggerFactory.getLogger(RouterProcessor.class);

    private final RoutePolicy policy;
    private final RouterConfig config;
    private final CacheKeys cacheKeys;
    private ProcessorContext<Object, Object> context;
    private DedupWindow dedup;
    private RouterMetrics metrics;
    private ResponseCache cache;
    private KeyValueStore<String, String> pending;
    private final CommitPacer hitCommits = new CommitPacer(20_000_000L, 2);
    private HealthGate health;
    /** Null without quotas. */
    private final QuotaGate quota;

    private RouterProcessor(RouterConfig config) {
        this.config = config;
        this.policy = new RoutePolicy(config.catalog(), config.auto());
        this.cacheKeys = config.cache().enabled() ? new CacheKeys(config.modelIdentity(), config.cache().shared()) : null;
        this.quota = config.quotas().isEmpty() ? null : new QuotaGate(new QuotaPolicy(config.quotas(), config.catalog(), config.quotaWindow()));
    }

    /** The supplier declares the dedup store itself, so the topology cannot wire one without the other. */
    static ProcessorSupplier<byte[], byte[], Object, Object> supplier(RouterConfig config) {
        return new ProcessorSupplier<>() {
            @Override
            public Processor<byte[], byte[], Object, Object> get() {
                return new RouterProcessor(config);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return Set.of(DedupWindow.storeBuilder(Stores.ROUTER_DEDUP, config.dedupRetention()),
                        HealthGate.parkedStoreBuilder());
            }
        };
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
        this.context = context;
        WindowStore<String, Long> store = context.getStateStore(Stores.ROUTER_DEDUP);
        this.dedup = new DedupWindow(store, config.dedupRetention());
        this.metrics = new RouterMetrics(context);
        if (cacheKeys != null) {
            this.cache = new ResponseCache(context.getStateStore(Stores.ROUTER_RESPONSE_CACHE));
            this.pending = context.getStateStore(Stores.ROUTER_CACHE_PENDING);
        }
        this.health = new HealthGate(config, context.getStateStore(Stores.ROUTER_MODEL_HEALTH),
                context.getStateStore(Stores.ROUTER_PARKED), metrics);
        context.schedule(config.health().releaseInterval(), PunctuationType.WALL_CLOCK_TIME, t -> release());
        if (quota != null) {
            quota.init(context, metrics);
        }
    }

    /** Routes the waiting requests that a model of their chain can now take. */
    private void release() {
        long now = context.currentSystemTimeMs();
        int released = health.release(now, event -> send(new Record<>(event.requestId(), null, now), event));
        if (released > 0) {
            LOG.info("released {} waiting requests: a model of their chain is back ({} still wait)", released, health.waiting());
        }
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        // Deciding first is still "dedup before validation": deciding is pure, and a duplicate's
        // decision is dropped below before anything is emitted or stored, so a duplicated invalid
        // request yields one error result, like a duplicated valid one yields one routed request.
        String key = StrictUtf8.decode(record.key());
        RouteDecision decision = record.key() != null && key == null
                ? new RouteDecision.DeadLetter("the record key is not UTF-8: produce the key as the UTF-8 text of request_id")
                : policy.decide(key, record.value(), context.currentSystemTimeMs(), record.timestamp());
        if (decision.requestId() != null && !dedup.firstSighting(decision.requestId(), record.timestamp())) {
            LOG.debug("dropping request {}: already answered within {}", decision.requestId(), config.dedupRetention());
            metrics.duplicateDropped();
            return;
        }
        if (decision instanceof RouteDecision.Route route) {
            long now = context.currentSystemTimeMs();
            HealthGate.Decision gate = health.decide(route.event(), now);
            if (gate instanceof HealthGate.Decision.Send go) {
                send(record, go.event());
            } else if (gate instanceof HealthGate.Decision.Fail fail) {
                LOG.debug("answering request {}: {}", route.requestId(), fail.result().error().message());
                context.forward(record.withKey(route.requestId()).withValue(fail.result())
                        .withHeaders(OutputHeaders.of(record.headers(), Headers.RESULT_V1, fail.result().batchId())),
                        RouterTopology.RESULTS_SINK);
                metrics.rejected();
            } else {
                LOG.debug("request {} waits: every model of its chain is down", route.requestId());
                health.park(route.event(), now);
                metrics.parked();
            }
        } else if (decision instanceof RouteDecision.Reject reject) {
            ResultEvent result = reject.result();
            LOG.debug("rejecting request {}: {}", reject.requestId(), result.error().code());
            context.forward(record.withKey(reject.requestId()).withValue(result)
                    .withHeaders(OutputHeaders.of(record.headers(), Headers.RESULT_V1, result.batchId())),
                    RouterTopology.RESULTS_SINK);
            metrics.rejected();
        } else if (decision instanceof RouteDecision.DeadLetter dead) {
            // Value bytes and headers exactly as they arrived: the operator should see what the
            // producer sent, not our reading of it, its key as the bytes that arrived.
            LOG.warn("dead-lettering record {}: {}", context.recordMetadata()
                    .map(m -> m.topic() + "-" + m.partition() + "@" + m.offset()).orElse("?"), dead.reason());
            // The reason rides in a header, so that the operator reading the DLT need not find this log line.
            RecordHeaders headers = new RecordHeaders(record.headers() == null ? null : record.headers().toArray());
            headers.remove(Headers.DLT_REASON);
            headers.add(Headers.DLT_REASON, dead.reason().getBytes(StandardCharsets.UTF_8));
            context.forward(record.withHeaders(headers), RouterTopology.DLT_SINK);
            metrics.deadLettered();
        }
    }

    /**
     * Answers {@code event} from the response cache when it holds it, else writes it to its model's
     * generation topic (remembering its cache key, so its result fills the cache).
     */
    private void send(Record<?, ?> record, RequestEvent event) {
        Optional<String> cacheKey = cacheKeys == null ? Optional.empty() : cacheKeys.keyOf(event);
        if (cacheKey.isPresent()) {
            long now = context.currentSystemTimeMs();
            Optional<CacheEntry> hit = cache.lookup(cacheKey.get(), now);
            if (hit.isPresent()) {
                ResultEvent answer = ResponseCache.answer(event, hit.get(), now);
                context.forward(record.withKey(event.requestId()).withValue(answer)
                        .withHeaders(OutputHeaders.of(record.headers(), Headers.RESULT_V1, answer.batchId())),
                        RouterTopology.RESULTS_SINK);
                metrics.cacheHit(cache.size());
                if (hitCommits.commitNow(System.nanoTime())) {
                    context.commit(); // carried out after this record: the answer is visible in a few ms
                }
                return;
            }
            pending.put(event.requestId(), cacheKey.get());
            metrics.cacheMiss(cache.size());
        }
        // Quotas after the cache: a cached answer costs no tokens.
        if (quota != null && !quota.admit(record, event, ConversationKey.of(event))) {
            return;
        }
        context.forward(record.withKey(ConversationKey.of(event)).withValue(event)
                .withHeaders(OutputHeaders.of(record.headers(), Headers.REQUEST_V1, event.batchId())),
                RouterTopology.GENERATION_SINK);
        metrics.routed();
    }

    @Override
    public void close() {
        if (metrics != null) {
            metrics.close();
        }
    }
}
