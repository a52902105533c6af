package io.millrace.infra;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Where and how a Millrace process runs, resolved from options and environment and validated at
 * start.
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
    static final String ENV_BOOTSTRAP = "MILLRACE_BOOTSTRAP_SERVERS";
    static final String ENV_DATA_DIR = "MILLRACE_DATA_DIR";

    Settings {
        if (kafkaPort < 0 || kafkaPort > 65535) {
            throw new Args.UsageException("--kafka-port " + kafkaPort + " is not a TCP port: use 1-65535 (0 for any free port)");
        }
        if (httpPort < 0 || httpPort > 65535) {
            throw new Args.UsageException("--http-port " + httpPort + " is not a TCP port: use 1-65535 (0 for any free port)");
        }
        if (metricsPort < -1 || metricsPort > 65535) {
            throw new Args.UsageException("--metrics-port " + metricsPort + " is not a TCP port: use 1-65535, 0 for any free port, -1 for none");
        }
        if (bootstrapServers != null && bootstrapServers.isBlank()) {
            bootstrapServers = null;
        }
        modelDirs = List.copyOf(modelDirs);
        workerSettings = Map.copyOf(workerSettings);
        for (String key : workerSettings.keySet()) {
            if (!key.startsWith("worker.") && !key.startsWith("consumer.") && !key.startsWith("producer.")) {
                throw new Args.UsageException("--set " + key + ": only worker.*, consumer.* and producer.* settings"
                        + " can be set, e.g. --set worker.engine=sequential or --set consumer.max.poll.records=8");
            }
        }
    }

    /** Settings without a metrics endpoint. */
    Settings(String bootstrapServers, Path dataDir, int kafkaPort, int httpPort, List<Path> modelDirs, String instanceId) {
        this(bootstrapServers, dataDir, kafkaPort, httpPort, modelDirs, instanceId, -1, Map.of());
    }

    static Settings from(Args args, int defaultHttpPort) {
        return from(args, defaultHttpPort, -1);
    }

    static Settings from(Args args, int defaultHttpPort, int defaultMetricsPort) {
        String bootstrap = args.get("bootstrap-servers").orElse(System.getenv(ENV_BOOTSTRAP));
        String dataDir = args.get("data-dir").orElse(System.getenv().getOrDefault(ENV_DATA_DIR, ".millrace"));
        List<Path> models = args.get("model-dir").map(s -> java.util.Arrays.stream(s.split(","))
                .map(String::trim).filter(x -> !x.isEmpty()).map(Path::of).toList()).orElse(List.of());
        return new Settings(bootstrap, Path.of(dataDir), args.intOption("kafka-port", 9092),
                args.intOption("http-port", defaultHttpPort), models, args.get("instance-id").orElse(null),
                args.intOption("metrics-port", defaultMetricsPort), args.settings());
    }
}
