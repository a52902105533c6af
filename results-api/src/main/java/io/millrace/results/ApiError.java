package io.millrace.results;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.Json;

/**
 * An error answer in OpenAI's format, {@code {"error":{"message","type","param","code"}}}, with
 * the HTTP status it goes with. Clients match on {@code code}, so never rename one.
 */
record ApiError(int status, String type, String code, String message) {
    static final String INVALID_REQUEST = "invalid_request_error";
    static final String SERVER_ERROR = "server_error";

    static ApiError notFound(String what, String id) {
        return new ApiError(404, INVALID_REQUEST, "not_found", "No " + what + " found with id '" + id + "'.");
    }

    static ApiError unknownUrl(String method, String rawPath) {
        return new ApiError(404, INVALID_REQUEST, "unknown_url", "Invalid URL (" + method + " " + rawPath
                + "): use GET /v1/batches/{batch_id} or GET /v1/requests/{request_id}.");
    }

    static ApiError methodNotAllowed(String method, String rawPath) {
        return new ApiError(405, INVALID_REQUEST, "method_not_allowed", "Method " + method + " is not allowed on "
                + rawPath + ": this API is read-only, use GET.");
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
        error.putNull("param");
        error.put("code", code);
        return root;
    }
}
