package io.millrace.results;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
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
 * Follows every partition of one topic on a thread of its own and hands each committed record to a
 * sink: what an API instance uses to know a topic whole (keys) or to see what arrives on it
 * (results), whichever instance a client reached. No consumer group, so every instance sees every
 * record and nothing is committed; {@code read_committed}, so nothing from an aborted or open
 * transaction is seen.
 */
public final class TopicFollower implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TopicFollower.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration METADATA = Duration.ofSeconds(30);

    /** Where to start reading. */
    public enum From { BEGINNING, END }

    private final String topic;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Consumer<ConsumerRecord<String, byte[]>> sink;
    private final List<TopicPartition> partitions = new ArrayList<>();
    /** Asked for by {@link #sync}: completed once the follower has read up to the topic's end as of then. */
    private final Queue<CompletableFuture<Void>> syncRequests = new ConcurrentLinkedQueue<>();
    /** The first sync: everything on the topic when the follower started has been handed over. */
    private final CompletableFuture<Void> caughtUp = new CompletableFuture<>();
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * Positions are resolved before this returns: a record produced afterwards is seen, and with
     * {@link From#BEGINNING} so is everything before.
     */
    public TopicFollower(String bootstrapServers, String topic, From from, Consumer<ConsumerRecord<String, byte[]>> sink) {
        this.topic = topic;
        this.sink = sink;
        consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                // Records here are small and someone waits for each: fetch as soon as one is there.
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50,
                ConsumerConfig.CLIENT_ID_CONFIG, "millrace-api-follower-" + topic),
                new StringDeserializer(), new ByteArrayDeserializer());
        try {
            consumer.partitionsFor(topic, METADATA).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            consumer.assign(partitions);
            if (from == From.BEGINNING) {
                consumer.seekToBeginning(partitions);
            } else {
                consumer.seekToEnd(partitions);
            }
            partitions.forEach(p -> consumer.position(p, METADATA));
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            throw e;
        }
        syncRequests.add(caughtUp);
        thread = new Thread(this::run, "millrace-api-follower-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    /** Waits until everything on the topic when this follower started has been handed over. */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        try {
            caughtUp.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException | ExecutionException e) {
            return false;
        }
    }

    /** Whether the first {@link #awaitCaughtUp} would return at once. */
    public boolean caughtUp() {
        return caughtUp.isDone() && !caughtUp.isCompletedExceptionally();
    }

    /**
     * Completes once every record written to the topic before this call has been handed to the sink:
     * what a reader needs to see a write made through another API instance.
     */
    public CompletableFuture<Void> sync() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        syncRequests.add(done);
        consumer.wakeup();
        return done;
    }

    /** False once it stopped on an error; readiness reports it. */
    public boolean running() {
        return running;
    }

    private void run() {
        List<CompletableFuture<Void>> waiting = new ArrayList<>();
        Map<TopicPartition, Long> target = null;
        try {
            while (running) {
                try {
                    // waiting too: a wakeup can land in endOffsets below after the requests moved here.
                    if (target == null && (!syncRequests.isEmpty() || !waiting.isEmpty())) {
                        for (CompletableFuture<Void> f = syncRequests.poll(); f != null; f = syncRequests.poll()) {
                            waiting.add(f);
                        }
                        // Ends asked for after the requests were queued: everything written before them is below.
                        target = consumer.endOffsets(partitions, METADATA);
                    }
                    if (target != null && reached(target)) {
                        waiting.forEach(f -> f.complete(null));
                        waiting.clear();
                        target = null;
                        continue;
                    }
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                        try {
                            sink.accept(r);
                        } catch (RuntimeException e) {
                            // One record a sink cannot use must not stop the follower for everyone.
                            log.warn("skipping {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), String.valueOf(e.getMessage()));
                        }
                    }
                } catch (WakeupException e) {
                    // sync() or close() wants attention
                }
            }
        } catch (RuntimeException e) {
            log.error("following {} stopped; this API instance is not ready until it restarts", topic, e);
        } finally {
            running = false;
            IllegalStateException stopped = new IllegalStateException("following " + topic + " stopped");
            waiting.forEach(f -> f.completeExceptionally(stopped));
            syncRequests.forEach(f -> f.completeExceptionally(stopped));
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
