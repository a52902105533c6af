package io.millrace.results;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.Ids;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.ResultEvent;
import java.util.Map;

/** Events as the other stages publish them. */
final class Fixtures {
    static final long T0 = 1_750_000_000_123L;

    private Fixtures() {}

    static BatchEvent batch(String batchId, long total) {
        return new BatchEvent(batchId, "/v1/chat/completions", "input.jsonl", total, T0, Map.of("project", "demo"), null);
    }

    static ResultEvent success(String batchId, String customId, long completedAt) {
        String requestId = batchId == null ? customId : Ids.requestId(batchId, customId);
        return new ResultEvent(requestId, batchId, customId, 1L, "tiny", 200, completion(requestId), null, true,
                completedAt, null);
    }

    static ResultEvent failure(String batchId, String customId, long completedAt) {
        String requestId = Ids.requestId(batchId, customId);
        return new ResultEvent(requestId, batchId, customId, 2L, "tiny", 500, null,
                new ErrorInfo("generation_failed", "worker crashed: retry the request", null, 2L), false, completedAt, null);
    }

    static JsonNode completion(String requestId) {
        try {
            return Json.parse("{\"id\":\"" + Ids.completionId(requestId) + "\",\"object\":\"chat.completion\","
                    + "\"model\":\"tiny\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},"
                    + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
