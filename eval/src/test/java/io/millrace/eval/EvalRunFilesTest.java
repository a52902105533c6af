package io.millrace.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spec and dataset checks, the batch lines a run becomes, scoring of batch output lines, the run files and compare. */
class EvalRunFilesTest {
    @TempDir
    Path dir;

    private EvalSpec spec(String yaml) throws Exception {
        Path file = dir.resolve("spec.yaml");
        Files.writeString(file, yaml);
        return EvalSpec.read(file);
    }

    @Test
    void aSpecWithMistakesNamesEachFieldAndFix() throws Exception {
        Files.writeString(dir.resolve("d.jsonl"), "{}\n");
        assertThatThrownBy(() -> spec("""
                task: generat
                dataset: missing.jsonl
                models: []
                sampling: {temperature: -1, max_tokens: 1.5}
                colour: red
                """)).isInstanceOf(InvalidEval.class)
                .hasMessageContaining("unknown field 'colour'")
                .hasMessageContaining("name is missing")
                .hasMessageContaining("task is 'generat': use generate or multiple_choice")
                .hasMessageContaining("dataset 'missing.jsonl': no such file")
                .hasMessageContaining("models is empty")
                .hasMessageContaining("sampling.temperature is -1: it must be from 0 to 2")
                .hasMessageContaining("sampling.max_tokens is 1.5: it must be a whole number");
        assertThatThrownBy(() -> spec("""
                name: x
                task: multiple_choice
                dataset: d.jsonl
                models: [m]
                metrics: [acc, f1]
                """)).hasMessageContaining("metric 'f1' does not score a multiple_choice task: use acc, acc_norm");
        assertThatThrownBy(() -> spec("""
                name: x
                task: generate
                dataset: d.jsonl
                models: [m]
                metrics: [regex]
                """)).hasMessageContaining("the regex metric needs a pattern");
    }

    @Test
    void aBadDatasetLineIsNamedByNumber() throws Exception {
        Path d = dir.resolve("d.jsonl");
        Files.writeString(d, "{\"query\":\"Q\",\"choices\":[\" a\",\" b\"],\"gold\":0}\n{\"query\":\"Q\",\"choices\":[\" a\"],\"gold\":0}\n"
                + "not json\n{\"query\":\"Q\",\"choices\":[\" a\",\" b\"],\"gold\":2}\n");
        assertThatThrownBy(() -> EvalDataset.read(d, TaskKind.MULTIPLE_CHOICE))
                .hasMessageContaining("line 2: choices is [\" a\"]: give at least two")
                .hasMessageContaining("line 3 is not valid JSON")
                .hasMessageContaining("line 4: gold is 2: it must be the index of the right choice, 0 to 1");
    }

    private EvalSpec generateSpec() throws Exception {
        Files.writeString(dir.resolve("g.jsonl"), """
                {"input": [{"role": "user", "content": "Capital of France?"}], "ideal": "Paris"}
                {"input": "Two plus two?", "ideal": ["4", "four"]}
                """);
        return spec("""
                name: g
                task: generate
                dataset: g.jsonl
                models: [a, b]
                sampling: {temperature: 0, max_tokens: 8, seed: 7}
                metrics: [exact_match, includes, f1]
                normalization: {ignore_case: true, ignore_whitespace: true, ignore_punctuation: true}
                bootstrap: {resamples: 100, seed: 3}
                """);
    }

    @Test
    void generateItemsBecomeChatLinesWithStableIds() throws Exception {
        EvalSpec spec = generateSpec();
        EvalDataset data = EvalDataset.read(spec.dataset(), spec.task());
        EvalRequests a = EvalRequests.of(spec, data, "a");
        assertThat(a.lines()).hasSize(2);
        JsonNode line = Json.parse(a.lines().get(1));
        assertThat(line.get("custom_id").asText()).isEqualTo("i0002");
        assertThat(line.get("url").asText()).isEqualTo("/v1/chat/completions");
        assertThat(line.at("/body/messages/0/content").asText()).isEqualTo("Two plus two?");
        assertThat(line.at("/body/seed").asLong()).isEqualTo(7);
        assertThat(line.at("/body/max_tokens").asInt()).isEqualTo(8);
        // the same spec and data: the same batch; another model: another batch
        assertThat(EvalRequests.of(spec, data, "a").batchId()).isEqualTo(a.batchId()).matches("eval-[0-9a-f]{40}");
        assertThat(EvalRequests.of(spec, data, "b").batchId()).isNotEqualTo(a.batchId());
    }

