package io.millrace.infra;

import io.millrace.worker.WorkerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Where and how a Millrace process runs, resolved from options and environment ({@link ClusterOptions})
 * and validated at start: a wrong value is a {@link UsageException} that names the fix.
 *
 * @param bootstrapServers a cluster to use, or null to run the in-process broker
 * @param dataDir          broker data, stream state and the built-in model ({@code ./.millrace})
 * @param kafkaPort        client port of the in-process broker
 * @param httpPort         port of the results API (0: any free port)
 * @param modelDirs        model directories; empty: the built-in model
 * @param instanceId       stable worker id for static membership, or null
 * @param metricsPort      port of {@code /metrics} (0: any free port, -1: no metrics endpoint)
 * @param workerSettings   {@code --set} pairs (over the config file's): {@code worker.*} (engine, batching,
 *                         ONNX Runtime threads, in-flight and commit bounds), {@code consumer.*}/{@code producer.*}
 *                         client settings (those that would break exactly-once refused) and
 *                         {@code model.NAME.variant} ({@link ModelVariants}) for the worker; {@code cache.*}
 *                         for the router ({@link CacheOptions}), {@code router.*} ({@link RouterOptions}); and {@link #BATCH_WINDOW_SECONDS} for the
 *                         API, only for tests
 * @param requireKeys      the HTTP API asks every {@code /v1} request for an API key ({@code serve}'s
 *                         default); false for {@code --auth none} and for the batch command's own API
 * @param requestTimeout   how long a synchronous HTTP request waits for its result before a 504
 * @param deployment       the {@code --config} file's models, aliases and routing ({@link DeploymentConfig#EMPTY}
 *                         without one); its settings are already merged into {@code workerSettings}
 */
