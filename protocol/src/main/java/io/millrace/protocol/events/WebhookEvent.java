package io.millrace.protocol.events;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.Json;

/**
 * Something a tenant may be told about, on {@code millrace.webhook-events}, keyed by event id.
 * Thin, as OpenAI's: ids, never results. The id is derived from the state change it reports
 * ({@link io.millrace.protocol.webhooks.WebhookEventIds}), so deriving it twice gives one id and a
 * receiver that deduplicates on {@code webhook-id} sees it once.
 *
 * @param id        {@code evt_…}
 * @param type      one of {@link io.millrace.protocol.webhooks.WebhookEventTypes}
 * @param createdAt epoch seconds, as OpenAI's {@code created_at}
 * @param tenant    whose event it is (never sent: only that tenant's endpoints receive it), or null
 * @param data      OpenAI's {@code data}: {@code {"id": "batch_…"}} for batches; request id,
 *                  custom id, batch id and status code for requests
 */
public record WebhookEvent(String id, String type, long createdAt, String tenant, ObjectNode data) {

    /** The body POSTed to endpoints: OpenAI's event object. */
    public ObjectNode payload() {
        ObjectNode o = Json.object();
        o.put("object", "event");
        o.put("id", id);
        o.put("type", type);
        o.put("created_at", createdAt);
        o.set("data", data == null ? Json.object() : data.deepCopy());
        return o;
    }
}
