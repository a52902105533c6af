package io.millrace.protocol.events;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One generation request, as it travels on {@code millrace.requests} and the generation topics.
 * Key: {@link #requestId()}. Any Kafka client may produce one; see README "Topic contract".
 *
 * @param requestId   stable idempotency key: {@code <batch_id>:<custom_id>} from ingest, any
 *                    unique string from other producers; the record key must equal it
 * @param batchId     the batch it belongs to, or null for a lone request
 * @param customId    the caller's id, echoed in the result
 * @param line        1-based line of the batch input file, null when not from a file
 * @param method      HTTP method of the batch line (always POST)
 * @param url         endpoint, e.g. {@code /v1/chat/completions}
 * @param body        the request body exactly as the client sent it
 * @param model       the model chosen by the router (null until routed)
 * @param submittedAt epoch milliseconds when it entered the pipeline; 0 (left out) or an
 *                    implausible time is replaced by the router with the arrival time
 *                    (see {@link io.millrace.protocol.SubmittedAt})
 * @param tenant      who asked: the tenant of the API key it came with, or null for requests from
 *                    the batch command and Kafka clients (the operator's own). Results, batches and
 *                    files are visible over HTTP to their tenant only.
 * @param route       why the router chose {@link #model()} (null until routed)
 * @param priority    {@link #INTERACTIVE} or {@link #BATCH}; null means interactive for a lone request
 *                    (no batch id) and batch otherwise (see {@link #interactive()})
 */
public record RequestEvent(
        String requestId,
        String batchId,
        String customId,
        Long line,
        String method,
        String url,
        JsonNode body,
        String model,
        long submittedAt,
        String tenant,
        RouteInfo route,
        String priority) {
    public static final String INTERACTIVE = "interactive";
    public static final String BATCH = "batch";

    /** A request not yet routed, of no explicit priority. */
    public RequestEvent(String requestId, String batchId, String customId, Long line, String method, String url,
            JsonNode body, String model, long submittedAt, String tenant) {
        this(requestId, batchId, customId, line, method, url, body, model, submittedAt, tenant, null, null);
    }

    /** A request of no tenant (the batch command's, a Kafka client's). */
    public RequestEvent(String requestId, String batchId, String customId, Long line, String method, String url,
            JsonNode body, String model, long submittedAt) {
        this(requestId, batchId, customId, line, method, url, body, model, submittedAt, null);
    }

    public RequestEvent withSubmittedAt(long at) {
        return new RequestEvent(requestId, batchId, customId, line, method, url, body, model, at, tenant, route, priority);
    }

    /** Routed to {@code routedModel}, its route cleared: pair with {@link #withRoute} to say why. */
    public RequestEvent withModel(String routedModel) {
        return new RequestEvent(requestId, batchId, customId, line, method, url, body, routedModel, submittedAt, tenant,
                null, priority);
    }

    /** Routed as {@code r} says: model set to {@code r.model()}. */
    public RequestEvent withRoute(RouteInfo r) {
        return new RequestEvent(requestId, batchId, customId, line, method, url, body, r == null ? model : r.model(),
                submittedAt, tenant, r, priority);
    }

    public RequestEvent withTenant(String t) {
        return new RequestEvent(requestId, batchId, customId, line, method, url, body, model, submittedAt, t, route, priority);
    }

    public RequestEvent withPriority(String p) {
        return new RequestEvent(requestId, batchId, customId, line, method, url, body, model, submittedAt, tenant, route, p);
    }

    /** Whether it takes the interactive lane: explicitly, or by default when it is not part of a batch. */
    public boolean interactive() {
        return priority == null ? batchId == null : INTERACTIVE.equals(priority);
    }

    /** The model the client asked for, or null when the body names none. */
    public String requestedModel() {
        JsonNode m = body == null ? null : body.get("model");
        return m != null && m.isTextual() ? m.asText() : null;
    }
}
