package io.millrace.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.DeltaEvent;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Reads a streamed answer (server-sent events of {@code chat.completion.chunk} or streamed
 * {@code text_completion} objects), passes each piece of text on as a {@link DeltaEvent} as it
 * arrives, and assembles the whole answer as the non-streamed object would have been
 * ({@code chat.completion} or {@code text_completion}, with the usage the last chunk carries), which
 * is what the result holds: the committed result stays the answer, the deltas are a preview.
 */
final class StreamAssembler {
    private final String requestId;
    private final boolean chat;
    private final Consumer<DeltaEvent> deltas;
    private final Map<Integer, Choice> choices = new TreeMap<>();
    private String id;
    private long created;
    private JsonNode usage;
    private boolean done;
    private long firstTextNanos;

    private static final class Choice {
        final StringBuilder text = new StringBuilder();
        int seq;
        JsonNode finishReason;
    }

    StreamAssembler(String requestId, boolean chat, Consumer<DeltaEvent> deltas) {
        this.requestId = requestId;
        this.chat = chat;
        this.deltas = deltas;
    }

    /** One line of the event stream; blank lines, comments and fields other than {@code data} are skipped. */
    void line(String line) {
        if (!line.startsWith("data:")) {
            return;
        }
        String data = line.substring(5).trim();
        if (data.equals("[DONE]")) {
            done = true;
            return;
        }
        JsonNode chunk;
        try {
            chunk = Json.parse(data);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new java.io.UncheckedIOException("the server streamed a chunk that is not JSON: " + e.getOriginalMessage(), e);
        }
        if (id == null && chunk.hasNonNull("id")) {
            id = chunk.get("id").asText();
            created = chunk.path("created").asLong(System.currentTimeMillis() / 1000);
        }
        if (chunk.hasNonNull("usage") && chunk.get("usage").isObject()) {
            usage = chunk.get("usage");
        }
        for (JsonNode c : chunk.path("choices")) {
            Choice choice = choices.computeIfAbsent(c.path("index").asInt(0), i -> new Choice());
            JsonNode text = chat ? c.path("delta").path("content") : c.path("text");
            if (text.isTextual() && !text.asText().isEmpty()) {
                if (firstTextNanos == 0) {
                    firstTextNanos = System.nanoTime();
                }
                choice.text.append(text.asText());
                deltas.accept(new DeltaEvent(requestId, c.path("index").asInt(0), choice.seq++, text.asText()));
            }
            if (c.hasNonNull("finish_reason")) {
                choice.finishReason = c.get("finish_reason");
            }
        }
    }

    /** Whether the stream ended with {@code data: [DONE]}; an answer cut short before it is not an answer. */
    boolean done() {
        return done;
    }

    /** {@link System#nanoTime()} of the first text, or 0 when none came. */
    long firstTextNanos() {
        return firstTextNanos;
    }

    /** The answer as one object, named as the server named it. */
    ObjectNode body(String model) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("id", id);
        body.put("object", chat ? "chat.completion" : "text_completion");
        body.put("created", created);
        body.put("model", model);
        ArrayNode list = body.putArray("choices");
        choices.forEach((index, c) -> {
            ObjectNode o = list.addObject();
            o.put("index", index);
            if (chat) {
                ObjectNode message = o.putObject("message");
                message.put("role", "assistant");
                message.put("content", c.text.toString());
            } else {
                o.put("text", c.text.toString());
                o.putNull("logprobs");
            }
            o.set("finish_reason", c.finishReason);
        });
        if (usage != null) {
            body.set("usage", usage);
        }
        return body;
    }
}
