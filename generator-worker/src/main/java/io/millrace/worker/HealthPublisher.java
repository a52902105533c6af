package io.millrace.worker;

import io.millrace.protocol.Headers;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.HealthEvent;
import io.millrace.worker.model.EngineStats;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's heartbeats: one {@link HealthEvent} per served model on {@code millrace.health}
 * every {@value #INTERVAL_MS} (2 s by default), one at once after a generation failure, and a last
 * one with {@code live: false} on close. The router opens a model's circuit from them.
 *
 * <p>Outside the worker's transaction, on its own thread and producer: a heartbeat says the worker
 * is alive now, so it must not wait for a commit, and a lost one only makes the next count double
 * (counts are re-added when a send fails). Publishing never blocks the poll or inference threads.
 */
public final class HealthPublisher implements AutoCloseable {
    /** How often each model's heartbeat is sent, in milliseconds ({@code --set worker.health.interval.ms}). */
    public static final String INTERVAL_MS = "worker.health.interval.ms";
    static final int DEFAULT_INTERVAL_MS = 2_000;
    private static final Logger log = LoggerFactory.getLogger(HealthPublisher.class);

    private final Producer<String, byte[]> producer;
    private final String workerId;
    private final Map<String, Supplier<EngineStats>> engines;
    private final Duration interval;
    private final Clock clock;
    private final Map<String, AtomicLong> completed = new LinkedHashMap<>();
    private final Map<String, AtomicLong> failures = new LinkedHashMap<>();
    private final AtomicBoolean soon = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "millrace-health");
        t.setDaemon(true);
        return t;
    });

    HealthPublisher(Producer<String, byte[]> producer, String workerId, Map<String, Supplier<EngineStats>> engines, Duration interval,
            Clock clock) {
        this.producer = producer;
        this.workerId = workerId;
        this.engines = Map.copyOf(engines);
        this.interval = interval;
        this.clock = clock;
        engines.keySet().forEach(m -> {
            completed.put(m, new AtomicLong());
            failures.put(m, new AtomicLong());
        });
    }

    /** The heartbeat interval set in {@code overrides}, else 2 s; a value that is no interval is refused with the fix. */
    public static Duration interval(Map<String, Object> overrides) {
        Object v = overrides.get(INTERVAL_MS);
        if (v == null) {
            return Duration.ofMillis(DEFAULT_INTERVAL_MS);
        }
        try {
            long ms = Long.parseLong(v.toString().trim());
            if (ms >= 10 && ms <= 60_000) {
                return Duration.ofMillis(ms);
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new IllegalArgumentException(INTERVAL_MS + " is '" + v + "': use whole milliseconds from 10 to 60000,"
                + " well under the router's router.health.dead.after (10s), e.g. 2000");
    }

    /** Starts the periodic heartbeats, the first at once. */
    void start() {
        scheduler.scheduleAtFixedRate(() -> publish(true), 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A request of {@code model} was generated and its result committed. */
    void completed(String model) {
        AtomicLong c = completed.get(model);
        if (c != null) {
            c.incrementAndGet();
        }
    }

    /** A generation of {@code model} failed: counted, and reported now rather than at the next beat. */
    void failed(String model) {
        AtomicLong c = failures.get(model);
        if (c == null) {
            return;
        }
        c.incrementAndGet();
        if (soon.compareAndSet(false, true) && !closed.get()) {
            try {
                scheduler.execute(() -> {
                    soon.set(false);
                    publish(true);
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                soon.set(false); // closing: the goodbye carries the count
            }
        }
    }

    private void publish(boolean live) {
        long now = clock.millis();
        for (Map.Entry<String, Supplier<EngineStats>> e : engines.entrySet()) {
            String model = e.getKey();
            EngineStats stats = stats(e.getValue());
            long done = completed.get(model).getAndSet(0);
            long failed = failures.get(model).getAndSet(0);
            HealthEvent beat = new HealthEvent(workerId, model, live, stats.running(), stats.waiting(), done, failed, now,
                    interval.toMillis());
            RecordHeaders headers = new RecordHeaders();
            headers.add(Headers.SCHEMA, Headers.HEALTH_V1.getBytes(StandardCharsets.UTF_8));
            try {
                producer.send(new ProducerRecord<>(Topics.HEALTH.name(), null, model,
                        Topics.HEALTH_SERDE.serializer().serialize(Topics.HEALTH.name(), beat), headers), (md, ex) -> {
                            if (ex != null) {
                                // The next heartbeat carries the counts instead.
                                completed.get(model).addAndGet(done);
                                failures.get(model).addAndGet(failed);
                                log.debug("a heartbeat of {} was not published: {}", model, ex.toString());
                            }
                        });
            } catch (RuntimeException ex) {
                log.warn("a heartbeat of {} was not published: {}", model, ex.toString());
            }
        }
    }

    private static EngineStats stats(Supplier<EngineStats> engine) {
        try {
            return engine.get();
        } catch (RuntimeException e) {
            return new EngineStats(0, 0, 0, 0, 0, 0, 0); // a closing engine: its load is no longer news
        }
    }

    /** Stops the heartbeats and says goodbye: the last report of each model has {@code live: false}. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        scheduler.shutdown();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        publish(false);
        producer.close(Duration.ofSeconds(5));
    }
}
