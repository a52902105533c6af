package io.millrace.router;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.Json;
import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.events.RequestEvent;
import java.io.UncheckedIOException;

/** Request events and catalogs for the router's tests. */
final class Requests {
    static final ModelCatalog CATALOG = ModelCatalog.of(
            new ModelCatalog.Entry("millrace-tiny", 512), new ModelCatalog.Entry("millrace-small", 2048));

    private Requests() {}

    static JsonNode body(String model) {
        return json("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":8}");
    }

    static RequestEvent request(String requestId, String batchId, String model) {
        return new RequestEvent(requestId, batchId, "custom-" + requestId, 1L, "POST",
                ChatRequestValidator.CHAT_COMPLETIONS, body(model), null, 1_000L);
    }

    static byte[] bytes(RequestEvent event) {
        return Json.writeBytes(event);
    }

    static JsonNode json(String text) {
        try {
            return Json.parse(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
