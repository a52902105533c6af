package io.millrace.worker;

import io.millrace.worker.model.EngineConfig;
import io.millrace.worker.model.SessionSettings;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The worker's own settings, read from the service's overrides under {@code worker.*} and
 * validated at start, with the Kafka client overrides that would break exactly-once refused
 * ({@link ExactlyOnceOverrides}).
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
 * @param batching              how the batch engine batches ({@code worker.engine.max.batch.size},
 *                              {@code worker.engine.max.batch.tokens}, {@code worker.engine.prefill.chunk});
 *                              the sequential engine ignores it
 * @param session               how ONNX Runtime runs the models ({@code worker.ort.intra.threads},
 *                              {@code worker.ort.spinning}); applied
 *                              where the models are loaded
 * @param interactiveInFlight   of {@code maxInFlight}, how many batch work leaves to interactive requests
 *                              ({@code worker.interactive.in.flight}; default a quarter, at least 1 where
 *                              {@code maxInFlight} allows): a worker full of batch lines still consumes
 *                              its interactive lane, and the engine admits those first
 */
public record WorkerConfig(Engine engine, int maxInFlight, int maxQueuedPerPartition, Duration commitInterval,
        int commitMaxResults, EngineConfig batching, SessionSettings session, int interactiveInFlight) {
    public static final String ENGINE = "worker.engine";
    public static final String MAX_IN_FLIGHT = "worker.max.in.flight";
    public static final String MAX_QUEUED_PER_PARTITION = "worker.max.queued.per.partition";
    public static final String COMMIT_INTERVAL_MS = "worker.commit.interval.ms";
    public static final String COMMIT_MAX_RESULTS = "worker.commit.max.results";
    public static final String MAX_BATCH_SIZE = "worker.engine.max.batch.size";
    public static final String MAX_BATCH_TOKENS = "worker.engine.max.batch.tokens";
    public static final String PREFILL_CHUNK = "worker.engine.prefill.chunk";
    public static final String INTRA_OP_THREADS = "worker.ort.intra.threads";
    public static final String KV_MEMORY = "worker.kv.memory";
    public static final String SPINNING = "worker.ort.spinning";
    public static final String INTERACTIVE_IN_FLIGHT = "worker.interactive.in.flight";
    public static final String INTERACTIVE_ROWS = "worker.engine.interactive.rows";
    /** Every worker.* key: another is a typo, refused rather than silently ignored. */
    static final Set<String> KEYS = Set.of(ENGINE, MAX_IN_FLIGHT, MAX_QUEUED_PER_PARTITION, COMMIT_INTERVAL_MS, COMMIT_MAX_RESULTS,
            MAX_BATCH_SIZE, MAX_BATCH_TOKENS, PREFILL_CHUNK, INTRA_OP_THREADS, RetrySchedule.DELAYS, KV_MEMORY,
            SPINNING, HealthPublisher.INTERVAL_MS, INTERACTIVE_IN_FLIGHT, INTERACTIVE_ROWS);
    /** The setting behind each component of EngineConfig and SessionSettings, so their messages name what to set. */
    private static final Map<String, String> KEY_OF = Map.of("maxBatchSize", MAX_BATCH_SIZE, "maxBatchTokens", MAX_BATCH_TOKENS,
            "prefillChunk", PREFILL_CHUNK, "intraOpThreads", INTRA_OP_THREADS, "interactiveRows", INTERACTIVE_ROWS);

    /** The engines a worker can run; {@link WorkerService#newEngine} builds them. */
    public enum Engine {
        /** Continuous batching ({@code BatchEngine}) with {@link WorkerConfig#batching}. */
        BATCH,
        /** One request at a time ({@code SequentialEngine}): the baseline batching is measured against. */
        SEQUENTIAL
    }

    public WorkerConfig {
        require(engine != null, ENGINE + " is missing");
        require(maxInFlight >= 1, MAX_IN_FLIGHT + " is " + maxInFlight + ": it must be at least 1");
        require(maxQueuedPerPartition >= 1, MAX_QUEUED_PER_PARTITION + " is " + maxQueuedPerPartition + ": it must be at least 1");
        require(!commitInterval.isNegative(), COMMIT_INTERVAL_MS + " is " + commitInterval.toMillis() + ": it must be 0 or more");
        require(commitMaxResults >= 1, COMMIT_MAX_RESULTS + " is " + commitMaxResults + ": it must be at least 1");
        require(batching != null, "batching is missing: pass EngineConfig.defaults()");
        require(session != null, "session is missing: pass SessionSettings.defaults()");
        require(interactiveInFlight >= 0 && interactiveInFlight < maxInFlight, INTERACTIVE_IN_FLIGHT + " is " + interactiveInFlight
                + " but " + MAX_IN_FLIGHT + " is " + maxInFlight + ": set it from 0 to " + (maxInFlight - 1)
                + ", so that batch work keeps some of the worker's capacity");
    }

    /** With the default share kept for interactive requests. */
    public WorkerConfig(Engine engine, int maxInFlight, int maxQueuedPerPartition, Duration commitInterval, int commitMaxResults,
            EngineConfig batching, SessionSettings session) {
        this(engine, maxInFlight, maxQueuedPerPartition, commitInterval, commitMaxResults, batching, session,
                defaultInteractiveInFlight(maxInFlight));
    }

    /** Bounds of the worker loop, with the engine's and ONNX Runtime's defaults. */
    public WorkerConfig(Engine engine, int maxInFlight, int maxQueuedPerPartition, Duration commitInterval, int commitMaxResults) {
        this(engine, maxInFlight, maxQueuedPerPartition, commitInterval, commitMaxResults, EngineConfig.defaults(),
                SessionSettings.defaults());
    }

    /** A quarter of the capacity, at least 1, at most all but 1 (a capacity of 1 keeps none). */
    static int defaultInteractiveInFlight(int maxInFlight) {
        return Math.max(0, Math.min(maxInFlight - 1, Math.max(1, maxInFlight / 4)));
    }

    /**
     * The defaults (the in-flight bounds follow the engine's batch size), then the overrides; the
     * {@code consumer.*} and {@code producer.*} ones are only checked here ({@link ExactlyOnceOverrides}).
     *
     * @throws IllegalArgumentException naming the key, its value and the fix
     */
    public static WorkerConfig from(Map<String, Object> overrides) {
        ExactlyOnceOverrides.check(overrides);
        for (String key : overrides.keySet()) {
            require(!key.startsWith("worker.") || KEYS.contains(key),
                    key + ": the worker has no such setting; use one of " + new TreeSet<>(KEYS));
        }
        Engine engine = engine(overrides.get(ENGINE));
        EngineConfig batching = batching(overrides);
        int maxInFlight = intValue(overrides, MAX_IN_FLIGHT, 4 * (engine == Engine.BATCH ? batching.maxBatchSize() : 1));
        boolean spinning = booleanValue(overrides, SPINNING, true);
        SessionSettings session = named(() -> new SessionSettings(intValue(overrides, INTRA_OP_THREADS,
                SessionSettings.defaults().intraOpThreads()), spinning));
        return new WorkerConfig(engine, maxInFlight,
                intValue(overrides, MAX_QUEUED_PER_PARTITION, Math.max(64, 4 * maxInFlight)),
                Duration.ofMillis(intValue(overrides, COMMIT_INTERVAL_MS, 100)),
                intValue(overrides, COMMIT_MAX_RESULTS, 64), batching, session,
                intValue(overrides, INTERACTIVE_IN_FLIGHT, defaultInteractiveInFlight(maxInFlight)));
    }

    /**
     * The engine's defaults under the overrides. An unset step budget or chunk follows a set batch
     * size or budget (a batch of 1024 gets a budget of 1024, a budget of 128 a chunk of 128), so
     * setting one value never makes the defaults of the others invalid.
     */
    private static EngineConfig batching(Map<String, Object> overrides) {
        EngineConfig d = EngineConfig.defaults();
        int size = intValue(overrides, MAX_BATCH_SIZE, d.maxBatchSize());
        int tokens = intValue(overrides, MAX_BATCH_TOKENS, Math.max(d.maxBatchTokens(), size));
        int chunk = intValue(overrides, PREFILL_CHUNK, Math.max(1, Math.min(d.prefillChunk(), tokens)));
        long kvMemory = overrides.get(KV_MEMORY) == null ? EngineConfig.defaultKvMemoryBytes()
                : ByteSize.parse(KV_MEMORY, overrides.get(KV_MEMORY));
        require(kvMemory >= 1 << 20, KV_MEMORY + " is " + kvMemory + " bytes: give the KV cache at least 1m"
                + " (the default is half the JVM's maximum heap)");
        int rows = intValue(overrides, INTERACTIVE_ROWS, EngineConfig.defaultInteractiveRows(size));
        return named(() -> new EngineConfig(size, tokens, chunk, d.prefixCacheBytes(), kvMemory, rows));
    }

    /** Builds with the record's own validation, its message naming the settings instead of the record's components. */
    private static <T> T named(java.util.function.Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            for (Map.Entry<String, String> k : KEY_OF.entrySet()) {
                message = message.replace(k.getKey(), k.getValue());
            }
            throw new IllegalArgumentException(message, e);
        }
    }

    PausePolicy pausePolicy() {
        return new PausePolicy(maxInFlight, maxQueuedPerPartition, interactiveInFlight);
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

    private static boolean booleanValue(Map<String, Object> overrides, String key, boolean defaultValue) {
        Object v = overrides.get(key);
        if (v == null) {
            return defaultValue;
        }
        String s = v.toString().trim();
        require(s.equals("true") || s.equals("false"), key + " is '" + v + "': it must be true or false");
        return Boolean.parseBoolean(s);
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
