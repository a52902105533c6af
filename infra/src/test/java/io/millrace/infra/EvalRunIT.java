package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.eval.RunComparison;
import io.millrace.eval.RunDirectory;
import io.millrace.protocol.Json;
import io.millrace.worker.model.Completion;
import io.millrace.worker.model.DecoderModel;
import io.millrace.worker.model.SamplingParams;
import io.millrace.worker.model.build.ModelShape;
import io.millrace.worker.model.build.TinyModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code millrace eval run} and {@code compare} end to end on the in-process broker, with the
 * example specs and the built-in model (meaningless scores, real mechanics): every item scored,
 * a rerun generates nothing and writes the same items.jsonl and summary.json, a fresh data dir
 * reproduces them too, a choice's loglikelihood is what the engine computes directly, and two
 * different models compare item by item.
 */
class EvalRunIT {
    private static final Path EXAMPLES = Path.of("..", "examples", "eval");

    @TempDir
    Path dir;

    private EvalRunCommand.Outcome run(Path spec, Path dataDir, Path output, String... more) throws Exception {
        List<String> argv = new ArrayList<>(List.of("eval", "run", spec.toString(), "--output-dir", output.toString(), "--data-dir",
                dataDir.toString(), "--kafka-port", "0", "--set", "worker.ort.intra.threads=1"));
        argv.addAll(List.of(more));
        return Commands.parse(EvalRunCommand.class, argv.toArray(String[]::new)).run();
    }

    @Test
    void generateSpecRunsAndReruns() throws Exception {
        Path spec = EXAMPLES.resolve("generate.yaml");
        EvalRunCommand.Outcome first = run(spec, dir.resolve("data"), dir.resolve("run1"));
        assertThat(first.generatedNow()).isEqualTo(30);
        RunDirectory run = first.run();
        assertThat(run.items()).hasSize(30);
        assertThat(run.items()).allSatisfy(r -> {
            assertThat(r.has("error")).as(r.toString()).isFalse();
            assertThat(r.get("outputs")).hasSize(1);
            assertThat(r.get("scores").size()).isEqualTo(4);
        });
        JsonNode em = run.summary().at("/models/millrace-tiny/metrics/exact_match");
        assertThat(em.get("n").asInt()).isEqualTo(30);
        assertThat(em.get("ci95_lower").asDouble()).isLessThanOrEqualTo(em.get("mean").asDouble());
        assertThat(run.manifest().at("/dataset/sha256").asText()).hasSize(64);
        assertThat(run.manifest().at("/models/millrace-tiny/identity").asText()).startsWith("sha256:");
        assertThat(run.manifest().at("/millrace/git_commit").asText()).isNotEmpty();
        assertThat(run.manifest().at("/models/millrace-tiny/config/n_layer").asInt()).isEqualTo(2);
        assertThat(Files.readString(dir.resolve("run1/report.html"))).contains("<svg").contains("exact_match");

        // The same spec again on the same data dir: every result is stored, nothing is generated.
        EvalRunCommand.Outcome rerun = run(spec, dir.resolve("data"), dir.resolve("run2"));
        assertThat(rerun.generatedNow()).isZero();
        assertSameResults(dir.resolve("run1"), dir.resolve("run2"));

        // And on a fresh data dir (a new broker, nothing stored), one request per engine step instead of
        // many at once: generated again, the same results (outputs do not depend on their batch).
        EvalRunCommand.Outcome fresh = run(spec, dir.resolve("fresh-data"), dir.resolve("run3"),
                "--set", "worker.engine.max.batch.size=1");
        assertThat(fresh.generatedNow()).isEqualTo(30);
        assertThat(fresh.run().manifest().at("/engine/set/worker.engine.max.batch.size").asText()).isEqualTo("1");
        assertSameResults(dir.resolve("run1"), dir.resolve("run3"));
    }

    private static void assertSameResults(Path a, Path b) throws Exception {
        assertThat(Files.readString(b.resolve("items.jsonl"))).isEqualTo(Files.readString(a.resolve("items.jsonl")));
        assertThat(Files.readString(b.resolve("summary.json"))).isEqualTo(Files.readString(a.resolve("summary.json")));
    }

