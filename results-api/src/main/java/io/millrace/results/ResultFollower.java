package io.millrace.results;

import io.millrace.protocol.Topics;
import io.millrace.protocol.events.ResultEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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
 * Hands each committed result to whoever waits for it: the answer to a synchronous HTTP request.
 *
 * <p>One plain consumer per API instance reads every partition of {@code millrace.results} (no
 * group, so every instance sees every result whichever instance a client reached), with
 * {@code read_committed}, from the end as it was at start. That is lower latency than the
 * materialized view, which publishes a result only after its own commit interval, and it needs no
 * routing between instances.
 *
 * <p>A waiter registers before its request is published, so its result cannot pass unseen; a
 * result that arrives before anyone waits (an {@code Idempotency-Key} retry, a second instance)
 * stays in a small recent-results memory for {@link #RECENT} entries. Older results are the
 * view's job.
 */
final class ResultFollower implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ResultFollower.class);
    static final int RECENT = 10_000;
    private static final Duration POLL = Duration.ofMillis(200);

    private final KafkaConsumer<String, byte[]> consumer;
    private final Map<String, List<CompletableFuture<ResultEvent>>> waiters = new ConcurrentHashMap<>();
    private final Map<String, ResultEvent> recent = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, ResultEvent> eldest) {
            return size() > RECENT;
        }
    };
    private final Thread thread;
    private volatile boolean running = true;

    ResultFollower(String bootstrapServers) {
        consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                // A result is small; fetch as soon as one is there instead of waiting to fill a batch.
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50,
                ConsumerConfig.CLIENT_ID_CONFIG, "millrace-api-results-follower"),
                new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        consumer.partitionsFor(Topics.RESULTS.name(), Duration.ofSeconds(30))
                .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        // Resolve the positions now: a request published after this constructor returns cannot
        // have its result before them.
        partitions.forEach(p -> consumer.position(p, Duration.ofSeconds(30)));
        thread = new Thread(this::run, "millrace-api-results-follower");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * The result of {@code requestId}, completed when it is committed; call before publishing the
     * request. Cancel the future when no longer interested (a timeout), or it is kept until then.
     */
    CompletableFuture<ResultEvent> await(String requestId) {
        CompletableFuture<ResultEvent> f = new CompletableFuture<>();
        waiters.compute(requestId, (k, list) -> {
            List<CompletableFuture<ResultEvent>> l = list == null ? new ArrayList<>() : list;
            l.add(f);
            return l;
        });
        ResultEvent seen;
        synchronized (recent) {
            seen = recent.get(requestId);
        }
        if (seen != null) {
            deliver(requestId, seen);
        }
        f.whenComplete((r, e) -> {
            if (e != null) { // cancelled or timed out: forget it
                waiters.computeIfPresent(requestId, (k, list) -> {
                    list.remove(f);
                    return list.isEmpty() ? null : list;
                });
            }
        });
        return f;
    }

    /** Requests waited for now; a gauge for operators, and a check in tests that nothing leaks. */
    int waiting() {
        return waiters.size();
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                    if (r.key() == null || r.value() == null) {
                        continue;
                    }
                    ResultEvent result;
                    try {
                        result = Topics.RESULT_SERDE.deserializer().deserialize(r.topic(), r.value());
                    } catch (RuntimeException e) {
                        log.warn("skipping a result at {}-{}@{} that does not parse: {}", r.topic(), r.partition(), r.offset(),
                                String.valueOf(e.getMessage()));
                        continue;
                    }
                    synchronized (recent) {
                        recent.put(r.key(), result);
                    }
                    deliver(r.key(), result);
                }
            }
        } catch (WakeupException e) {
            // close() asked us to stop
        } catch (RuntimeException e) {
            log.error("the results follower stopped; synchronous requests will time out until a restart", e);
            running = false;
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void deliver(String requestId, ResultEvent result) {
        List<CompletableFuture<ResultEvent>> list = waiters.remove(requestId);
        if (list != null) {
            list.forEach(f -> f.complete(result));
        }
    }

    /** False once it stopped on an error: readiness reports it. */
    boolean running() {
        return running;
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
