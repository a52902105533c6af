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

    /**
     * router-stream: each model's health and circuit (a global in-memory store over
     * {@code millrace.health}, rebuilt from the topic at start), so every instance agrees.
     */
    public static final String ROUTER_MODEL_HEALTH = "router-model-health";
    /**
     * router-stream: requests that no model of their fallback chain can take now, waiting to be
     * routed when one is back; keyed by park time and request id (oldest first). Persistent, logged.
     */
    public static final String ROUTER_PARKED = "router-parked";
    /**
     * router-stream: tokens this task charged each tenant in the current quota window, by tenant
     * (the task's own share, mirrored to {@code millrace.quota-usage}).
     */
    public static final String ROUTER_QUOTA_CHARGES = "router-quota-charges";
    /**
     * router-stream: the estimate charged for each routed request of a tenant with a quota, by request
     * id, until its result corrects it with the real usage.
     */
    public static final String ROUTER_QUOTA_PENDING = "router-quota-pending";
    /** router-stream: batch requests of tenants over quota, by request id, waiting for the next window. */
    public static final String ROUTER_QUOTA_PARKED = "router-quota-parked";
    /** router-stream: every task's charges, a global store over {@code millrace.quota-usage}. */
    public static final String ROUTER_QUOTA_USAGE = "router-quota-usage";

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
