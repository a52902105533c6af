package io.millrace.protocol.events;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One cached response on {@code millrace.response-cache}, keyed by its cache key (a hash of the
 * tenant scope, the served model's identity, the endpoint and the canonical request body). Written
 * by the router, in its transaction, from the committed result of a cacheable request it routed.
 *
 * @param model     the served model that generated {@link #body()}
 * @param body      the completion as the worker wrote it; a hit answers a copy with a fresh id
 * @param storedAt  epoch milliseconds when the router stored it
 * @param expiresAt epoch milliseconds after which it is not served (stored + the cache's TTL)
 */
public record CacheEntry(String model, JsonNode body, long storedAt, long expiresAt) {
    public boolean liveAt(long now) {
        return now < expiresAt;
    }
}
