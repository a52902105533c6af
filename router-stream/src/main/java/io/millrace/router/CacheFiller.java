package io.millrace.router;

import io.millrace.protocol.Headers;
import io.millrace.protocol.InputLimits;
import io.millrace.protocol.Stores;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.CacheEntry;
import io.millrace.protocol.events.ResultEvent;
import java.time.Duration;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Fills the response cache from committed results. The router remembers, in the pending store, the
 * cache key of each cacheable request it sent to a worker, and its result takes it
 * ({@link PendingResults}). A successful, generated result is written to {@code millrace.response-cache} under the
 * key, and the pending entry removed, in the task's transaction: the input offset, the entry and the
 * store change commit together, so a crash neither loses an entry nor writes one twice.
 */
final class CacheFiller implements Processor<byte[], byte[], String, CacheEntry> {
    private final Duration ttl;
    private ProcessorContext<String, CacheEntry> context;
    private PendingResults<String> pending;
    private RouterMetrics metrics;

    CacheFiller(Duration ttl) {
        this.ttl = ttl;
    }

    @Override
    public void init(ProcessorContext<String, CacheEntry> context) {
        this.context = context;
        this.pending = new PendingResults<>(context.getStateStore(Stores.ROUTER_CACHE_PENDING));
        this.metrics = new RouterMetrics(context, RouterMetrics.CACHE_FILLER);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        String cacheKey = pending.take(record.key());
        if (cacheKey == null) {
            return;
        }
        ResultEvent result = PendingResults.decode(record.value());
        if (result == null || !result.succeeded() || !result.generated() || result.statusCode() != 200 || result.body() == null) {
            return;
        }
        long now = context.currentSystemTimeMs();
        CacheEntry entry = new CacheEntry(result.model(), result.body(), now, now + ttl.toMillis());
        // An entry too large to produce would fail the router's transaction: such a completion is not cached.
        if (Topics.CACHE_SERDE.serializer().serialize(Topics.RESPONSE_CACHE.name(), entry).length > InputLimits.MAX_EVENT_BYTES) {
            return;
        }
        context.forward(new Record<>(cacheKey, entry, record.timestamp())
                .withHeaders(OutputHeaders.of(null, Headers.CACHE_V1, null)));
        metrics.cacheStored();
    }

    @Override
    public void close() {
        if (metrics != null) {
            metrics.close();
        }
    }
}
