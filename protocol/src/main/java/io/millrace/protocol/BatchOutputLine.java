package io.millrace.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.ResultEvent;

/**
 * A result in the OpenAI batch output/error file format:
 * {@code {"id","custom_id","response":{"status_code","request_id","body"}|null,"error":{...}|null}}.
 */
public final class BatchOutputLine {
    private BatchOutputLine() {}

    public static ObjectNode of(ResultEvent r) {
        ObjectNode line = Json.object();
        line.put("id", Ids.batchRequestId(r.requestId()));
        line.put("custom_id", r.customId());
        if (r.succeeded()) {
            ObjectNode response = line.putObject("response");
            response.put("status_code", r.statusCode());
            response.put("request_id", r.requestId());
            response.set("body", r.body());
            line.putNull("error");
        } else {
            line.putNull("response");
            ErrorInfo e = r.error();
            ObjectNode error = line.putObject("error");
            error.put("code", e.code());
            error.put("message", e.message());
            if (e.param() != null) {
                error.put("param", e.param());
            }
            if (e.line() != null) {
                error.put("line", e.line());
            }
        }
        return line;
    }
}
