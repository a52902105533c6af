package io.millrace.results;

import io.millrace.protocol.Headers;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.BatchEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes batch events to {@code millrace.batches}: a batch created over HTTP, or a batch's
 * cancellation (the batch event again, with {@code cancelled_at} set). With files, the writes of
 * this otherwise read-only stage; it waits for the
 * broker's acknowledgement so that a 200 answer means the cancellation is durable.
 */
public final class CancelPublisher implements AutoCloseable {
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(10);

    private final String bootstrapServers;
    private KafkaProducer<String, byte[]> producer;

    public CancelPublisher(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
    }

    public synchronized void publish(BatchEvent cancelled) {
        if (producer == null) {
            // Created on first use: most deployments never cancel, and need no producer open.
            producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                    ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer());
        }
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.BATCHES.name(), cancelled.batchId(),
                Topics.BATCH_SERDE.serializer().serialize(Topics.BATCHES.name(), cancelled));
        record.headers().add(Headers.SCHEMA, Headers.BATCH_V1.getBytes(StandardCharsets.UTF_8));
        record.headers().add(Headers.BATCH_ID, cancelled.batchId().getBytes(StandardCharsets.UTF_8));
        try {
            producer.send(record).get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NotReadyException("interrupted while publishing the cancellation", e);
        } catch (ExecutionException | TimeoutException e) {
            // The HTTP layer answers 503 + Retry-After: cancelling again is harmless.
            throw new NotReadyException("cannot publish the cancellation of " + cancelled.batchId() + " yet", e);
        }
    }

    @Override
    public synchronized void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }
}