    @Test
    void multipleChoiceSpecScoresEachChoiceAsTheEngineDoes() throws Exception {
        EvalRunCommand.Outcome outcome = run(EXAMPLES.resolve("multiple-choice.yaml"), dir.resolve("data"), dir.resolve("mc"));
        RunDirectory run = outcome.run();
        assertThat(run.items()).hasSize(30);
        assertThat(run.items()).allSatisfy(r -> {
            assertThat(r.has("error")).as(r.toString()).isFalse();
            assertThat(r.get("loglikelihoods").size()).isEqualTo(r.get("choices").size());
            r.get("loglikelihoods").forEach(ll -> assertThat(ll.asDouble()).isNegative());
        });
        double acc = run.summary().at("/models/millrace-tiny/metrics/acc/mean").asDouble();
        assertThat(acc).isBetween(0.0, 1.0);
        reportInChromiumShowsTheSummary(run);

        // The loglikelihood of a choice is the sum of its tokens' prompt logprobs, computed here by the engine directly.
        ObjectNode first = run.items().get(0);
        String query = first.get("query").asText();
        try (DecoderModel model = DecoderModel.load(dir.resolve("data").resolve("models").resolve(TinyModel.NAME))) {
            for (int j = 0; j < first.get("choices").size(); j++) {
                int[] ids = model.encodePrompt(query + first.get("choices").get(j).asText());
                Completion c = model.generate(ids, new SamplingParams(1, 0, 1, 0, 0, 0, 1234L, List.of(), false, 0, true));
                double sum = 0;
                int tokens = 0;
                int offset = model.tokenText(ids[0]).length();
                for (int k = 1; k < ids.length; k++) {
                    if (offset >= query.length()) {
                        sum += c.promptLogprobs().get(k - 1).logprob();
                        tokens++;
                    }
                    offset += model.tokenText(ids[k]).length();
                }
                assertThat(tokens).isEqualTo(first.get("choice_tokens").get(j).asInt());
                assertThat(first.get("loglikelihoods").get(j).asDouble()).as("choice %d", j).isCloseTo(sum, within(1e-6));
            }
        }
    }

