package io.millrace.router;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Value;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * What the router did with its records, per task, as Streams metrics
 * ({@code stream-millrace-router-metrics}: {@code <outcome>-total} and {@code <outcome>-rate}),
 * exported wherever the application's other Kafka metrics go. The response cache adds
 * {@code cache-hits}, {@code cache-misses} (cacheable requests sent to a worker), {@code cache-stored}
 * and the gauge {@code response-cache-size} (entries this instance holds); health adds {@code parked}
 * (requests that wait because every model of their chain is down). The gauge {@code parked-requests}
 * (tags {@code task-id}, {@code reason}: {@code health} or {@code quota}) is how many requests wait in
 * this task's stores now: those whose chain is down, and batch lines of tenants over their quota.
 */
final class RouterMetrics implements AutoCloseable {
    static final String SCOPE = "millrace-router";
    static final String GROUP = "stream-" + SCOPE + "-metrics";
    /** Which processor's sensors these are: each processor of a task registers its own. */
    static final String ROUTER = "router";
    static final String CACHE_FILLER = "cache-filler";
    static final String ROUTED = "routed";
    static final String REJECTED = "rejected";
    static final String DEAD_LETTERED = "dead-lettered";
    static final String DUPLICATES_DROPPED = "duplicates-dropped";
    static final String PARKED = "parked";
    static final String CACHE_HITS = "cache-hits";
    static final String CACHE_MISSES = "cache-misses";
    static final String CACHE_STORED = "cache-stored";
    static final String CACHE_SIZE = "response-cache-size";
    static final String PARKED_REQUESTS = "parked-requests";
    static final String HEALTH = "health";
    static final String QUOTA = "quota";

    private final ProcessorContext<?, ?> context;
    private final String task;
    private final String node;
    private final List<Sensor> sensors = new ArrayList<>();
    private Sensor routed;
    private Sensor rejected;
    private Sensor deadLettered;
    private Sensor duplicates;
    private Sensor parked;
    private Sensor hits;
    private Sensor misses;
    private Sensor stored;
    private Sensor size;
    private final Map<String, Sensor> waiting = new java.util.HashMap<>();

    RouterMetrics(ProcessorContext<?, ?> context) {
        this(context, ROUTER);
    }

    RouterMetrics(ProcessorContext<?, ?> context, String node) {
        this.context = context;
        this.task = context.taskId().toString();
        this.node = node;
        // Made at once, so a scraper sees a zero rather than no metric before the first record.
        if (ROUTER.equals(node)) {
            routed = sensor(null, ROUTED);
            rejected = sensor(null, REJECTED);
            deadLettered = sensor(null, DEAD_LETTERED);
            duplicates = sensor(null, DUPLICATES_DROPPED);
        } else {
            stored = sensor(null, CACHE_STORED);
        }
    }

    /** Each sensor is made once; the cache's hits and misses only where the cache is on. */
    private Sensor sensor(Sensor existing, String outcome) {
        if (existing != null) {
            return existing;
        }
        // The router's own outcomes keep their entity name (the task) as before the cache existed.
        String entity = ROUTER.equals(node) ? task : task + "-" + node;
        Sensor s = context.metrics().addRateTotalSensor(SCOPE, entity, outcome, Sensor.RecordingLevel.INFO);
        sensors.add(s);
        return s;
    }

    void routed() {
        (routed = sensor(routed, ROUTED)).record();
    }

    void rejected() {
        (rejected = sensor(rejected, REJECTED)).record();
    }

    void deadLettered() {
        (deadLettered = sensor(deadLettered, DEAD_LETTERED)).record();
    }

    void duplicateDropped() {
        (duplicates = sensor(duplicates, DUPLICATES_DROPPED)).record();
    }

    /** A request that waits: every model of its fallback chain is down. */
    void parked() {
        (parked = sensor(parked, PARKED)).record();
    }

    void cacheHit(long cacheSize) {
        (hits = sensor(hits, CACHE_HITS)).record();
        cacheSize(cacheSize);
    }

    void cacheMiss(long cacheSize) {
        (misses = sensor(misses, CACHE_MISSES)).record();
        cacheSize(cacheSize);
    }

    void cacheStored() {
        (stored = sensor(stored, CACHE_STORED)).record();
    }

    /** A gauge of the last size seen: the store is global, so every task reports the same number. */
    private void cacheSize(long entries) {
        if (size == null) {
            size = context.metrics().addSensor(task + "-" + CACHE_SIZE, Sensor.RecordingLevel.INFO);
            size.add(new MetricName(CACHE_SIZE, GROUP, "entries in this instance's response cache",
                    Map.of("task-id", task)), new Value());
            sensors.add(size);
        }
        size.record(entries);
    }

    /**
     * Sets the gauge of requests waiting in this task's store for {@code reason} ({@link #HEALTH} or
     * {@link #QUOTA}); made on first use, so only where that gate exists.
     */
    void waiting(String reason, long requests) {
        waiting.computeIfAbsent(reason, r -> {
            Sensor s = context.metrics().addSensor(task + "-" + PARKED_REQUESTS + "-" + r, Sensor.RecordingLevel.INFO);
            s.add(new MetricName(PARKED_REQUESTS, GROUP, "requests waiting in this task's store now (reason: health, every model"
                    + " of their chain down; quota, their tenant over its quota)", Map.of("task-id", task, "reason", r)), new Value());
            sensors.add(s);
            return s;
        }).record(requests);
    }

    /** The gauge {@code parked-requests} of {@code reason} summed over the tasks whose metrics these are. */
    static long waitingIn(Map<MetricName, ? extends org.apache.kafka.common.Metric> metrics, String reason) {
        return Math.round(metrics.entrySet().stream()
                .filter(e -> e.getKey().group().equals(GROUP) && e.getKey().name().equals(PARKED_REQUESTS)
                        && reason.equals(e.getKey().tags().get("reason")))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).sum());
    }

    /** Sensors outlive a task unless removed: a task that moves away must not leave stale metrics. */
    @Override
    public void close() {
        sensors.forEach(s -> context.metrics().removeSensor(s));
    }
}
