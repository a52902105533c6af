package io.millrace.router;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.Ids;
import io.millrace.protocol.events.RequestEvent;
import java.nio.charset.StandardCharsets;

/**
 * The key a request travels under on its generation topic. Requests of one conversation share it,
 * so they land on the same partition and so on the same worker, whose prefix cache already holds
 * the conversation's history. Different conversations get different keys and spread over the
 * workers, even when they share a system prompt.
 *
 * <p>A conversation is named by {@code body.metadata.conversation_id} when the client gives one;
 * otherwise it is what every turn of a chat repeats: the model, the system/developer messages and
 * the first user message.
 */
final class ConversationKey {
    private ConversationKey() {}

    static String of(RequestEvent request) {
        JsonNode body = request.body();
        JsonNode explicit = body.path("metadata").path("conversation_id");
        if (explicit.isTextual() && !explicit.asText().isBlank()) {
            return "conv:" + explicit.asText();
        }
        StringBuilder opening = new StringBuilder(request.model()).append('\u0000');
        for (JsonNode m : body.path("messages")) {
            String role = m.path("role").asText();
            opening.append(role).append('\u0000').append(m.path("content").toString()).append('\u0000');
            if (role.equals("user")) {
                break;
            }
        }
        return "conv:" + Ids.sha256Hex(opening.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 24);
    }
}