record Settings(String bootstrapServers, Path dataDir, int kafkaPort, int httpPort, List<Path> modelDirs, String instanceId,
        int metricsPort, Map<String, Object> workerSettings, boolean requireKeys, Duration requestTimeout,
        DeploymentConfig deployment) {
    static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(60);
    /**
     * {@code --set api.batch.window.seconds=N}: batches created over HTTP expire after N seconds
     * instead of 24 h, so tests can watch an expiry. Clients still may only ask for "24h".
     */
    static final String BATCH_WINDOW_SECONDS = "api.batch.window.seconds";
    Settings {
        if (kafkaPort < 0 || kafkaPort > 65535) {
            throw new UsageException("--kafka-port " + kafkaPort + " is not a TCP port: use 1-65535 (0 for any free port)");
        }
        if (httpPort < 0 || httpPort > 65535) {
            throw new UsageException("--http-port " + httpPort + " is not a TCP port: use 1-65535 (0 for any free port)");
        }
        if (metricsPort < -1 || metricsPort > 65535) {
            throw new UsageException("--metrics-port " + metricsPort + " is not a TCP port: use 1-65535, 0 for any free port, -1 for none");
        }
        if (bootstrapServers != null && bootstrapServers.isBlank()) {
            bootstrapServers = null;
        }
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new UsageException("--request-timeout " + requestTimeout.toSeconds() + " must be at least 1 second");
        }
        modelDirs = List.copyOf(modelDirs);
        workerSettings = Map.copyOf(workerSettings);
        for (String key : workerSettings.keySet()) {
            if (key.equals(BATCH_WINDOW_SECONDS) || key.startsWith("cache.") || key.startsWith("router.")
                    || key.startsWith("webhooks.") || key.startsWith("cdc.")) {
                continue;
            }
            if (!key.startsWith("worker.") && !key.startsWith("consumer.") && !key.startsWith("producer.")
                    && !key.startsWith(ModelVariants.PREFIX)) {
                throw new UsageException("--set " + key + ": only worker.*, consumer.*, producer.*, model.NAME.variant,"
                        + " cache.*, router.*, webhooks.* and cdc.* settings can be set, e.g. --set worker.engine=sequential or"
                        + " --set model.millrace-tiny.variant=q8");
            }
        }
        worker(workerSettings); // a bad worker value, or a client override that would break exactly-once, fails here
        CacheOptions.from(workerSettings); // a bad cache value fails here, at start
        RouterOptions.health(workerSettings); // and a bad router.* value
        try {
            io.millrace.worker.HealthPublisher.interval(workerSettings);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--set " + e.getMessage());
        }
        ModelVariants.from(workerSettings); // a wrong variant fails here, before anything starts
        webhooks(workerSettings); // and a wrong webhooks.* value
        cdc(workerSettings); // and a wrong cdc.* value
        try {
            io.millrace.worker.RetrySchedule.from(workerSettings); // and wrong retry tiers, before topics are made for them
        } catch (IllegalArgumentException e) {
            throw new UsageException("--set " + e.getMessage());
        }
        if (deployment == null) {
            deployment = DeploymentConfig.EMPTY;
        }
    }

    Settings(String bootstrapServers, Path dataDir, int kafkaPort, int httpPort, List<Path> modelDirs, String instanceId,
            int metricsPort, Map<String, Object> workerSettings, boolean requireKeys, Duration requestTimeout) {
        this(bootstrapServers, dataDir, kafkaPort, httpPort, modelDirs, instanceId, metricsPort, workerSettings, requireKeys,
                requestTimeout, DeploymentConfig.EMPTY);
    }

    /** The response cache's settings ({@code cache.*} keys, from {@code --set} or the config file). */
    io.millrace.router.CacheSettings cache() {
        return CacheOptions.from(workerSettings);
    }

    /** The router's health settings ({@code router.*} keys): circuits, probes, what a request does when its chain is down. */
    io.millrace.router.HealthSettings health() {
        return RouterOptions.health(workerSettings);
    }

    /** The worker's settings: engine, bounds, ONNX Runtime ({@code worker.*}), with the client overrides checked. */
    WorkerConfig worker() {
        return worker(workerSettings);
    }

    private static WorkerConfig worker(Map<String, Object> settings) {
        try {
            return WorkerConfig.from(settings);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--set " + e.getMessage());
        }
    }

    /** The webhooks role's settings ({@code webhooks.*}: retry delays, the private-address switch, timeout). */
    io.millrace.webhooks.WebhooksConfig webhooks() {
        return webhooks(workerSettings);
    }

    private static io.millrace.webhooks.WebhooksConfig webhooks(Map<String, Object> settings) {
        try {
            return io.millrace.webhooks.WebhooksConfig.from(settings);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--set " + e.getMessage());
        }
    }

    /** The cdc and db-sink roles' settings ({@code --cdc-jdbc-url}, {@code cdc.*}): the database, slot, what is written back. */
    io.millrace.cdc.CdcConfig cdc() {
        return cdc(workerSettings);
    }

    private static io.millrace.cdc.CdcConfig cdc(Map<String, Object> settings) {
        try {
            return io.millrace.cdc.CdcConfig.from(settings);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage().startsWith("--") ? e.getMessage() : "--set " + e.getMessage());
        }
    }

    /** These settings with the database of the cdc and db-sink roles ({@code --cdc-jdbc-url}). */
    Settings withCdc(String jdbcUrl) {
        Map<String, Object> with = new java.util.LinkedHashMap<>(workerSettings);
        with.put(io.millrace.cdc.CdcConfig.JDBC_URL, jdbcUrl);
        return new Settings(bootstrapServers, dataDir, kafkaPort, httpPort, modelDirs, instanceId, metricsPort, with, requireKeys,
                requestTimeout, deployment);
    }

    /** The variant of each model directory ({@code --set model.NAME.variant}). */
    ModelVariants modelVariants() {
        return ModelVariants.from(workerSettings);
    }

    /** Settings of a process whose API needs no key (the batch command's, tests'). */
    Settings(String bootstrapServers, Path dataDir, int kafkaPort, int httpPort, List<Path> modelDirs, String instanceId,
            int metricsPort, Map<String, Object> workerSettings) {
        this(bootstrapServers, dataDir, kafkaPort, httpPort, modelDirs, instanceId, metricsPort, workerSettings, false,
                DEFAULT_REQUEST_TIMEOUT);
    }

    /** How long a batch created over HTTP has before it expires. */
    Duration batchWindow() {
        Object v = workerSettings.get(BATCH_WINDOW_SECONDS);
        if (v == null) {
            return Duration.ofHours(24);
        }
        try {
            long seconds = Long.parseLong(v.toString().trim());
            if (seconds > 0) {
                return Duration.ofSeconds(seconds);
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new UsageException("--set " + BATCH_WINDOW_SECONDS + "=" + v + ": use a whole number of seconds above 0");
    }

    Settings withApi(boolean keys, Duration timeout) {
        return new Settings(bootstrapServers, dataDir, kafkaPort, httpPort, modelDirs, instanceId, metricsPort, workerSettings,
                keys, timeout, deployment);
    }

    /** Settings without a metrics endpoint. */
    Settings(String bootstrapServers, Path dataDir, int kafkaPort, int httpPort, List<Path> modelDirs, String instanceId) {
        this(bootstrapServers, dataDir, kafkaPort, httpPort, modelDirs, instanceId, -1, Map.of());
    }
}
