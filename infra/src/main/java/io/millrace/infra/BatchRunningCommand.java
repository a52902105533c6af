package io.millrace.infra;

import java.io.IOException;
import java.io.PrintStream;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What {@code millrace batch} and {@code millrace eval run} share: both run batches through the
 * pipeline, on a cluster ({@code --bootstrap-servers}) or in this process, with the same options and
 * the same choice of stages to start.
 *
 * @param <O> what a run did
 */
abstract class BatchRunningCommand<O> implements Callable<Integer> {
    @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "0",
            description = "results API port (default: any free port)")
    int httpPort;

    @Mixin
    ClusterOptions cluster;

    @Mixin
    StageOptions stage;

    final PrintStream out;
    final boolean terminal;
    final Map<String, String> env;

    BatchRunningCommand(PrintStream out, boolean terminal, Map<String, String> env) {
        this.out = out;
        this.terminal = terminal;
        this.env = env;
    }

    @Override
    public Integer call() throws IOException {
        run();
        return 0;
    }

    /** Runs what picocli's options say. */
    abstract O run() throws IOException;

    /** A batch has no metrics endpoint: it ends when its results are in. */
    Settings settings() {
        return cluster.settings(env, httpPort, -1, stage);
    }

    /**
     * The stages this process starts: with a cluster, none (its running stages do the work); alone,
     * all but the ingest service, which runs HTTP-created batches: the command ingests its own file.
     */
    static Set<Role> localRoles(Settings settings) {
        return settings.bootstrapServers() == null ? EnumSet.complementOf(EnumSet.of(Role.INGEST)) : EnumSet.noneOf(Role.class);
    }
}
