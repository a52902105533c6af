package io.millrace.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.ResultEvent;
import java.util.Set;

/**
 * A result in the OpenAI batch output/error file format:
 * {@code {"id","custom_id","response":{"status_code","request_id","body"}|null,"error":{...}|null}}.
 *
 * <p>As OpenAI does, a request that got an HTTP-style answer carries it in {@code response}: the
 * completion, or for a failed request its status code and an error body
 * {@code {"error":{"message","type","param","code"}}} (plus {@code line}, the input line), with
 * {@code error: null}. The top-level {@code error} is for failures that had no such answer: lines
 * that are not a request at all (not JSON, no or repeated custom_id, too large) and requests of a
 * cancelled or expired batch.
 */
public final class BatchOutputLine {
    /** Failures without a request answer: the top-level {@code error}, shaped like OpenAI's batch errors.data. */
    private static final Set<String> WITHOUT_RESPONSE = Set.of(ErrorCodes.INVALID_JSON, ErrorCodes.MISSING_CUSTOM_ID,
            ErrorCodes.DUPLICATE_CUSTOM_ID, ErrorCodes.REQUEST_TOO_LARGE, ErrorCodes.BATCH_CANCELLED,
            ErrorCodes.BATCH_EXPIRED);

    private BatchOutputLine() {}

    public static ObjectNode of(ResultEvent r) {
        ObjectNode line = Json.object();
        line.put("id", Ids.batchRequestId(r.requestId()));
        line.put("custom_id", r.customId());
        if (!r.succeeded() && WITHOUT_RESPONSE.contains(r.error().code())) {
            line.putNull("response");
            line.set("error", error(r.error()));
            return line;
        }
        ObjectNode response = line.putObject("response");
        response.put("status_code", r.statusCode());
        response.put("request_id", r.requestId());
        if (r.succeeded()) {
            response.set("body", r.body());
        } else {
            ObjectNode error = error(r.error());
            error.put("type", r.statusCode() >= 500 ? "server_error" : "invalid_request_error");
            if (!error.has("param")) {
                error.putNull("param");
            }
            response.putObject("body").set("error", error);
        }
        line.putNull("error");
        return line;
    }

    private static ObjectNode error(ErrorInfo e) {
        ObjectNode error = Json.object();
        error.put("code", e.code());
        error.put("message", e.message());
        if (e.param() != null) {
            error.put("param", e.param());
        }
        if (e.line() != null) {
            error.put("line", e.line());
        }
        return error;
    }
}
