package io.millrace.router;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.MessageContent;

/**
 * The text {@code "model": "auto"} judges a request by: the last user message of a chat (the seed's
 * {@code request.messages[-1].content}, but the user's: a trailing assistant prefill is not the
 * question), or a legacy completion's prompt (the first, when a list; token ids have no text).
 */
final class PromptText {
    private PromptText() {}

    static String of(JsonNode body) {
        if (body == null) {
            return "";
        }
        JsonNode messages = body.get("messages");
        if (messages != null && messages.isArray()) {
            for (int i = messages.size() - 1; i >= 0; i--) {
                JsonNode m = messages.get(i);
                if ("user".equals(m.path("role").asText())) {
                    return MessageContent.text(m.get("content"));
                }
            }
            return messages.isEmpty() ? "" : MessageContent.text(messages.get(messages.size() - 1).get("content"));
        }
        JsonNode prompt = body.get("prompt");
        if (prompt != null && prompt.isTextual()) {
            return prompt.asText();
        }
        if (prompt != null && prompt.isArray() && !prompt.isEmpty() && prompt.get(0).isTextual()) {
            return prompt.get(0).asText();
        }
        return "";
    }
}
