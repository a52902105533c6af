package io.millrace.results;

import io.millrace.protocol.Headers;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.RequestEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes the requests that arrive over HTTP to {@code millrace.requests}, keyed by request id as
 * the topic contract asks, so they take the same path as any other request: dedup, validation,
 * routing, a worker. Idempotent, all replicas: once the future completes the request is durable.
 */
final class RequestSubmitter implements AutoCloseable {
    private final KafkaProducer<String, byte[]> producer;

    RequestSubmitter(String bootstrapServers) {
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                // An interactive request waits for nothing else to fill a batch.
                ProducerConfig.LINGER_MS_CONFIG, 0,
                ProducerConfig.CLIENT_ID_CONFIG, "millrace-api-requests"), new StringSerializer(), new ByteArraySerializer());
    }

    CompletableFuture<Void> submit(RequestEvent request) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.REQUESTS.name(), request.requestId(),
                Topics.REQUEST_SERDE.serializer().serialize(Topics.REQUESTS.name(), request));
        record.headers().add(Headers.SCHEMA, Headers.REQUEST_V1.getBytes(StandardCharsets.UTF_8));
        CompletableFuture<Void> sent = new CompletableFuture<>();
        producer.send(record, (metadata, e) -> {
            if (e == null) {
                sent.complete(null);
            } else {
                sent.completeExceptionally(new NotReadyException("cannot publish the request yet: " + e.getMessage(), e));
            }
        });
        return sent;
    }

    /**
     * Publishes that the client of {@code requestId} gave up, so that workers stop it; best effort
     * (nothing waits for it: a lost cancel only costs the generation).
     */
    void cancel(String requestId, long now) {
        producer.send(new ProducerRecord<>(Topics.CANCELS.name(), requestId, Topics.CANCEL_SERDE.serializer()
                .serialize(Topics.CANCELS.name(), new io.millrace.protocol.events.CancelEvent(requestId, now))));
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