    private static ObjectNode chatResult(String customId, String content) {
        ObjectNode line = Json.object();
        line.put("custom_id", customId);
        ObjectNode body = line.putObject("response").putObject("body");
        body.put("id", "chatcmpl-varies").put("created", 123);
        body.putArray("choices").addObject().putObject("message").put("role", "assistant").put("content", content);
        line.putNull("error");
        return line;
    }

    @Test
    void generateResultsAreScoredAndErrorsCountAsWrong() throws Exception {
        EvalSpec spec = generateSpec();
        EvalDataset data = EvalDataset.read(spec.dataset(), spec.task());
        Map<String, JsonNode> results = new HashMap<>();
        results.put("i0001", chatResult("i0001", "paris."));
        ObjectNode failed = Json.object();
        failed.put("custom_id", "i0002");
        failed.putObject("response").putObject("body").putObject("error").put("message", "model overloaded");
        failed.putNull("error");
        results.put("i0002", failed);
        ModelScores s = new ResultScorer(spec).score("a", data.items(), results);
        assertThat(s.scores().get("exact_match")).containsExactly(1, 0);
        assertThat(s.errors()).isEqualTo(1);
        assertThat(s.rows().get(1).get("error").asText()).isEqualTo("model overloaded");
        // nothing of the response's identity (id, created) reaches items.jsonl
        assertThat(Json.write(s.rows().get(0))).doesNotContain("chatcmpl").doesNotContain("created");
    }

    @Test
    void severalSamplesScoreTheirMean() throws Exception {
        Files.writeString(dir.resolve("g.jsonl"), "{\"input\": \"Capital of France?\", \"ideal\": \"Paris\"}\n");
        EvalSpec spec = spec("name: g\ntask: generate\ndataset: g.jsonl\nmodels: [a]\nsampling: {temperature: 0.8, n: 4}\n"
                + "metrics: [exact_match]\n");
        EvalDataset data = EvalDataset.read(spec.dataset(), spec.task());
        assertThat(Json.parse(EvalRequests.of(spec, data, "a").lines().get(0)).at("/body/n").asInt()).isEqualTo(4);
        ObjectNode result = chatResult("i0001", "Paris");
        var choices = result.withObject("/response/body").withArray("choices");
        choices.addObject().putObject("message").put("content", "Lyon");
        choices.addObject().putObject("message").put("content", "Paris");
        choices.addObject().putObject("message").put("content", "Nice");
        // two of four samples right: 0.5
        assertThat(new ResultScorer(spec).score("a", data.items(), Map.of("i0001", result)).scores().get("exact_match"))
                .containsExactly(0.5);

        // An answer with fewer samples than n is an error (scored 0), not a mean over the ones that came.
        choices.remove(3);
        ModelScores short3 = new ResultScorer(spec).score("a", data.items(), Map.of("i0001", result));
        assertThat(short3.scores().get("exact_match")).containsExactly(0);
        assertThat(short3.errors()).isEqualTo(1);
        assertThat(short3.rows().get(0).get("error").asText()).isEqualTo("the response has 3 choices for sampling.n = 4");
    }

