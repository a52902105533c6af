package io.millrace.infra;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Options of every command that reaches Kafka ({@code @Mixin}): which cluster, where local state
 * lives, which models. The environment fallbacks are resolved in {@link #settings}, from a map the
 * caller passes, so that tests choose the environment instead of inheriting the shell's.
 */
final class ClusterOptions {
    static final String ENV_BOOTSTRAP = "MILLRACE_BOOTSTRAP_SERVERS";
    static final String ENV_DATA_DIR = "MILLRACE_DATA_DIR";
    static final String DEFAULT_DATA_DIR = ".millrace";

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "Kafka cluster to use; no broker is started then (default: $" + ENV_BOOTSTRAP
                    + ", else an in-process broker)")
    String bootstrapServers;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "broker data, stream state, built-in model (default: $" + ENV_DATA_DIR + ", else "
                    + DEFAULT_DATA_DIR + ")")
    Path dataDir;

    @Option(names = "--kafka-port", paramLabel = "PORT", defaultValue = "9092",
            description = "client port of the in-process broker (default: ${DEFAULT-VALUE}; 0: any free port)")
    int kafkaPort;

    // Split here rather than with picocli's split=",": blanks around a name and empty parts are dropped.
    @Option(names = "--model-dir", paramLabel = "DIR[,DIR...]",
            description = "model directories, each served under its directory name (default: the built-in model)")
    String modelDirs;

    /** Settings of a command that runs no stage of its own (no HTTP or metrics port, no worker settings). */
    Settings settings(Map<String, String> env) {
        return settings(env, 0, -1, new StageOptions());
    }

    Settings settings(Map<String, String> env, int httpPort, int metricsPort, StageOptions stage) {
        String bootstrap = bootstrapServers != null ? bootstrapServers : env.get(ENV_BOOTSTRAP);
        Path data = dataDir != null ? dataDir : Path.of(env.getOrDefault(ENV_DATA_DIR, DEFAULT_DATA_DIR));
        DeploymentConfig deployment = stage.deployment();
        return new Settings(bootstrap, data, kafkaPort, httpPort, models(deployment), stage.instanceId, metricsPort, stage.settings(),
                false, Settings.DEFAULT_REQUEST_TIMEOUT, deployment);
    }

    /** {@code --model-dir} when given, else the config file's models (else none: the built-in one). */
    private List<Path> models(DeploymentConfig deployment) {
        if (modelDirs == null) {
            return deployment.models().stream().map(DeploymentConfig.ModelSpec::directory).toList();
        }
        return Arrays.stream(modelDirs.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(Path::of).toList();
    }
}
