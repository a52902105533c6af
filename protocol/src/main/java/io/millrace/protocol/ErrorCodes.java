package io.millrace.protocol;

/** Stable error codes of results and error-file lines. Clients match on these, so never rename one. */
public final class ErrorCodes {
    public static final String INVALID_JSON = "invalid_json";
    public static final String MISSING_CUSTOM_ID = "missing_custom_id";
    public static final String DUPLICATE_CUSTOM_ID = "duplicate_custom_id";
    public static final String INVALID_METHOD = "invalid_method";
    public static final String INVALID_URL = "invalid_url";
    public static final String INVALID_BODY = "invalid_body";
    public static final String MODEL_NOT_FOUND = "model_not_found";
    public static final String MISSING_MESSAGES = "missing_messages";
    public static final String INVALID_ROLE = "invalid_role";
    public static final String INVALID_CONTENT = "invalid_content";
    public static final String INVALID_MAX_TOKENS = "invalid_max_tokens";
    public static final String INVALID_PARAMETER = "invalid_parameter";
    public static final String INVALID_REQUEST_ID = "invalid_request_id";
    public static final String CONTEXT_LENGTH_EXCEEDED = "context_length_exceeded";
    public static final String GENERATION_FAILED = "generation_failed";
    /** A batch line too large to publish as one request event. */
    public static final String REQUEST_TOO_LARGE = "request_too_large";
    /** The completion was too large to publish as one result (see the worker's result size limit). */
    public static final String RESULT_TOO_LARGE = "result_too_large";
    /** A Millrace bug met while checking one input; that input only is answered with it. */
    public static final String INTERNAL_ERROR = "internal_error";
    /** The request's batch was cancelled before the request was answered. */
    public static final String BATCH_CANCELLED = "batch_cancelled";
    /** A request of a batch whose completion window ran out before it was answered (OpenAI's code). */
    public static final String BATCH_EXPIRED = "batch_expired";
    /** A lone request whose client disconnected before its answer (see {@code CancelEvent}). */
    public static final String REQUEST_CANCELLED = "request_cancelled";
    /** An interactive request of a tenant over its tokens-per-day quota (status 429); batch lines wait instead. */
    public static final String QUOTA_EXCEEDED = "quota_exceeded";

    /**
     * A batch whose {@code metadata.budget_usd} cannot be planned: too small for even the cheapest
     * plan, not a number, or no served model with a price and quality (the batch fails, nothing runs).
     */
    public static final String BUDGET_NOT_PLANNED = "budget_not_planned";

    /**
     * Every model that could answer the request (its model and that model's fallback chain) is down,
     * and the request is interactive, so it is answered at once (503) rather than held.
     */
    public static final String MODEL_UNAVAILABLE = "model_unavailable";

    /**
     * A remote model's server refused the request for good (a 4xx other than 408 and 429: the body,
     * or the deployment's API key for it); its status and message are passed on. Not retried.
     */
    public static final String REMOTE_REJECTED = "remote_rejected";

    private ErrorCodes() {}
}
