package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ArgsTest {
    private static final Set<String> KNOWN = Set.of("output", "kafka-port", "model-dir", "http-port", Args.SET);

    @Test
    void readsPositionalsAndBothOptionForms() {
        Args a = Args.parse(List.of("in.jsonl", "--output", "o.jsonl", "--kafka-port=9999"), KNOWN, "usage");
        assertThat(a.positionals()).containsExactly("in.jsonl");
        assertThat(a.get("output")).contains("o.jsonl");
        assertThat(a.intOption("kafka-port", 1)).isEqualTo(9999);
        assertThat(a.intOption("http-port", 8080)).isEqualTo(8080);
    }

    @Test
    void rejectsUnknownOptionsMissingValuesAndNonNumbers() {
        assertThatThrownBy(() -> Args.parse(List.of("--outptu", "x"), KNOWN, "usage: u"))
                .hasMessageContaining("unknown option --outptu").hasMessageContaining("usage: u");
        assertThatThrownBy(() -> Args.parse(List.of("--output"), KNOWN, "u")).hasMessageContaining("--output needs a value");
        assertThatThrownBy(() -> Args.parse(List.of("--kafka-port", "ninety"), KNOWN, "u").intOption("kafka-port", 1))
                .hasMessageContaining("--kafka-port must be a whole number, got 'ninety'");
    }

    @Test
    void settingsValidatePortsAndSplitModelDirs() {
        Settings s = Settings.from(Args.parse(List.of("--model-dir", "a, b", "--http-port", "0"), KNOWN, "u"), 8080);
        assertThat(s.modelDirs()).containsExactly(Path.of("a"), Path.of("b"));
        assertThat(s.httpPort()).isZero();
        assertThatThrownBy(() -> Settings.from(Args.parse(List.of("--kafka-port", "70000"), KNOWN, "u"), 8080))
                .hasMessageContaining("--kafka-port 70000 is not a TCP port");
    }

    @Test
    void setRepeatsAndReachesTheWorkerSettings() {
        Settings s = Settings.from(Args.parse(List.of("--set", "worker.engine=sequential", "--set",
                "consumer.max.poll.records=8", "--set", "worker.engine=batch"), KNOWN, "u"), 8080);
        assertThat(s.workerSettings()).containsEntry("worker.engine", "batch").containsEntry("consumer.max.poll.records", "8");
        assertThatThrownBy(() -> Settings.from(Args.parse(List.of("--set", "noequals"), KNOWN, "u"), 8080))
                .hasMessageContaining("is not key=value");
        assertThatThrownBy(() -> Settings.from(Args.parse(List.of("--set", "streams.x=1"), KNOWN, "u"), 8080))
                .hasMessageContaining("only worker.*, consumer.* and producer.*");
    }

    @Test
    void rolesParseAndRejectUnknownOnes() {
        assertThat(Role.parse("router, worker")).containsExactlyInAnyOrder(Role.ROUTER, Role.WORKER);
        assertThatThrownBy(() -> Role.parse("router,gpu")).hasMessageContaining("unknown role 'gpu'");
    }

    @Test
    void progressPrintsPlainLinesWithCountsRateAndEta() {
        var bytes = new java.io.ByteArrayOutputStream();
        Progress p = new Progress(new java.io.PrintStream(bytes, true), false, 10);
        p.update(0, 0, true);
        p.update(5, 100, true);
        String out = bytes.toString();
        assertThat(out).contains("progress 0/10").contains("progress 5/10").contains("tok/s").contains("ETA");
        p.update(10, 200, true);
        p.update(10, 200, true);
        assertThat(bytes.toString().split("progress 10/10", -1)).as("the final line once").hasSize(2);
        assertThat(Progress.format(java.time.Duration.ofSeconds(3725))).isEqualTo("1h02m");
        assertThat(Progress.format(java.time.Duration.ofSeconds(65))).isEqualTo("1m05s");
    }
}
