package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code eval}'s options and exit codes; a spec or dataset mistake is reported before any broker starts. */
class EvalCommandTest {
    @TempDir
    Path dir;

    private record Result(int code, String out, String err) {}

    private Result millrace(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Millrace.run(List.of(argv), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void runReadsItsOptions() {
        EvalRunCommand run = Commands.parse(EvalRunCommand.class, "eval", "run", "s.yaml", "--output-dir", "out",
                "--bootstrap-servers", "k:9092", "--model-dir", "a,b");
        assertThat(run.specFile).isEqualTo(Path.of("s.yaml"));
        assertThat(run.outputDir).isEqualTo(Path.of("out"));
        EvalCompareCommand compare = Commands.parse(EvalCompareCommand.class, "eval", "compare", "ra", "rb");
        assertThat(compare.output).isEqualTo(Path.of("compare.html"));
    }

    @Test
    void evalWithoutACommandIsAUsageError() {
        Result r = millrace("eval");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("usage: millrace eval").contains("run").contains("compare");
    }

    @Test
    void aBadSpecFailsWithEveryMistakeAndStartsNothing() throws Exception {
        Path spec = dir.resolve("bad.yaml");
        Files.writeString(spec, "name: x\ntask: generate\ndataset: nope.jsonl\nmodels: [m]\nsampling: {n: 2}\n");
        Result r = millrace("eval", "run", spec.toString(), "--data-dir", dir.resolve("data").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("dataset 'nope.jsonl': no such file")
                .contains("sampling.n is 2 with temperature 0: greedy samples are all the same");
        assertThat(dir.resolve("data")).doesNotExist();
        assertThat(millrace("eval", "run", dir.resolve("missing.yaml").toString()).err()).contains("no such file: give the path of an eval spec");
    }

    @Test
    void aBadDatasetLineIsNamed() throws Exception {
        Files.writeString(dir.resolve("d.jsonl"), "{\"input\": \"Hi\", \"ideal\": \"Hello\"}\n{\"input\": \"Hi\"}\n");
        Path spec = dir.resolve("s.yaml");
        Files.writeString(spec, "name: x\ntask: generate\ndataset: d.jsonl\nmodels: [m]\n");
        Result r = millrace("eval", "run", spec.toString(), "--data-dir", dir.resolve("data").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("line 2: ideal is missing");
    }
}
