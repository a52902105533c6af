package io.millrace.worker;

import io.millrace.worker.model.EngineConfig;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * The worker's own settings, read from the service's overrides under {@code worker.*} and
 * validated at start.
 *
 * @param engine                how each model generates ({@code worker.engine}: {@code batch}, the
 *                              default, or {@code sequential})
 * @param maxInFlight           requests generating at once before the consumer pauses
 *                              ({@code worker.max.in.flight}; default 4 × the engine's batch size,
 *                              so a finished sequence's slot is refilled at once)
 * @param maxQueuedPerPartition uncommitted requests one partition may hold behind an unfinished
 *                              head before it is paused ({@code worker.max.queued.per.partition})
 * @param commitInterval        longest wait to commit ready results while more keep coming
 *                              ({@code worker.commit.interval.ms})
 * @param commitMaxResults      ready results that trigger a commit at once ({@code worker.commit.max.results})
 * @param kvMemoryBytes         KV cache memory of each model's batch engine ({@code worker.kv.memory}, a
 *                              size such as {@code 512m}; default {@link EngineConfig#defaultKvMemoryBytes})
 */
public record WorkerConfig(Engine engine, int maxInFlight, int maxQueuedPerPartition, Duration commitInterval,
        int commitMaxResults, long kvMemoryBytes) {
    public static final String ENGINE = "worker.engine";
    public static final String MAX_IN_FLIGHT = "worker.max.in.flight";
    public static final String MAX_QUEUED_PER_PARTITION = "worker.max.queued.per.partition";
    public static final String COMMIT_INTERVAL_MS = "worker.commit.interval.ms";
    public static final String COMMIT_MAX_RESULTS = "worker.commit.max.results";
    public static final String KV_MEMORY = "worker.kv.memory";

    /** The engines a worker can run; {@link WorkerService#newEngine} builds them. */
    public enum Engine {
        /** Continuous batching ({@code BatchEngine}) with {@link #BATCHING}. */
        BATCH(BATCHING.maxBatchSize()),
        /** One request at a time ({@code SequentialEngine}): the baseline batching is measured against. */
        SEQUENTIAL(1);

        final int batchSize;

        Engine(int batchSize) {
            this.batchSize = batchSize;
        }
    }

    /** How the batch engine batches. */
    static final EngineConfig BATCHING = EngineConfig.defaults();

    public WorkerConfig {
        require(engine != null, ENGINE + " is missing");
        require(maxInFlight >= 1, MAX_IN_FLIGHT + " is " + maxInFlight + ": it must be at least 1");
        require(maxQueuedPerPartition >= 1, MAX_QUEUED_PER_PARTITION + " is " + maxQueuedPerPartition + ": it must be at least 1");
        require(!commitInterval.isNegative(), COMMIT_INTERVAL_MS + " is " + commitInterval.toMillis() + ": it must be 0 or more");
        require(commitMaxResults >= 1, COMMIT_MAX_RESULTS + " is " + commitMaxResults + ": it must be at least 1");
        require(kvMemoryBytes >= 1 << 20, KV_MEMORY + " is " + kvMemoryBytes + " bytes: give the KV cache at least 1m"
                + " (the default is half the JVM's maximum heap)");
    }

    /** With the default KV memory. */
    public WorkerConfig(Engine engine, int maxInFlight, int maxQueuedPerPartition, Duration commitInterval,
            int commitMaxResults) {
        this(engine, maxInFlight, maxQueuedPerPartition, commitInterval, commitMaxResults,
                EngineConfig.defaultKvMemoryBytes());
    }

    /** The defaults (which follow the engine's batch size), then the overrides. */
    static WorkerConfig from(Map<String, Object> overrides) {
        Engine engine = engine(overrides.get(ENGINE));
        int maxInFlight = intValue(overrides, MAX_IN_FLIGHT, 4 * engine.batchSize);
        return new WorkerConfig(engine, maxInFlight,
                intValue(overrides, MAX_QUEUED_PER_PARTITION, Math.max(64, 4 * maxInFlight)),
                Duration.ofMillis(intValue(overrides, COMMIT_INTERVAL_MS, 100)),
                intValue(overrides, COMMIT_MAX_RESULTS, 64),
                overrides.get(KV_MEMORY) == null ? EngineConfig.defaultKvMemoryBytes() : ByteSize.parse(KV_MEMORY, overrides.get(KV_MEMORY)));
    }

    /** How the batch engine of each model runs: {@link #BATCHING} with this KV memory. */
    EngineConfig batching() {
        return BATCHING.withKvMemoryBytes(kvMemoryBytes);
    }

    PausePolicy pausePolicy() {
        return new PausePolicy(maxInFlight, maxQueuedPerPartition);
    }

    CommitPolicy commitPolicy() {
        return new CommitPolicy(commitInterval, commitMaxResults);
    }

    private static Engine engine(Object value) {
        if (value == null) {
            return Engine.BATCH;
        }
        try {
            return Engine.valueOf(value.toString().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(ENGINE + " is '" + value + "': use batch or sequential");
        }
    }

    private static int intValue(Map<String, Object> overrides, String key, int defaultValue) {
        Object v = overrides.get(key);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " is '" + v + "': it must be a whole number");
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
