package io.millrace.infra;

import java.nio.file.Path;
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
 * @param workerSettings   {@code --set} pairs for the worker: {@code worker.*} (engine, in-flight
 *                         and commit bounds) and {@code consumer.*}/{@code producer.*} client settings
 */
record Settings(String bootstrapServers, Path dataDir, int kafkaPort, int httpPort, List<Path> modelDirs, String instanceId,
        int metricsPort, Map<String, Object> workerSettings) {
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
        modelDirs = List.copyOf(modelDirs);
        workerSettings = Map.copyOf(workerSettings);
        for (String key : workerSettings.keySet()) {
            if (!key.startsWith("worker.") && !key.startsWith("consumer.") && !key.startsWith("producer.")) {
                throw new UsageException("--set " + key + ": only worker.*, consumer.* and producer.* settings"
                        + " can be set, e.g. --set worker.engine=sequential or --set consumer.max.poll.records=8");
            }
        }
    }

    /** Settings without a metrics endpoint. */
    Settings(String bootstrapServers, Path dataDir, int kafkaPort, int httpPort, List<Path> modelDirs, String instanceId) {
        this(bootstrapServers, dataDir, kafkaPort, httpPort, modelDirs, instanceId, -1, Map.of());
    }
}
