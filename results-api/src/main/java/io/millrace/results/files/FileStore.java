package io.millrace.results.files;

import io.millrace.protocol.Headers;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.FileEvent;
import io.millrace.results.NotReadyException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Files in Kafka: chunks on {@code millrace.file-chunks}, then the {@link FileEvent} on
 * {@code millrace.files} that makes the file visible.
 *
 * <p>Guarantees: a file event is published only after every one of its chunks is acknowledged by
 * all replicas, so a visible file can always be read whole; a write that fails before that leaves
 * no visible file (its chunks are tombstoned on a best-effort basis). Memory: one chunk being cut
 * plus the producer's bounded buffer ({@link #BUFFER_BYTES}); {@code send} blocks while it is full,
 * so an upload is paced by the broker, never held whole. Reading holds about one fetch (1 MiB).
 */
final class FileStore implements AutoCloseable {
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);
    /** Reading a chunk that does not arrive in this long means the broker is unavailable. */
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
    static final long BUFFER_BYTES = 8L * 1024 * 1024;

    private final String bootstrapServers;
    private final KafkaProducer<String, byte[]> producer;

    FileStore(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.BUFFER_MEMORY_CONFIG, BUFFER_BYTES,
                ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.CLIENT_ID_CONFIG, "millrace-api-files"), new StringSerializer(), new ByteArraySerializer());
    }

    /** Where the chunks of a file went. */
    record Written(int partition, List<Long> offsets) {}

    /** Writes the content as chunks, all on the file's partition, and waits until every one is acknowledged. */
    Written writeChunks(String fileId, InputStream content) throws IOException {
        int partitions = producer.partitionsFor(Topics.FILE_CHUNKS.name()).size();
        int partition = Utils.toPositive(Utils.murmur2(fileId.getBytes(StandardCharsets.UTF_8))) % partitions;
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try {
            Chunker.split(content, Topics.FILE_CHUNK_BYTES, chunk -> {
                int index = sent.size();
                ProducerRecord<String, byte[]> r = new ProducerRecord<>(Topics.FILE_CHUNKS.name(), partition,
                        FileEvent.chunkKey(fileId, index), chunk);
                r.headers().add(Headers.CHUNK_INDEX, Integer.toString(index).getBytes(StandardCharsets.UTF_8));
                sent.add(producer.send(r));
            });
            List<Long> offsets = new ArrayList<>(sent.size());
            for (Future<RecordMetadata> f : sent) {
                offsets.add(await(f, "a chunk of " + fileId).offset());
            }
            return new Written(partition, offsets);
        } catch (IOException | RuntimeException e) {
            tombstoneChunks(fileId, partition, sent.size());
            throw e;
        }
    }

    /** Makes the file visible; returns once the event is durable. */
    void publish(FileEvent file) {
        ProducerRecord<String, byte[]> r = new ProducerRecord<>(Topics.FILES.name(), file.fileId(),
                Topics.FILE_SERDE.serializer().serialize(Topics.FILES.name(), file));
        r.headers().add(Headers.SCHEMA, Headers.FILE_V1.getBytes(StandardCharsets.UTF_8));
        await(producer.send(r), "the file event of " + file.fileId());
    }

    /**
     * Deletes a file: first its event (tombstone), so no reader finds it any more, then each chunk
     * (tombstones too), so compaction removes the bytes themselves.
     */
    void delete(FileEvent file) {
        await(producer.send(new ProducerRecord<>(Topics.FILES.name(), file.fileId(), null)), "the deletion of " + file.fileId());
        tombstoneChunks(file.fileId(), file.chunkPartition(), file.chunkOffsets().size());
        producer.flush();
    }

    private void tombstoneChunks(String fileId, int partition, int count) {
        for (int i = 0; i < count; i++) {
            producer.send(new ProducerRecord<>(Topics.FILE_CHUNKS.name(), partition, FileEvent.chunkKey(fileId, i), null));
        }
    }

    /**
     * Streams the content to {@code out}, chunk by chunk, seeking to each recorded offset (other
     * files' chunks may lie between). Throws when a chunk is missing (the file was deleted while
     * being read) or the broker does not answer; by then part of the content may be written.
     */
    void copyContent(FileEvent file, OutputStream out) throws IOException {
        List<Long> offsets = file.chunkOffsets();
        if (offsets.isEmpty()) {
            return;
        }
        TopicPartition tp = new TopicPartition(Topics.FILE_CHUNKS.name(), file.chunkPartition());
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                // One partition, so a fetch holds at most about one chunk batch.
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 1024 * 1024,
                ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 1024 * 1024,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 4,
                ConsumerConfig.CLIENT_ID_CONFIG, "millrace-api-file-reader"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, offsets.get(0));
            int next = 0;
            long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
            while (next < offsets.size()) {
                boolean progressed = false;
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (next == offsets.size()) {
                        break; // the file's last chunk was read; the rest of the poll is other files'
                    }
                    long want = offsets.get(next);
                    if (r.offset() < want) {
                        continue;
                    }
                    String key = FileEvent.chunkKey(file.fileId(), next);
                    if (r.offset() > want || !key.equals(r.key()) || r.value() == null) {
                        throw new IOException("chunk " + next + " of " + file.fileId() + " is gone from "
                                + tp + "@" + want + ": the file was deleted");
                    }
                    out.write(r.value());
                    next++;
                    progressed = true;
                    if (next < offsets.size() && offsets.get(next) != r.offset() + 1) {
                        consumer.seek(tp, offsets.get(next)); // skip other files' chunks
                        break;
                    }
                }
                if (progressed) {
                    deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
                } else if (System.nanoTime() > deadline) {
                    throw new IOException("no chunk of " + file.fileId() + " from " + tp + " in " + READ_TIMEOUT.toSeconds() + " s");
                }
            }
        }
    }

    private static RecordMetadata await(Future<RecordMetadata> f, String what) {
        try {
            return f.get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NotReadyException("interrupted while writing " + what, e);
        } catch (ExecutionException | TimeoutException e) {
            // The HTTP layer answers 503 + Retry-After: the upload or delete can be retried as a whole.
            throw new NotReadyException("cannot write " + what + " yet: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
