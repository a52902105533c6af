package io.millrace.results.webhooks;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.Json;
import io.millrace.protocol.webhooks.WebhookEventTypes;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The body of {@code POST /v1/webhooks}: {@code url} (required), {@code events} (required, a
 * non-empty list of {@link WebhookEventTypes}), {@code description} (optional). Every problem is a
 * 400 naming the field.
 */
record EndpointRequest(String url, List<String> events, String description) {
    static final int MAX_DESCRIPTION = 512;

    static EndpointRequest parse(byte[] body) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw WebhooksException.invalid("The body is not JSON: send {\"url\": \"https://...\", \"events\": [\"batch.completed\"]}.",
                    null);
        }
        if (root == null || !root.isObject()) {
            throw WebhooksException.invalid("The body must be a JSON object with url and events.", null);
        }
        JsonNode url = root.get("url");
        if (url == null || !url.isTextual() || url.asText().isBlank()) {
            throw WebhooksException.invalid("url is required: the https URL to POST events to.", "url");
        }
        JsonNode events = root.get("events");
        if (events == null || !events.isArray() || events.isEmpty()) {
            throw WebhooksException.invalid("events is required: a non-empty list of " + WebhookEventTypes.ALL + ".", "events");
        }
        List<String> types = new ArrayList<>();
        for (JsonNode e : events) {
            if (!e.isTextual() || !WebhookEventTypes.ALL.contains(e.asText())) {
                throw WebhooksException.invalid("events holds " + e + ": use any of " + WebhookEventTypes.ALL + ".", "events");
            }
            if (!types.contains(e.asText())) {
                types.add(e.asText());
            }
        }
        JsonNode d = root.get("description");
        String description = null;
        if (d != null && !d.isNull()) {
            if (!d.isTextual() || d.asText().length() > MAX_DESCRIPTION) {
                throw WebhooksException.invalid("description must be a string of at most " + MAX_DESCRIPTION + " characters.",
                        "description");
            }
            description = d.asText();
        }
        return new EndpointRequest(url.asText().trim(), types, description);
    }
}