    private static ObjectNode echoResult(String customId, String[] tokens, Double[] logprobs) {
        ObjectNode line = Json.object();
        line.put("custom_id", customId);
        ObjectNode lp = line.putObject("response").putObject("body").putArray("choices").addObject().putObject("logprobs");
        int offset = 0;
        for (int i = 0; i < tokens.length; i++) {
            lp.withArray("tokens").add(tokens[i]);
            if (logprobs[i] == null) {
                lp.withArray("token_logprobs").addNull();
            } else {
                lp.withArray("token_logprobs").add(logprobs[i]);
            }
            lp.withArray("text_offset").add(offset);
            // text_offset counts characters (code points), as OpenAI's and Millrace's do
            offset += tokens[i].codePointCount(0, tokens[i].length());
        }
        line.putNull("error");
        return line;
    }

    @Test
    void aChoiceScoresTheSumOfItsOwnTokensLogprobs() throws Exception {
        Files.writeString(dir.resolve("mc.jsonl"), "{\"query\":\"Sky is\",\"choices\":[\" blue\",\" greenish\"],\"gold\":1}\n");
        EvalSpec spec = spec("name: mc\ntask: multiple_choice\ndataset: mc.jsonl\nmodels: [a]\n");
        EvalDataset data = EvalDataset.read(spec.dataset(), spec.task());
        EvalRequests requests = EvalRequests.of(spec, data, "a");
        JsonNode first = Json.parse(requests.lines().get(0));
        assertThat(first.get("custom_id").asText()).isEqualTo("i0001-c0");
        assertThat(first.at("/body/prompt").asText()).isEqualTo("Sky is blue");
        assertThat(first.at("/body/echo").asBoolean()).isTrue();
        assertThat(first.at("/body/max_tokens").asInt()).isZero();
        Map<String, JsonNode> results = Map.of(
                // " blue": -2.0 (one token); the query's tokens do not count
                "i0001-c0", echoResult("i0001-c0", new String[] {"Sky", " is", " blue"}, new Double[] {null, -1.0, -2.0}),
                // " greenish": -1.5 + -1.5 = -3.0 over 9 characters: worse raw, better per character (-0.333 against -0.4)
                "i0001-c1", echoResult("i0001-c1", new String[] {"Sky", " is", " green", "ish"}, new Double[] {null, -1.0, -1.5, -1.5}));
        ModelScores s = new ResultScorer(spec).score("a", data.items(), results);
        ObjectNode row = s.rows().get(0);
        assertThat(row.get("loglikelihoods").get(0).asDouble()).isEqualTo(-2.0);
        assertThat(row.get("loglikelihoods").get(1).asDouble()).isEqualTo(-3.0);
        assertThat(row.get("choice_tokens").toString()).isEqualTo("[1,2]");
        assertThat(s.scores().get("acc")).containsExactly(0);
        assertThat(s.scores().get("acc_norm")).containsExactly(1);
    }

    @Test
    void theQueryBoundaryCountsCharactersNotUtf16Units() throws Exception {
        // "Mood 😀:" is 7 characters (8 UTF-16 units: the emoji is outside the BMP). Its tokens start at
        // 0, 4 and 6 and the choice's " happy" at 7: it is the choice's one token. Measured in UTF-16
        // units the boundary would be 8, " happy" would count with the query, and the item would fail.
        Files.writeString(dir.resolve("mc.jsonl"), "{\"query\":\"Mood \uD83D\uDE00:\",\"choices\":[\" happy\",\" sad\"],\"gold\":0}\n");
        EvalSpec spec = spec("name: mc\ntask: multiple_choice\ndataset: mc.jsonl\nmodels: [a]\n");
        EvalDataset data = EvalDataset.read(spec.dataset(), spec.task());
        String smile = " \uD83D\uDE00";
        Map<String, JsonNode> results = Map.of(
                "i0001-c0", echoResult("i0001-c0", new String[] {"Mood", smile, ":", " happy"}, new Double[] {null, -1.0, -1.0, -0.5}),
                "i0001-c1", echoResult("i0001-c1", new String[] {"Mood", smile, ":", " sad"}, new Double[] {null, -1.0, -1.0, -2.5}));
        JsonNode offsets = results.get("i0001-c0").at("/response/body/choices/0/logprobs/text_offset");
        assertThat(offsets.toString()).isEqualTo("[0,4,6,7]");
        ModelScores s = new ResultScorer(spec).score("a", data.items(), results);
        ObjectNode row = s.rows().get(0);
        assertThat(row.has("error")).as(row.toString()).isFalse();
        assertThat(row.get("loglikelihoods").toString()).isEqualTo("[-0.5,-2.5]");
        assertThat(row.get("choice_tokens").toString()).isEqualTo("[1,1]");
        assertThat(s.scores().get("acc")).containsExactly(1);
    }

