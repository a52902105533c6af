package io.millrace.protocol;

/** Record headers of the contract. All optional for producers; stages set them on what they write. */
public final class Headers {
    /** The schema of the value, e.g. {@code request.v1}: lets consumers reject what they do not understand. */
    public static final String SCHEMA = "millrace-schema";
    /** The batch a request or result belongs to, so readers can filter without parsing values. */
    public static final String BATCH_ID = "millrace-batch-id";

    /**
     * On {@code millrace.requests-dlt}, and on a model's retry and dead-letter topics: why the router could not answer the record or failed on it, in words
     * (the record's own value, key and headers are kept as they arrived).
     */
    public static final String DLT_REASON = "millrace-dlt-reason";

    /**
     * On a retry topic ({@code millrace.gen.<model>-retry-<ms>}): when the request may be generated
     * again, epoch milliseconds as decimal text. Workers never take it earlier.
     */
    public static final String RETRY_DUE = "millrace-retry-due";
    /**
     * On retry and dead-letter topics of a model: how many times generation of the request has
     * failed so far, as decimal text (1 on the first retry tier).
     */
    public static final String RETRY_ATTEMPTS = "millrace-retry-attempts";

    /** On {@code millrace.file-chunks}: the chunk's 0-based index in its file, as decimal text. */
    public static final String CHUNK_INDEX = "millrace-chunk-index";

    public static final String REQUEST_V1 = "request.v1";
    public static final String RESULT_V1 = "result.v1";
    public static final String BATCH_V1 = "batch.v1";
    public static final String FILE_V1 = "file.v1";
    public static final String CACHE_V1 = "cache.v1";
    public static final String HEALTH_V1 = "health.v1";
    public static final String QUOTA_USAGE_V1 = "quota-usage.v1";

    private Headers() {}
}
