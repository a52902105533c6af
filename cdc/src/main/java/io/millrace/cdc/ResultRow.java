package io.millrace.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.BatchOutputLine;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.ResultEvent;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * A result as a row of {@code millrace_results}: {@code response} is the response body and
 * {@code error} the error object of the request's OpenAI batch output line ({@link BatchOutputLine}),
 * so a row reads as the output file's line would.
 *
 * @param requestId         the row's key: the request's id when it is a UUID (every row of
 *                          millrace_requests), else a UUID derived from it (results of other entry points)
 * @param millraceRequestId the pipeline's request id as it is
 * @param response          JSON text or null
 * @param error             JSON text or null
 * @param usage             JSON text or null
 */
public record ResultRow(UUID requestId, String millraceRequestId, int statusCode, String response, String error, String model,
        String usage, long completedAt, String batchId, String customId) {

    /** The row of this result, or null when it is not to be written back under {@code writeBack}. */
    public static ResultRow of(ResultEvent r, CdcConfig.WriteBack writeBack) {
        UUID id = uuid(r.requestId());
        if (id == null) {
            if (writeBack == CdcConfig.WriteBack.TABLE || r.requestId() == null) {
                return null; // not a row id: the request came from another entry point
            }
            // Name-based, so every replay of this result lands on the same row.
            id = UUID.nameUUIDFromBytes(("millrace:" + r.requestId()).getBytes(StandardCharsets.UTF_8));
        }
        ObjectNode line = BatchOutputLine.of(r);
        JsonNode response = line.path("response").get("body");
        JsonNode error = line.get("error");
        JsonNode usage = r.body() == null ? null : r.body().get("usage");
        return new ResultRow(id, r.requestId(), r.statusCode(), text(response), text(error), r.model(), text(usage),
                r.completedAt(), r.batchId(), r.customId());
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() || n.isMissingNode() ? null : Json.write(n);
    }

    /** The UUID a request id spells, in its canonical form only (so the text and the row id agree), else null. */
    static UUID uuid(String s) {
        if (s == null || s.length() != 36) {
            return null;
        }
        try {
            UUID u = UUID.fromString(s);
            return u.toString().equals(s) ? u : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
