package io.millrace.ingest;

import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.Headers;
import io.millrace.protocol.Topic;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.BatchEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Publishes one batch file: a {@link BatchEvent} announcing how many results to expect, then one
 * request event per valid line on {@code millrace.requests} and one error result per invalid line
 * on {@code millrace.results}, every record keyed by its request id.
 *
 * <p>Guarantee: at-least-once publication (idempotent producer, acks=all). Publishing the same
 * file again is harmless: request ids are stable, the router drops ids it has seen and results
 * are compacted by request id.
 */
public final class BatchIngestor {
    /** What was published. */
    public record Submitted(String batchId, long total, long accepted, long rejected) {}

    private final Producer<String, byte[]> producer;
    private final ChatRequestValidator validator;
    private final Clock clock;
    /** The first asynchronous send failure, reported when the batch is flushed. */
    private volatile Exception failure;

    public BatchIngestor(Producer<String, byte[]> producer, ChatRequestValidator validator, Clock clock) {
        this.producer = producer;
        this.validator = validator;
        this.clock = clock;
    }

    /**
     * @param skip request ids that already have a result: not published again
     */
    public Submitted submit(BatchFile file, String batchId, long total, Set<String> skip) throws IOException {
        send(Topics.BATCHES, batchId, new BatchEvent(batchId, "/v1/chat/completions",
                file.path().getFileName().toString(), total, clock.millis(), Map.of(), null), Headers.BATCH_V1, batchId);
        BatchLineParser parser = new BatchLineParser(batchId, validator, clock);
        long[] counts = new long[2];
        file.forEachLine(line -> {
            LineOutcome outcome = parser.parse(line);
            if (skip.contains(outcome.requestId())) {
                return;
            }
            if (outcome instanceof LineOutcome.Accepted a) {
                send(Topics.REQUESTS, a.requestId(), a.request(), Headers.REQUEST_V1, batchId);
                counts[0]++;
            } else if (outcome instanceof LineOutcome.Rejected r) {
                send(Topics.RESULTS, r.requestId(), r.error(), Headers.RESULT_V1, batchId);
                counts[1]++;
            }
        });
        producer.flush();
        Exception e = failure;
        if (e != null) {
            throw new IllegalStateException("publishing batch " + batchId + " to Kafka failed: " + e.getMessage()
                    + ". Nothing is lost: run the same command again to publish what is missing.", e);
        }
        return new Submitted(batchId, total, counts[0], counts[1]);
    }

    private <V> Future<RecordMetadata> send(Topic<String, V> topic, String key, V value, String schema, String batchId) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(Headers.SCHEMA, schema.getBytes(StandardCharsets.UTF_8));
        headers.add(Headers.BATCH_ID, batchId.getBytes(StandardCharsets.UTF_8));
        byte[] bytes = topic.valueSerde().serializer().serialize(topic.name(), value);
        return producer.send(new ProducerRecord<>(topic.name(), null, key, bytes, headers), (md, e) -> {
            if (e != null && failure == null) {
                failure = e;
            }
        });
    }
}
