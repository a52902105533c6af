package io.millrace.protocol.webhooks;

import java.util.List;

/** The event types an endpoint may subscribe to: OpenAI's batch types, and Millrace's request types. */
public final class WebhookEventTypes {
    public static final String BATCH_COMPLETED = "batch.completed";
    public static final String BATCH_FAILED = "batch.failed";
    public static final String BATCH_EXPIRED = "batch.expired";
    public static final String BATCH_CANCELLED = "batch.cancelled";
    /** Beyond OpenAI: a request from any entry point got a successful result. */
    public static final String REQUEST_COMPLETED = "request.completed";
    /** Beyond OpenAI: a request from any entry point got an error result. */
    public static final String REQUEST_FAILED = "request.failed";

    public static final List<String> ALL = List.of(BATCH_COMPLETED, BATCH_FAILED, BATCH_EXPIRED, BATCH_CANCELLED,
            REQUEST_COMPLETED, REQUEST_FAILED);

    private WebhookEventTypes() {}

    /** Throws with a message naming the accepted types when {@code type} is none of them. */
    public static String check(String type) {
        if (!ALL.contains(type)) {
            throw new IllegalArgumentException("unknown event type '" + type + "': use any of " + String.join(", ", ALL));
        }
        return type;
    }
}
