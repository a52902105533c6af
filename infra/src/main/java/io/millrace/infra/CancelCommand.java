package io.millrace.infra;

import io.millrace.protocol.Headers;
import io.millrace.protocol.Ids;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.BatchEvent;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code millrace cancel BATCH_ID}: publishes the batch's event again with {@code cancelled_at}
 * set. Workers then answer its queued and running requests with {@code batch_cancelled}; results
 * already committed stay, as OpenAI returns finished work of a cancelled batch.
 */
final class CancelCommand {
    static final String USAGE = "usage: millrace cancel BATCH_ID [--bootstrap-servers HOST:PORT] [--data-dir DIR] [--kafka-port PORT]";
    static final Set<String> OPTIONS = Set.of("bootstrap-servers", "data-dir", "kafka-port", "model-dir");

    private final PrintStream out;

    CancelCommand(PrintStream out) {
        this.out = out;
    }

    BatchEvent run(Args args) throws IOException {
        if (args.positionals().size() != 1) {
            throw new Args.UsageException("millrace cancel takes exactly one batch id\n" + USAGE);
        }
        String batchId = Ids.checkBatchId(args.positionals().get(0));
        try (Deployment deployment = Deployment.connect(Settings.from(args, 0))) {
            BatchEvent batch = latest(deployment.bootstrapServers(), batchId).orElseThrow(() -> new IllegalArgumentException(
                    "no batch with id " + batchId + " on " + deployment.bootstrapServers()
                            + ": check the id printed by millrace batch (and --bootstrap-servers)"));
            if (batch.cancelled()) {
                out.println("batch " + batchId + " was already cancelled");
                return batch;
            }
            BatchEvent cancelled = batch.cancel(Clock.systemUTC().millis());
            publish(deployment.bootstrapServers(), cancelled);
            out.println("batch " + batchId + " cancelling: queued and running requests will be answered batch_cancelled");
            return cancelled;
        }
    }

    /** The latest event of the batch on the compacted batches topic. */
    static Optional<BatchEvent> latest(String bootstrapServers, String batchId) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.BATCHES.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            BatchEvent found = null;
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    if (batchId.equals(r.key()) && r.value() != null) {
                        try {
                            found = Topics.BATCH_SERDE.deserializer().deserialize(r.topic(), r.value());
                        } catch (RuntimeException e) {
                            // A foreign record under this key is not a batch state; the last valid one is.
                        }
                    }
                }
            }
            return Optional.ofNullable(found);
        }
    }

    private static void publish(String bootstrapServers, BatchEvent event) {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers, ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new ByteArraySerializer())) {
            ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.BATCHES.name(), event.batchId(),
                    Topics.BATCH_SERDE.serializer().serialize(Topics.BATCHES.name(), event));
            record.headers().add(Headers.SCHEMA, Headers.BATCH_V1.getBytes(StandardCharsets.UTF_8));
            record.headers().add(Headers.BATCH_ID, event.batchId().getBytes(StandardCharsets.UTF_8));
            producer.send(record).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing the cancellation", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot publish the cancellation: " + e.getCause().getMessage(), e.getCause());
        }
    }
}