    @Test
    void runFilesAreWrittenAndCompareRefusesAnotherDataset() throws Exception {
        EvalSpec spec = generateSpec();
        EvalDataset data = EvalDataset.read(spec.dataset(), spec.task());
        ModelScores a = new ResultScorer(spec).score("a", data.items(),
                Map.of("i0001", chatResult("i0001", "Paris"), "i0002", chatResult("i0002", "five")));
        ModelScores b = new ResultScorer(spec).score("b", data.items(),
                Map.of("i0001", chatResult("i0001", "Paris"), "i0002", chatResult("i0002", "four")));
        ObjectNode summary = RunSummary.of(spec, data, List.of(a, b));
        assertThat(summary.at("/models/a/metrics/exact_match/mean").asDouble()).isEqualTo(0.5);
        assertThat(summary.at("/models/b/metrics/exact_match/mean").asDouble()).isEqualTo(1.0);
        assertThat(RunSummary.of(spec, data, List.of(a, b))).isEqualTo(summary);
        ObjectNode manifest = Json.object();
        manifest.set("spec", spec.json());
        manifest.putObject("dataset").put("sha256", data.sha256());
        RunDirectory run = RunDirectory.write(dir.resolve("run"), manifest, summary,
                java.util.stream.Stream.concat(a.rows().stream(), b.rows().stream()).toList());
        String html = Files.readString(dir.resolve("run/report.html"));
        assertThat(html).contains("<svg").contains("<table class=\"summary\">").contains("i0002").contains("five")
                .doesNotContain("<script").doesNotContain("http://").doesNotContain("https://");
        RunDirectory read = RunDirectory.read(dir.resolve("run"));
        assertThat(read.models()).containsExactly("a", "b");
        assertThat(read.scores("b", "exact_match")).containsExactly(1, 1);

        RunComparison same = RunComparison.of(read, read);
        assertThat(same.warnings()).isEmpty();
        // every model of A against every model of B, each metric: 2 x 2 x 3
        assertThat(same.json().path("comparisons")).hasSize(12);
        JsonNode aVsB = null;
        for (JsonNode c : same.json().path("comparisons")) {
            if (c.path("model_a").asText().equals("a") && c.path("model_b").asText().equals("b")
                    && c.path("metric").asText().equals("exact_match")) {
                aVsB = c;
            }
        }
        assertThat(aVsB).isNotNull();
        assertThat(aVsB.at("/difference/mean").asDouble()).isCloseTo(0.5, within(1e-12));
        assertThat(aVsB.at("/mcnemar/only_b_right").asInt()).isEqualTo(1);
        assertThat(aVsB.at("/mcnemar/p_value").asDouble()).isEqualTo(1.0);

        ObjectNode otherManifest = manifest.deepCopy();
        otherManifest.with("dataset").put("sha256", "0".repeat(64));
        ((ObjectNode) otherManifest.get("spec")).with("sampling").put("temperature", 0.7);
        RunDirectory other = new RunDirectory(dir.resolve("other"), otherManifest, summary, read.items());
        assertThatThrownBy(() -> RunComparison.of(read, other)).isInstanceOf(InvalidEval.class)
                .hasMessageContaining("different datasets");
        otherManifest.with("dataset").put("sha256", data.sha256());
        assertThat(RunComparison.of(read, other).warnings()).singleElement().asString().contains("sampling");
        assertThat(HtmlReport.compare(RunComparison.of(read, other))).contains("Warning: the specs differ in sampling");
    }
}
