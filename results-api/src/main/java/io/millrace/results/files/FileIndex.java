package io.millrace.results.files;

import io.millrace.protocol.Topics;
import io.millrace.protocol.events.FileEvent;
import io.millrace.results.NotReadyException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every stored file of the deployment, in memory, in id (so creation) order: {@code millrace.files}
 * read from the beginning by one plain consumer per API instance (no group: every instance holds
 * every file). File events are small (a few KiB for a 200 MB file), so memory grows with the count
 * of files, not their size.
 *
 * <p>Consistency: {@link #sync} waits until the index has read everything written to the topic
 * before the call, so a lookup that misses, and every write, sync first: a file uploaded or deleted
 * through any instance is seen by the next request to any other. A list does not sync; it shows
 * what this instance has read, at most a poll behind. Until the first sync completes (the topic
 * read up to its end at start) the index is not ready and reads answer 503.
 */
final class FileIndex implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FileIndex.class);
    private static final Duration POLL = Duration.ofMillis(500);
    static final Duration SYNC_TIMEOUT = Duration.ofSeconds(10);

    private final KafkaConsumer<String, byte[]> consumer;
    private final List<TopicPartition> partitions = new ArrayList<>();
    private final NavigableMap<String, FileEvent> files = new ConcurrentSkipListMap<>();
    private final Queue<CompletableFuture<Void>> syncRequests = new ConcurrentLinkedQueue<>();
    private final CompletableFuture<Void> loaded;
    private final Thread thread;
    private volatile boolean running = true;

    FileIndex(String bootstrapServers) {
        consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50,
                ConsumerConfig.CLIENT_ID_CONFIG, "millrace-api-files-index"),
                new StringDeserializer(), new ByteArrayDeserializer());
        consumer.partitionsFor(Topics.FILES.name(), Duration.ofSeconds(30))
                .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        loaded = new CompletableFuture<>();
        syncRequests.add(loaded);
        thread = new Thread(this::run, "millrace-api-files-index");
        thread.setDaemon(true);
        thread.start();
    }

    /** True once the files that existed at start are all read, and while the reader runs. */
    boolean ready() {
        return running && loaded.isDone();
    }

    boolean running() {
        return running;
    }

    /** The file, after reading everything written before this call when this instance has not seen it yet. */
    Optional<FileEvent> find(String id) {
        checkReady();
        FileEvent f = files.get(id);
        if (f == null) {
            sync();
            f = files.get(id);
        }
        return Optional.ofNullable(f);
    }

    /** The files as read so far, by id; a read-only view. */
    NavigableMap<String, FileEvent> byId() {
        checkReady();
        return java.util.Collections.unmodifiableNavigableMap(files);
    }

    /** Waits until every file event written before this call is read. */
    void sync() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        syncRequests.add(done);
        consumer.wakeup();
        try {
            done.get(SYNC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NotReadyException("interrupted while reading the file index", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new NotReadyException("the file index cannot catch up with " + Topics.FILES.name() + " yet", e);
        }
    }

    private void checkReady() {
        if (!ready()) {
            throw new NotReadyException("the file index is " + (running ? "still loading" : "stopped"), null);
        }
    }

    private void run() {
        List<CompletableFuture<Void>> waiting = new ArrayList<>();
        Map<TopicPartition, Long> target = null;
        try {
            while (running) {
                try {
                    if (target == null && (!syncRequests.isEmpty() || !waiting.isEmpty())) {
                        for (CompletableFuture<Void> f = syncRequests.poll(); f != null; f = syncRequests.poll()) {
                            waiting.add(f);
                        }
                        // Ends asked for after the requests were queued: everything written before them is below.
                        target = consumer.endOffsets(partitions, Duration.ofSeconds(30));
                    }
                    if (target != null && reached(target)) {
                        waiting.forEach(f -> f.complete(null));
                        waiting.clear();
                        target = null;
                        continue;
                    }
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                        apply(r);
                    }
                } catch (WakeupException e) {
                    // sync() or close() wants attention
                }
            }
        } catch (RuntimeException e) {
            log.error("the file index stopped; the Files API answers 503 until a restart", e);
        } finally {
            running = false;
            waiting.forEach(f -> f.completeExceptionally(new IllegalStateException("the file index stopped")));
            syncRequests.forEach(f -> f.completeExceptionally(new IllegalStateException("the file index stopped")));
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private boolean reached(Map<TopicPartition, Long> target) {
        for (Map.Entry<TopicPartition, Long> e : target.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private void apply(ConsumerRecord<String, byte[]> r) {
        if (r.key() == null) {
            return;
        }
        if (r.value() == null) {
            files.remove(r.key());
            return;
        }
        try {
            files.put(r.key(), Topics.FILE_SERDE.deserializer().deserialize(r.topic(), r.value()));
        } catch (RuntimeException e) {
            log.warn("skipping a file event at {}-{}@{} that does not parse: {}", r.topic(), r.partition(), r.offset(),
                    String.valueOf(e.getMessage()));
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
