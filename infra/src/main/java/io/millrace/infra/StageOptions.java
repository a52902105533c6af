package io.millrace.infra;

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
            description = "worker setting, repeatable, a later one wins: worker.engine (batch or sequential),"
                    + " worker.max.in.flight, worker.max.queued.per.partition, worker.commit.interval.ms,"
                    + " worker.commit.max.results, a Kafka client setting as consumer.* / producer.*, or"
                    + " model.NAME.variant (fp32, q8, fp16, q4, ...: which ONNX file of model directory NAME is served)")
    List<String> set = new ArrayList<>();

    /**
     * The {@code --set} pairs in order, so a later one wins. Which keys are allowed is {@link Settings}'
     * rule; here only the form is checked.
     */
    Map<String, Object> settings() {
        Map<String, Object> map = new LinkedHashMap<>();
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
