package io.millrace.protocol;

import java.time.Duration;

/**
 * Names of every persistent state store. Named stores keep their changelog topic names when a
 * topology changes, so state survives upgrades.
 */
public final class Stores {
    /** router-stream: request ids seen within {@link #DEDUP_RETENTION}, a persistent window store. */
    public static final String ROUTER_DEDUP = "router-dedup";
    /** How long a request id is remembered for deduplication. */
    public static final Duration DEDUP_RETENTION = Duration.ofDays(7);

    /**
     * router-stream: the response cache, a global in-memory LRU store over {@code millrace.response-cache}
     * (every instance holds all of it, bounded by entry count).
     */
    public static final String ROUTER_RESPONSE_CACHE = "router-response-cache";
    /**
     * router-stream: the cache key of each cacheable request routed to a worker, by request id, until
     * its result arrives (then the result is stored under that key and the entry deleted).
     */
    public static final String ROUTER_CACHE_PENDING = "router-cache-pending";

    /** results-api: latest result per request id. */
    public static final String RESULTS_BY_REQUEST = "results-by-request";
    /** results-api: submitted batches by batch id. */
    public static final String BATCHES_BY_ID = "batches-by-id";
    /** results-api: completed and failed counts per batch id. */
    public static final String BATCH_COUNTS = "batch-counts";

    /** webhooks: the ids of events derived from batch state changes (a batch ends once: kept for good). */
    public static final String WEBHOOK_BATCH_EVENTS = "webhook-batch-events";
    /** webhooks: the ids of events derived from results, a persistent window store of {@link #DEDUP_RETENTION}. */
    public static final String WEBHOOK_REQUEST_EVENTS = "webhook-request-events";
    /** webhooks: every webhook endpoint, a global store over {@code millrace.webhook-endpoints}. */
    public static final String WEBHOOK_ENDPOINTS = "webhook-endpoints";

    private Stores() {}
}
