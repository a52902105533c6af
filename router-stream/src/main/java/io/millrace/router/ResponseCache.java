package io.millrace.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.Ids;
import io.millrace.protocol.Stores;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.CacheEntry;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.protocol.events.Timings;
import java.util.Optional;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * The router's view of {@code millrace.response-cache}: a global store, so every router instance
 * holds every entry whatever partitions it owns, and a request can be answered by the task that
 * deduplicated it, with no repartition hop. Entries arrive from the topic (read_committed), a few
 * milliseconds after the transaction that wrote them commits: the cache is eventually consistent, which
 * costs at most a generation, never a wrong answer.
 *
 * <p>The store is in memory, an LRU map of at most {@link CacheSettings#maxEntries()} entries, and
 * filled again from the topic at start; values are kept as the bytes on the topic and decoded on a
 * hit, so a bad record costs a miss, never the stream thread.
 */
final class ResponseCache {
    private final KeyValueStore<String, byte[]> store;

    ResponseCache(KeyValueStore<String, byte[]> store) {
        this.store = store;
    }

    /** Logging off: a global store's topic is its changelog. */
    static StoreBuilder<KeyValueStore<String, byte[]>> storeBuilder(int maxEntries) {
        return org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
                org.apache.kafka.streams.state.Stores.lruMap(Stores.ROUTER_RESPONSE_CACHE, maxEntries),
                Serdes.String(), Serdes.ByteArray()).withLoggingDisabled();
    }

    /** The live entry under {@code key} at {@code now}, if any. */
    Optional<CacheEntry> lookup(String key, long now) {
        byte[] bytes = store.get(key);
        if (bytes == null) {
            return Optional.empty();
        }
        CacheEntry entry = decode(bytes);
        return entry != null && entry.liveAt(now) && entry.body() != null ? Optional.of(entry) : Optional.empty();
    }

    long size() {
        return store.approximateNumEntries();
    }

    static CacheEntry decode(byte[] bytes) {
        try {
            return Topics.CACHE_SERDE.deserializer().deserialize(Topics.RESPONSE_CACHE.name(), bytes);
        } catch (SerializationException e) {
            return null;
        }
    }

    /**
     * The answer to {@code request} from {@code entry}: the cached completion with a fresh id (derived
     * from this request's id, so a re-processed request after a crash writes the same answer), this
     * moment as {@code created}, and {@code "cached": true, "generated": false} in the body as well
     * as on the result event, so batch output lines and HTTP answers say where it came from.
     */
    static ResultEvent answer(RequestEvent request, CacheEntry entry, long now) {
        ObjectNode body = entry.body().deepCopy();
        JsonNode object = body.get("object");
        boolean legacy = object != null && "text_completion".equals(object.asText());
        body.put("id", legacy ? Ids.textCompletionId(request.requestId()) : Ids.completionId(request.requestId()));
        body.put("created", now / 1000);
        body.put("cached", true);
        body.put("generated", false);
        // The entry's body holds the route of the request that filled it; this request has its own.
        body.remove("route");
        if (request.route() != null) {
            body.set("route", io.millrace.protocol.Json.MAPPER.valueToTree(request.route()));
        }
        Long endToEnd = request.submittedAt() > 0 ? Math.max(0, now - request.submittedAt()) : null;
        return new ResultEvent(request.requestId(), request.batchId(), request.customId(), request.line(), entry.model(), 200,
                body, null, false, now, new Timings(null, null, null, endToEnd), request.tenant(), true,
                request.route());
    }
}