    /**
     * report.html as a reader sees it in headless Chromium: under each metric's heading a visible table
     * with one row per model whose numbers are summary.json's (to the 4 decimals shown), a bar per
     * metric and model, and nothing fetched from anywhere.
     */
    private static void reportInChromiumShowsTheSummary(RunDirectory run) throws Exception {
        JsonNode seen = ReportInChromium.open(run.dir().resolve("report.html"));
        assertThat(seen.get("fetched")).as("requests made by the report").isEmpty();
        List<String> metrics = run.metrics();
        List<String> models = run.models();
        JsonNode tables = seen.get("tables");
        assertThat(tables).as(seen.toString()).hasSize(metrics.size());
        for (int i = 0; i < metrics.size(); i++) {
            JsonNode table = tables.get(i);
            assertThat(table.get("metric").asText()).isEqualTo(metrics.get(i));
            assertThat(table.get("visible").asBoolean()).isTrue();
            assertThat(texts(table.get("header"))).containsExactly("model", "mean", "stderr (bootstrap)", "stderr (analytic)", "95% interval",
                    "items", "errors");
            assertThat(table.get("rows")).hasSize(models.size());
            for (int k = 0; k < models.size(); k++) {
                List<String> cells = texts(table.get("rows").get(k));
                JsonNode model = run.summary().path("models").path(models.get(k));
                JsonNode e = model.path("metrics").path(metrics.get(i));
                assertThat(cells.get(0)).isEqualTo(models.get(k));
                assertThat(Double.parseDouble(cells.get(1))).isCloseTo(e.get("mean").asDouble(), within(5e-5));
                assertThat(Double.parseDouble(cells.get(2))).isCloseTo(e.get("stderr").asDouble(), within(5e-5));
                assertThat(Double.parseDouble(cells.get(3))).isCloseTo(e.get("stderr_analytic").asDouble(), within(5e-5));
                String[] interval = cells.get(4).replaceAll("[\\[\\]]", "").split(", ");
                assertThat(Double.parseDouble(interval[0])).isCloseTo(e.get("ci95_lower").asDouble(), within(5e-5));
                assertThat(Double.parseDouble(interval[1])).isCloseTo(e.get("ci95_upper").asDouble(), within(5e-5));
                assertThat(Integer.parseInt(cells.get(5))).isEqualTo(e.get("n").asInt());
                assertThat(Integer.parseInt(cells.get(6))).isEqualTo(model.get("errors").asInt());
            }
        }
        assertThat(seen.get("svg_bars").asInt()).isEqualTo(metrics.size() * models.size());
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void twoDifferentModelsCompareItemByItem() throws Exception {
        Path tiny = dir.resolve("models").resolve(TinyModel.NAME);
        Path other = dir.resolve("models").resolve("tiny-other");
        TinyModel.write(tiny);
        // Another shape from the same recipe: different weights, so different answers.
        TinyModel.write(other, new ModelShape("tiny-other", 1, 2, 32, 256, 0, false, false));
        Path specA = dir.resolve("a.yaml");
        Path specB = dir.resolve("b.yaml");
        String dataset = EXAMPLES.resolve("multiple-choice.jsonl").toAbsolutePath().normalize().toString();
        Files.writeString(specA, "name: a\ntask: multiple_choice\ndataset: " + dataset + "\nmodels: [millrace-tiny]\n");
        Files.writeString(specB, "name: b\ntask: multiple_choice\ndataset: " + dataset + "\nmodels: [tiny-other]\n"
                + "bootstrap: {resamples: 500}\n");
        String models = tiny + "," + other;
        run(specA, dir.resolve("data"), dir.resolve("run-a"), "--model-dir", models);
        run(specB, dir.resolve("data"), dir.resolve("run-b"), "--model-dir", models);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = Millrace.run(List.of("eval", "compare", dir.resolve("run-a").toString(), dir.resolve("run-b").toString(),
                "--output", dir.resolve("compare.html").toString()), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream()), Map.of());
        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(code).as(printed).isZero();
        assertThat(printed).contains("WARNING: the specs differ in bootstrap").contains("acc millrace-tiny -> tiny-other")
                .contains("McNemar p");
        RunComparison c = RunComparison.of(RunDirectory.read(dir.resolve("run-a")), RunDirectory.read(dir.resolve("run-b")));
        JsonNode acc = c.json().path("comparisons").get(0);
        double[] a = RunDirectory.read(dir.resolve("run-a")).scores("millrace-tiny", "acc");
        double[] b = RunDirectory.read(dir.resolve("run-b")).scores("tiny-other", "acc");
        int onlyA = 0;
        int onlyB = 0;
        for (int i = 0; i < a.length; i++) {
            onlyA += a[i] == 1 && b[i] == 0 ? 1 : 0;
            onlyB += a[i] == 0 && b[i] == 1 ? 1 : 0;
        }
        assertThat(acc.at("/mcnemar/only_a_right").asInt()).isEqualTo(onlyA);
        assertThat(acc.at("/mcnemar/only_b_right").asInt()).isEqualTo(onlyB);
        // Different weights: the two models pick differently somewhere (the loglikelihoods differ everywhere).
        assertThat(RunDirectory.read(dir.resolve("run-a")).items().get(0).get("loglikelihoods"))
                .isNotEqualTo(RunDirectory.read(dir.resolve("run-b")).items().get(0).get("loglikelihoods"));
        assertThat(Files.readString(dir.resolve("compare.html"))).contains("McNemar").contains("tiny-other");

        // A run of another dataset is refused, exit 1 with the reason.
        Path otherData = dir.resolve("other.jsonl");
        Files.writeString(otherData, "{\"query\":\"Q\",\"choices\":[\" a\",\" b\"],\"gold\":0}\n");
        Path specC = dir.resolve("c.yaml");
        Files.writeString(specC, "name: c\ntask: multiple_choice\ndataset: " + otherData + "\nmodels: [millrace-tiny]\n");
        run(specC, dir.resolve("data"), dir.resolve("run-c"), "--model-dir", models);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int refused = Millrace.run(List.of("eval", "compare", dir.resolve("run-a").toString(), dir.resolve("run-c").toString(),
                "--output", dir.resolve("refused.html").toString()), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
        assertThat(refused).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("different datasets");
        assertThat(dir.resolve("refused.html")).doesNotExist();
    }
}
