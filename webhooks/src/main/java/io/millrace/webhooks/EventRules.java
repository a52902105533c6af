package io.millrace.webhooks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.protocol.events.WebhookEvent;
import io.millrace.protocol.webhooks.WebhookEventIds;
import io.millrace.protocol.webhooks.WebhookEventTypes;
import java.util.Optional;

/**
 * Which state changes are events, pure: the same batch or result always gives the same event
 * (id, type, time), so deriving it again after a crash or from a re-published batch event gives
 * the same {@code evt_…} and the topology's store can tell it was already derived.
 *
 * <p>Batches, as OpenAI's batch webhooks: a batch of a stored file ends when its output and error
 * files are stored ({@code finalizing_at} set): {@code batch.cancelled} if it was cancelled,
 * {@code batch.expired} if its window ran out, else {@code batch.completed}; {@code batch.failed}
 * when its file could not be run; {@code batch.cancelled} too when it was cancelled while still
 * validating (ingest skips it). A batch of the {@code batch} command (no input file) ends the same
 * way: the command publishes its end ({@code finalizing_at}, and {@code completed_at} unless it was
 * cancelled) once every line has its result, so it yields {@code batch.completed} or
 * {@code batch.cancelled} as an API batch does.
 */
final class EventRules {
    private EventRules() {}

    static Optional<WebhookEvent> ofBatch(BatchEvent b) {
        if (b == null || b.batchId() == null) {
            return Optional.empty();
        }
        String type;
        long at;
        if (b.failed()) {
            type = WebhookEventTypes.BATCH_FAILED;
            at = b.failedAt();
        } else if (b.validating() && b.cancelled()) {
            type = WebhookEventTypes.BATCH_CANCELLED;
            at = b.cancelledAt();
        } else if (b.finalized()) {
            if (b.cancelled()) {
                type = WebhookEventTypes.BATCH_CANCELLED;
                at = b.cancelledAt();
            } else if (b.expired()) {
                type = WebhookEventTypes.BATCH_EXPIRED;
                at = b.expiredAt();
            } else {
                type = WebhookEventTypes.BATCH_COMPLETED;
                at = b.completedAt() != null ? b.completedAt() : b.finalizingAt();
            }
        } else {
            return Optional.empty();
        }
        ObjectNode data = Json.object();
        data.put("id", b.batchId());
        return Optional.of(new WebhookEvent(WebhookEventIds.forBatch(b.batchId(), type), type, at / 1000, b.tenant(), data));
    }

    static Optional<WebhookEvent> ofResult(ResultEvent r) {
        if (r == null || r.requestId() == null) {
            return Optional.empty();
        }
        String type = r.succeeded() ? WebhookEventTypes.REQUEST_COMPLETED : WebhookEventTypes.REQUEST_FAILED;
        ObjectNode data = Json.object();
        data.put("id", r.requestId());
        data.put("custom_id", r.customId());
        data.put("batch_id", r.batchId());
        data.put("status_code", r.statusCode());
        return Optional.of(new WebhookEvent(WebhookEventIds.forRequest(r.requestId(), type), type, r.completedAt() / 1000,
                r.tenant(), data));
    }
}
