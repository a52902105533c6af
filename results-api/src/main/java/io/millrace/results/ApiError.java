package io.millrace.results;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Json;
import java.time.Duration;
import java.util.Collection;

/**
 * An error answer in OpenAI's format, {@code {"error":{"message","type","param","code"}}}, with
 * the HTTP status it goes with. Clients match on {@code code}, so never rename one.
 */
record ApiError(int status, String type, String code, String message, String param) {
    static final String INVALID_REQUEST = "invalid_request_error";
    static final String SERVER_ERROR = "server_error";

    ApiError(int status, String type, String code, String message) {
        this(status, type, code, message, null);
    }

    ApiError withParam(String p) {
        return new ApiError(status, type, code, message, p);
    }

    /** A request the client must change: 400, or 404 for a model that is not served, as OpenAI answers. */
    static ApiError invalid(String code, String param, String message) {
        int status = ErrorCodes.MODEL_NOT_FOUND.equals(code) ? 404 : 400;
        return new ApiError(status, INVALID_REQUEST, code, message, param);
    }

    static ApiError missingKey() {
        return new ApiError(401, INVALID_REQUEST, "missing_api_key", "You didn't provide an API key: send it in an"
                + " Authorization header (Authorization: Bearer YOUR_KEY). An operator creates keys with millrace keys create.");
    }

    static ApiError badKey(String presented) {
        // Never echo the key: show only enough of it to tell which one was sent.
        String shown = presented.length() > 12 ? presented.substring(0, 12) + "..." : "(not a Millrace key)";
        return new ApiError(401, INVALID_REQUEST, "invalid_api_key", "Incorrect API key provided: " + shown
                + ". Keys look like mr-key_...-...; ask your operator for one (millrace keys create).");
    }

    static ApiError revokedKey(String keyId) {
        return new ApiError(401, INVALID_REQUEST, "invalid_api_key", "The API key " + keyId
                + " has been revoked: ask your operator for a new one (millrace keys create).");
    }

    static ApiError rateLimited(String what, long limit, Duration retryAfter) {
        return new ApiError(429, what, "rate_limit_exceeded", "Rate limit reached for " + what + " per minute: limit "
                + limit + ". Try again in " + Math.max(1, (retryAfter.toMillis() + 999) / 1000) + " s.");
    }

    static ApiError notFound(String what, String id) {
        return new ApiError(404, INVALID_REQUEST, "not_found", "No " + what + " found with id '" + id + "'.");
    }

    static ApiError unknownUrl(String method, String rawPath) {
        return new ApiError(404, INVALID_REQUEST, "unknown_url", "Invalid URL (" + method + " " + rawPath
                + "): use POST /v1/chat/completions, GET /v1/models, POST|GET /v1/files, GET|DELETE /v1/files/{file_id},"
                + " GET /v1/files/{file_id}/content, POST|GET /v1/batches, GET /v1/batches/{batch_id}, POST /v1/batches/{batch_id}/cancel"
                + " or GET /v1/requests/{request_id}.");
    }

    static ApiError modelNotFound(String model, Collection<String> served) {
        return new ApiError(404, INVALID_REQUEST, "model_not_found", "The model '" + model
                + "' does not exist: this deployment serves " + served + ".");
    }

    static ApiError tooLarge(long limit) {
        return new ApiError(413, INVALID_REQUEST, "request_too_large", "The request body is over the "
                + limit + " bytes this API accepts: send a smaller one.");
    }

    static ApiError methodNotAllowed(String method, String rawPath) {
        return new ApiError(405, INVALID_REQUEST, "method_not_allowed", "Method " + method + " is not allowed on "
                + rawPath + ": see the Allow header for the methods it takes.");
    }

    static ApiError timeout(Duration limit, String requestId) {
        return new ApiError(504, SERVER_ERROR, "timeout", "No result within " + limit.toSeconds() + " s. The request '"
                + requestId + "' goes on: read its result later with GET /v1/requests/" + requestId + ".");
    }

    static ApiError notReady() {
        return new ApiError(503, SERVER_ERROR, "not_ready",
                "Results are not readable yet (the service is starting, restoring or rebalancing): retry shortly.");
    }

    static ApiError internal() {
        return new ApiError(500, SERVER_ERROR, "internal_error", "The results service failed to answer: see its log.");
    }

    ObjectNode body() {
        ObjectNode root = Json.object();
        ObjectNode error = root.putObject("error");
        error.put("message", message);
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return root;
    }
}
