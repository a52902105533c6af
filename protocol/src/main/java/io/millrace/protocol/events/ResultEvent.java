package io.millrace.protocol.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * The one result of a request on {@code millrace.results}, keyed by request id. Exactly one of
 * {@link #body()} (a {@code chat.completion} object) and {@link #error()} is set.
 *
 * @param statusCode HTTP-style status of the request: 200, or the 4xx/5xx that explains the error
 * @param model      the model that generated it (null when none did)
 * @param generated  whether this result cost generation (false for errors and cache answers)
 * @param tenant     the request's tenant (see {@link RequestEvent#tenant()}), copied by whoever answers
 * @param cached     whether the router answered it from its response cache (then {@code generated} is
 *                   false and the body, a copy of an earlier completion with a fresh id, says so too)
 * @param route      the router's decision for the request ({@link RequestEvent#route()}), copied by
 *                   whoever answers; null for results of requests never routed (invalid ones)
 * @param costUsd    what answering cost in USD, for a model priced per token whose price is known where it
 *                   answers (a remote model: its server's usage at the deployment file's prices); left out
 *                   of the JSON when null (local models, errors, cache answers)
 */
public record ResultEvent(
        String requestId,
        String batchId,
        String customId,
        Long line,
        String model,
        int statusCode,
        JsonNode body,
        ErrorInfo error,
        boolean generated,
        long completedAt,
        Timings timings,
        String tenant,
        boolean cached,
        RouteInfo route,
        @JsonInclude(JsonInclude.Include.NON_NULL) Double costUsd) {

    /** A result with no cost recorded (every result but a remote model's). */
    public ResultEvent(String requestId, String batchId, String customId, Long line, String model, int statusCode,
            JsonNode body, ErrorInfo error, boolean generated, long completedAt, Timings timings, String tenant,
            boolean cached, RouteInfo route) {
        this(requestId, batchId, customId, line, model, statusCode, body, error, generated, completedAt, timings, tenant,
                cached, route, null);
    }

    /** A result with no route recorded. */
    public ResultEvent(String requestId, String batchId, String customId, Long line, String model, int statusCode,
            JsonNode body, ErrorInfo error, boolean generated, long completedAt, Timings timings, String tenant,
            boolean cached) {
        this(requestId, batchId, customId, line, model, statusCode, body, error, generated, completedAt, timings, tenant,
                cached, null);
    }

    /** A result that did not come from the response cache. */
    public ResultEvent(String requestId, String batchId, String customId, Long line, String model, int statusCode,
            JsonNode body, ErrorInfo error, boolean generated, long completedAt, Timings timings, String tenant) {
        this(requestId, batchId, customId, line, model, statusCode, body, error, generated, completedAt, timings, tenant,
                false);
    }

    /** A result of no tenant. */
    public ResultEvent(String requestId, String batchId, String customId, Long line, String model, int statusCode,
            JsonNode body, ErrorInfo error, boolean generated, long completedAt, Timings timings) {
        this(requestId, batchId, customId, line, model, statusCode, body, error, generated, completedAt, timings, null);
    }

    /** This result for another tenant: ingest stamps a batch's tenant on the errors of its lines. */
    public ResultEvent withTenant(String t) {
        return new ResultEvent(requestId, batchId, customId, line, model, statusCode, body, error, generated, completedAt,
                timings, t, cached, route, costUsd);
    }

    public ResultEvent withRoute(RouteInfo r) {
        return new ResultEvent(requestId, batchId, customId, line, model, statusCode, body, error, generated, completedAt,
                timings, tenant, cached, r, costUsd);
    }

    public boolean succeeded() {
        return error == null;
    }

    public static ResultEvent failure(RequestEvent request, int statusCode, ErrorInfo error, long now) {
        return new ResultEvent(request.requestId(), request.batchId(), request.customId(), request.line(),
                request.model(), statusCode, null, error.atLine(request.line()), false, now, null, request.tenant(), false,
                request.route());
    }
}
