package io.millrace.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options of the commands that can run stages in this process ({@code batch}, {@code serve}); a {@code @Mixin}. */
final class StageOptions {
    @Option(names = "--instance-id", paramLabel = "ID",
            description = "stable worker id (transactional id, static group membership), so a restarted worker fences"
                    + " its predecessor (default: random)")
    String instanceId;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "setting, repeatable, a later one wins, over the config file's: worker.engine (batch or sequential),"
                    + " worker.engine.max.batch.size, worker.engine.max.batch.tokens, worker.engine.prefill.chunk,"
                    + " worker.ort.intra.threads, worker.ort.spinning (true/false; serve with the api role: false),"
                    + " worker.max.in.flight, worker.max.queued.per.partition,"
                    + " worker.commit.interval.ms, worker.commit.max.results, worker.health.interval.ms (heartbeats),"
                    + " worker.kv.memory (KV cache of each model's"
                    + " batch engine, e.g. 512m; default half the JVM's max heap), a Kafka client setting as consumer.* /"
                    + " producer.* (not those exactly-once rests on: isolation.level, enable.auto.commit, transactional.id, ...),"
                    + " model.NAME.variant (fp32, q8, fp16, q4, ...: which ONNX file of model directory NAME is served),"
                    + " the response cache's cache.enabled, cache.shared, cache.ttl (e.g. 24h), cache.max.entries,"
                    + " or the router's router.health.dead.after (e.g. 10s), router.health.failures, router.health.failure.window,"
                    + " router.health.cooldown, router.health.probe.interval, router.health.release.interval,"
                    + " router.unavailable.interactive (fail or wait)")
    List<String> set = new ArrayList<>();

    @Option(names = "--config", paramLabel = "FILE",
            description = "deployment file (YAML): models and prices, aliases, cache, any --set key; see examples/millrace.yaml")
    Path config;

    private DeploymentConfig deployment;

    /** The {@code --config} file, read once; {@link DeploymentConfig#EMPTY} without one. */
    DeploymentConfig deployment() {
        if (deployment == null) {
            try {
                deployment = config == null ? DeploymentConfig.EMPTY : DeploymentFile.read(config);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return deployment;
    }

    /**
     * The config file's settings, then the {@code --set} pairs in order, so a later one wins. Which keys
     * are allowed is {@link Settings}' rule; here only the form is checked.
     */
    Map<String, Object> settings() {
        Map<String, Object> map = new LinkedHashMap<>(deployment().settings());
        for (String kv : set) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new UsageException("--set " + kv + " is not key=value: write e.g. --set worker.engine=sequential");
            }
            map.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
        }
        return map;
    }
}
