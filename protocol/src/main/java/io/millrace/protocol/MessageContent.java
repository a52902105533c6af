package io.millrace.protocol;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The text of a chat message's {@code content}: OpenAI sends a string or an array of parts. One
 * reading for every stage, so the router judges ({@code auto}) the text the worker generates from.
 */
public final class MessageContent {
    private MessageContent() {}

    /** A string as it is; an array's text parts concatenated; absent or null: empty. */
    public static String text(JsonNode content) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder sb = new StringBuilder();
        content.forEach(part -> sb.append(part.path("text").asText()));
        return sb.toString();
    }
}
