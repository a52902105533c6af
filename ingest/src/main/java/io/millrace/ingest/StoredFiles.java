package io.millrace.ingest;

import io.millrace.protocol.Topics;
import io.millrace.protocol.events.FileEvent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Reads files stored through {@code POST /v1/files}: the {@link FileEvent} from {@code millrace.files}
 * and its bytes from {@code millrace.file-chunks} at the offsets the event lists. Not thread-safe:
 * one reader per thread. Memory: about one fetch (1 MiB) at a time; a file is never held whole.
 *
 * <p>Failure table: a file or chunk that is not there (deleted, or never written) is
 * {@link FileGone}, permanent; anything else (a broker that does not answer in {@link #TIMEOUT})
 * is thrown as it is and worth retrying.
 */
final class StoredFiles implements AutoCloseable {
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(200);

    /** The file, or one of its chunks, is gone: retrying cannot help. */
    static final class FileGone extends IOException {
        FileGone(String message) {
            super(message);
        }
    }

    private final KafkaConsumer<String, byte[]> consumer;

    StoredFiles(String bootstrapServers) {
        consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 1024 * 1024,
                ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 1024 * 1024,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 4,
                ConsumerConfig.CLIENT_ID_CONFIG, "millrace-ingest-file-reader"),
                new StringDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * The latest event of the file: its partition of {@code millrace.files} (where the default
     * partitioner put its key) read to the end. Empty when it was never written or was deleted.
     */
    Optional<FileEvent> find(String fileId) {
        int partitions = consumer.partitionsFor(Topics.FILES.name(), TIMEOUT).size();
        TopicPartition tp = new TopicPartition(Topics.FILES.name(),
                Utils.toPositive(Utils.murmur2(fileId.getBytes(StandardCharsets.UTF_8))) % partitions);
        consumer.assign(List.of(tp));
        consumer.seekToBeginning(List.of(tp));
        long end = consumer.endOffsets(List.of(tp), TIMEOUT).get(tp);
        byte[] latest = null;
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (consumer.position(tp, TIMEOUT) < end) {
            if (System.nanoTime() > deadline) {
                throw new org.apache.kafka.common.errors.TimeoutException("reading " + tp + " to its end took over " + TIMEOUT);
            }
            for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                if (fileId.equals(r.key())) {
                    latest = r.value();
                }
            }
        }
        return latest == null ? Optional.empty()
                : Optional.of(Topics.FILE_SERDE.deserializer().deserialize(Topics.FILES.name(), latest));
    }

    /** The file's content, read chunk by chunk as the stream is read; close it before the next read. */
    InputStream open(FileEvent file) {
        return new ChunkStream(file);
    }

    /** Concatenates the chunks; each is fetched when the one before is used up. */
    private final class ChunkStream extends InputStream {
        private final FileEvent file;
        private final TopicPartition tp;
        private int next;
        private byte[] chunk = new byte[0];
        private int pos;

        ChunkStream(FileEvent file) {
            this.file = file;
            this.tp = new TopicPartition(Topics.FILE_CHUNKS.name(), file.chunkPartition());
            consumer.assign(List.of(tp));
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            while (pos >= chunk.length) {
                if (next >= file.chunkOffsets().size()) {
                    return -1;
                }
                chunk = fetch(next++);
                pos = 0;
            }
            int n = Math.min(len, chunk.length - pos);
            System.arraycopy(chunk, pos, b, off, n);
            pos += n;
            return n;
        }

        private byte[] fetch(int index) throws IOException {
            long want = file.chunkOffsets().get(index);
            if (consumer.endOffsets(List.of(tp), TIMEOUT).get(tp) <= want) {
                throw new FileGone("chunk " + index + " of " + file.fileId() + " is not on " + tp + "@" + want);
            }
            consumer.seek(tp, want);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                    if (r.offset() < want) {
                        continue;
                    }
                    // Compaction removed the chunk when the offset holds another record (or none).
                    if (r.offset() > want || !FileEvent.chunkKey(file.fileId(), index).equals(r.key()) || r.value() == null) {
                        throw new FileGone("chunk " + index + " of " + file.fileId() + " is gone from " + tp + "@" + want
                                + ": the file was deleted");
                    }
                    return r.value();
                }
            }
            throw new org.apache.kafka.common.errors.TimeoutException("no chunk " + index + " of " + file.fileId()
                    + " from " + tp + " in " + TIMEOUT.toSeconds() + " s");
        }
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
