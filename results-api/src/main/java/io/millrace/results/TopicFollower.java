package io.millrace.results;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
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
final class TopicFollower implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TopicFollower.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration METADATA = Duration.ofSeconds(30);

    /** Where to start reading. */
    enum From { BEGINNING, END }

    private final String topic;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Consumer<ConsumerRecord<String, byte[]>> sink;
    private final Map<TopicPartition, Long> endAtStart;
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * Positions are resolved before this returns: a record produced afterwards is seen, and with
     * {@link From#BEGINNING} so is everything before.
     */
    TopicFollower(String bootstrapServers, String topic, From from, Consumer<ConsumerRecord<String, byte[]>> sink) {
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
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(topic, METADATA).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            consumer.assign(partitions);
            if (from == From.BEGINNING) {
                consumer.seekToBeginning(partitions);
            } else {
                consumer.seekToEnd(partitions);
            }
            partitions.forEach(p -> consumer.position(p, METADATA));
            endAtStart = consumer.endOffsets(partitions, METADATA);
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            throw e;
        }
        thread = new Thread(this::run, "millrace-api-follower-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    /** Waits until everything on the topic when this follower started has been handed over. */
    boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** False once it stopped on an error; readiness reports it. */
    boolean running() {
        return running;
    }

    private void run() {
        try {
            checkCaughtUp();
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                    try {
                        sink.accept(r);
                    } catch (RuntimeException e) {
                        // One record a sink cannot use must not stop the follower for everyone.
                        log.warn("skipping {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), String.valueOf(e.getMessage()));
                    }
                }
                checkCaughtUp();
            }
        } catch (WakeupException e) {
            // close() asked us to stop
        } catch (RuntimeException e) {
            log.error("following {} stopped; this API instance is not ready until it restarts", topic, e);
        } finally {
            running = false;
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void checkCaughtUp() {
        if (caughtUp.getCount() > 0 && endAtStart.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
            caughtUp.countDown();
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
