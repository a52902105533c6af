package io.millrace.results.webhooks;

import io.millrace.protocol.Topics;
import io.millrace.protocol.events.WebhookDelivery;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Re-delivers an endpoint's dead-lettered events: each event that reached
 * {@code millrace.webhook-deliveries-dlt} for it at or after {@code sinceMillis} is published
 * again on {@code millrace.webhook-deliveries} as a first attempt, due now. The event id is kept,
 * so a receiver that got it after all deduplicates it. Used by {@code POST /v1/webhooks/{id}/replay}
 * and {@code millrace webhooks replay}.
 */
public final class DeadLetterReplay {
    private DeadLetterReplay() {}

    /** @return how many events were published again (each once, even if dead-lettered twice) */
    public static int replay(String bootstrapServers, Producer<String, byte[]> producer, String endpointId, long sinceMillis,
            long now) {
        Map<String, WebhookDelivery> byEvent = new LinkedHashMap<>();
        KeyPartitionReader.read(bootstrapServers, Topics.WEBHOOK_DELIVERIES_DLT, endpointId, r -> {
            if (r.timestamp() >= sinceMillis && r.value().event() != null) {
                byEvent.put(r.value().event().id(), r.value());
            }
        });
        try {
            for (WebhookDelivery d : byEvent.values()) {
                WebhookDelivery again = new WebhookDelivery(endpointId, d.event(), 1, now);
                producer.send(new ProducerRecord<>(Topics.WEBHOOK_DELIVERIES.name(), endpointId,
                        Topics.WEBHOOK_DELIVERY_SERDE.serializer().serialize(Topics.WEBHOOK_DELIVERIES.name(), again))).get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while replaying " + endpointId, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot publish the replayed deliveries of " + endpointId + ": " + e.getCause(), e);
        }
        return byEvent.size();
    }
}
