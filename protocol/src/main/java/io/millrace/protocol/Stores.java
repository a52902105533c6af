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

    /** results-api: latest result per request id. */
    public static final String RESULTS_BY_REQUEST = "results-by-request";
    /** results-api: submitted batches by batch id. */
    public static final String BATCHES_BY_ID = "batches-by-id";
    /** results-api: completed and failed counts per batch id. */
    public static final String BATCH_COUNTS = "batch-counts";

    private Stores() {}
}
