package io.millrace.ingest;

import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.Headers;
import io.millrace.protocol.Topic;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.RequestOutcome;
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

    /** The non-blank lines of one input file, in order: a local file, or a stored one read from Kafka. */
    @FunctionalInterface
    public interface Lines {
        void forEach(BatchFile.LineConsumer consumer) throws IOException;
    }

    /**
     * @param skip request ids that already have a result: not published again
     */
    public Submitted submit(BatchFile file, String batchId, long total, Set<String> skip) throws IOException {
        return submit(file, batchId, total, skip, Map.of(), null);
    }

    /**
     * @param metadata the batch event's metadata (the budget it was planned with)
     * @param budget   the batch's budget plan over this file ({@link BudgetRouting}); null: none
     */
    public Submitted submit(BatchFile file, String batchId, long total, Set<String> skip, Map<String, String> metadata,
            BudgetRouting.Routes budget) throws IOException {
        send(Topics.BATCHES, batchId, new BatchEvent(batchId, "/v1/chat/completions",
                file.path().getFileName().toString(), total, clock.millis(), metadata, null), Headers.BATCH_V1, batchId);
        Submitted s = publishLines(file::forEachLine, batchId, null, null, skip, budget);
        return new Submitted(batchId, total, s.accepted(), s.rejected());
    }

    /**
     * Publishes a request per valid line and an error result per invalid one, each stamped with
     * {@code tenant}, and waits until all are acknowledged. Publishes no batch event: the caller
     * announces the batch ({@link #publishBatch}) before or after, as its contract needs.
     *
     * @return what was published; {@code total} is the count of non-blank lines
     */
    public Submitted publishLines(Lines lines, String batchId, String tenant, Set<String> skip) throws IOException {
        return publishLines(lines, batchId, null, tenant, skip);
    }

    /** @param endpoint the batch's endpoint, which every line's url must equal; null: any supported url */
    public Submitted publishLines(Lines lines, String batchId, String endpoint, String tenant, Set<String> skip) throws IOException {
        return publishLines(lines, batchId, endpoint, tenant, skip, null);
    }

    /**
     * @param budget the batch's budget plan ({@link BudgetRouting}), made over the same lines: each
     *               accepted line is published with its planned route; null: no plan, the router routes
     */
    public Submitted publishLines(Lines lines, String batchId, String endpoint, String tenant, Set<String> skip,
            BudgetRouting.Routes budget) throws IOException {
        BatchLineParser parser = new BatchLineParser(batchId, validator, clock, endpoint);
        long[] counts = new long[4];
        lines.forEach(line -> {
            counts[2]++;
            RequestOutcome outcome = parser.parse(line);
            // The plan numbers the accepted lines in file order, skipped ones included.
            int accepted = outcome instanceof RequestOutcome.Accepted ? (int) counts[3]++ : -1;
            if (skip.contains(outcome.requestId())) {
                return;
            }
            if (outcome instanceof RequestOutcome.Accepted a) {
                RequestEvent request = a.request().withTenant(tenant);
                if (budget != null) {
                    request = request.withRoute(budget.route(accepted, request.requestedModel()));
                }
                send(Topics.REQUESTS, a.requestId(), request, Headers.REQUEST_V1, batchId);
                counts[0]++;
            } else if (outcome instanceof RequestOutcome.Rejected r) {
                send(Topics.RESULTS, r.requestId(), r.error().withTenant(tenant), Headers.RESULT_V1, batchId);
                counts[1]++;
            }
        });
        flush(batchId);
        return new Submitted(batchId, counts[2], counts[0], counts[1]);
    }

    /** Publishes a batch event and waits until it is acknowledged. */
    public void publishBatch(BatchEvent batch) {
        send(Topics.BATCHES, batch.batchId(), batch, Headers.BATCH_V1, batch.batchId());
        flush(batch.batchId());
    }

    private void flush(String batchId) {
        producer.flush();
        Exception e = failure;
        if (e != null) {
            failure = null;
            throw new IllegalStateException("publishing batch " + batchId + " to Kafka failed: " + e.getMessage()
                    + ". Nothing is lost: run the same command again to publish what is missing.", e);
        }
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
