package io.millrace.results.webhooks;

import io.millrace.protocol.Topic;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Reads, once, every committed record of one key's partition (the default partitioner's choice for
 * that key) from the start to the end as of now, handing over the records of that key. Used for
 * the delivery log and replays, which are per endpoint and keyed by endpoint id; each read costs
 * the partition's length, bounded by the topic's retention.
 */
public final class KeyPartitionReader {
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration LIMIT = Duration.ofSeconds(30);

    private KeyPartitionReader() {}

    /** The partition the default partitioner gives a String key, as every producer here uses it. */
    public static int partitionOf(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    public static <V> void read(String bootstrapServers, Topic<String, V> topic, String key,
            Consumer<ConsumerRecord<String, V>> sink) {
        TopicPartition tp = new TopicPartition(topic.name(), partitionOf(key, topic.partitions()));
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp), LIMIT).get(tp);
            long deadline = System.nanoTime() + LIMIT.toNanos();
            while (consumer.position(tp, LIMIT) < end) {
                if (System.nanoTime() > deadline) {
                    throw new io.millrace.results.NotReadyException("cannot read " + tp + " within " + LIMIT.toSeconds() + " s", null);
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                    if (key.equals(r.key()) && r.value() != null) {
                        V value = topic.valueSerde().deserializer().deserialize(r.topic(), r.value());
                        sink.accept(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.timestamp(), r.timestampType(),
                                r.serializedKeySize(), r.serializedValueSize(), r.key(), value, r.headers(), r.leaderEpoch()));
                    }
                }
            }
        }
    }

    /** The same, collected. */
    public static <V> List<ConsumerRecord<String, V>> readAll(String bootstrapServers, Topic<String, V> topic, String key) {
        List<ConsumerRecord<String, V>> out = new ArrayList<>();
        read(bootstrapServers, topic, key, out::add);
        return out;
    }
}
