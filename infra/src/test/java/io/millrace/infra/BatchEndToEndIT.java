package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The main job end to end on the in-process broker: {@code millrace batch} with valid and invalid
 * lines, then the same file again, which must generate nothing.
 */
class BatchEndToEndIT {
    @TempDir
    Path dir;

    private static String line(String customId, String body) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":" + body + "}";
    }

    private static String chat(String content, int maxTokens) {
        return "{\"model\":\"millrace-tiny\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":\"" + content + "\"}],\"max_tokens\":" + maxTokens + ",\"temperature\":0}";
    }

    @Test
    void runsABatchAndReturnsStoredResultsOnTheSecondRun() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            lines.add(line("ok-" + i, chat("Question number " + i, 4 + i)));
        }
        lines.add("this is not json");                                                     // line 7
        lines.add("{\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":" + chat("x", 4) + "}"); // 8: no custom_id
        lines.add(line("ok-1", chat("again", 4)));                                           // 9: duplicate
        lines.add(line("bad-model", chat("x", 4).replace("millrace-tiny", "gpt-9")));       // 10
        lines.add(line("bad-role", chat("x", 4).replace("\"user\"", "\"wizard\"")));         // 11
        lines.add(line("no-messages", "{\"model\":\"millrace-tiny\",\"messages\":[]}"));    // 12
        lines.add(line("bad-max", chat("x", 4).replace("\"max_tokens\":4", "\"max_tokens\":100000"))); // 13
        lines.add(line("bad-url", chat("x", 4)).replace("/v1/chat/completions", "/v1/images"));   // 14
        Path input = dir.resolve("in.jsonl");
        Files.write(input, lines, StandardCharsets.UTF_8);

        BatchCommand.Outcome first = run(input);
        assertThat(first.total()).isEqualTo(14);
        assertThat(first.completed()).isEqualTo(6);
        assertThat(first.failed()).isEqualTo(8);
        assertThat(first.generatedNow()).isEqualTo(6);
        assertThat(first.alreadyDone()).isFalse();

        List<JsonNode> out = read(first.output());
        assertThat(out).hasSize(6);
        assertThat(out).extracting(n -> n.get("custom_id").asText())
                .containsExactlyInAnyOrder("ok-1", "ok-2", "ok-3", "ok-4", "ok-5", "ok-6");
        for (JsonNode n : out) {
            assertThat(n.get("id").asText()).startsWith("batch_req_");
            assertThat(n.get("error").isNull()).isTrue();
            JsonNode body = n.at("/response/body");
            assertThat(n.at("/response/status_code").asInt()).isEqualTo(200);
            assertThat(body.get("object").asText()).isEqualTo("chat.completion");
            assertThat(body.at("/choices/0/message/role").asText()).isEqualTo("assistant");
            assertThat(body.at("/choices/0/finish_reason").asText()).isIn("stop", "length");
            int completion = body.at("/usage/completion_tokens").asInt();
            int max = 4 + Integer.parseInt(n.get("custom_id").asText().substring(3));
            assertThat(completion).isBetween(1, max);
            assertThat(body.at("/usage/total_tokens").asInt()).isEqualTo(body.at("/usage/prompt_tokens").asInt() + completion);
        }

        Map<Long, String> errorsByLine = read(first.errors()).stream().map(BatchEndToEndIT::error).collect(Collectors.toMap(
                e -> e.get("line").asLong(), e -> e.get("code").asText()));
        assertThat(errorsByLine).containsExactlyInAnyOrderEntriesOf(Map.of(
                7L, "invalid_json", 8L, "missing_custom_id", 9L, "duplicate_custom_id", 10L, "model_not_found",
                11L, "invalid_role", 12L, "missing_messages", 13L, "invalid_max_tokens", 14L, "invalid_url"));
        read(first.errors()).forEach(n -> {
            assertThat(error(n).get("message").asText()).isNotBlank();
            // Lines that are no request have no response; requests that failed are answered 400, as OpenAI does.
            boolean request = !Set.of("invalid_json", "missing_custom_id", "duplicate_custom_id").contains(error(n).get("code").asText());
            assertThat(n.get("response").isNull()).isEqualTo(!request);
            if (request) {
                assertThat(n.at("/response/status_code").asInt()).isEqualTo(400);
                assertThat(n.get("error").isNull()).isTrue();
            }
        });

        BatchCommand.Outcome second = run(input);
        assertThat(second.batchId()).isEqualTo(first.batchId());
        assertThat(second.alreadyDone()).isTrue();
        assertThat(second.generatedNow()).isZero();
        assertThat(read(second.output())).containsExactlyInAnyOrderElementsOf(out);
        assertThat(read(second.errors())).hasSize(8);
    }

    @Test
    void aMissingInputFileIsAOneLineErrorAndANonZeroExit() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Millrace.run(List.of("batch", dir.resolve("nope.jsonl").toString(), "--data-dir", dir.toString()),
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8).strip()).contains("nope.jsonl").contains("no such file").doesNotContain("\n");
    }

    @Test
    void anUnknownOptionIsAUsageError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Millrace.run(List.of("batch", "x.jsonl", "--outptu", "y"), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("Unknown options: '--outptu'").contains("usage: millrace batch");
    }

    private BatchCommand.Outcome run(Path input) throws Exception {
        // Engine and ONNX Runtime settings from the command line: six requests through two rows on one thread.
        return Commands.parse(BatchCommand.class, "batch", input.toString(), "--data-dir", dir.resolve("data").toString(),
                "--kafka-port", "0", "--set", "worker.engine.max.batch.size=2", "--set", "worker.ort.intra.threads=1").run();
    }

    /** The error of an error-file line: top-level, or in the response body. */
    private static JsonNode error(JsonNode line) {
        return line.get("error").isNull() ? line.at("/response/body/error") : line.get("error");
    }

    private static List<JsonNode> read(Path file) throws Exception {
        List<JsonNode> nodes = new ArrayList<>();
        for (String l : Files.readAllLines(file)) {
            nodes.add(Json.parse(l));
        }
        return nodes;
    }
}
