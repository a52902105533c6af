package io.millrace.infra;

import io.millrace.protocol.Headers;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.ResultEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads the committed results of one batch from {@code millrace.results}, from the beginning of
 * the (compacted) topic, handing each request's result on once. Uses no consumer group: it only
 * reads, and must see every partition.
 */
final class BatchResultCollector implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final String batchId;
    private final Set<String> seen = new HashSet<>();
    private final List<TopicPartition> partitions;

    BatchResultCollector(String bootstrapServers, String batchId) {
        this.batchId = batchId;
        this.consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                // Aborted worker transactions (a crash mid-batch) must never reach the output file.
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000),
                new StringDeserializer(), new ByteArrayDeserializer());
        this.partitions = consumer.partitionsFor(Topics.RESULTS.name()).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /** Request ids that have a result so far. */
    Set<String> seen() {
        return seen;
    }

    /** Reads up to the current end of the topic, handing on new results of the batch. */
    void catchUp(Consumer<ResultEvent> sink) {
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
            poll(Duration.ofMillis(200), sink);
        }
    }

    /** One poll, handing on new results of the batch. */
    void poll(Duration timeout, Consumer<ResultEvent> sink) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(timeout)) {
            Header h = r.headers().lastHeader(Headers.BATCH_ID);
            if (h != null && !batchId.equals(new String(h.value(), StandardCharsets.UTF_8))) {
                continue; // another batch: skip without parsing
            }
            if (r.value() == null || seen.contains(r.key())) {
                continue;
            }
            ResultEvent result;
            try {
                result = Topics.RESULT_SERDE.deserializer().deserialize(r.topic(), r.value());
            } catch (RuntimeException e) {
                continue; // not ours to judge: a foreign producer's record on the results topic
            }
            if (batchId.equals(result.batchId()) && seen.add(result.requestId())) {
                sink.accept(result);
            }
        }
    }

    @Override
    public void close() {
        consumer.close();
    }
}
