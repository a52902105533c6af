package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.InputLimits;
import io.millrace.protocol.Json;
import io.millrace.protocol.fuzz.Hostile;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code millrace batch} on a seeded file of 1,000 hostile lines (issue #8's 5,000-deep line
 * first), on the in-process broker: exit 0, one output or error line per input line, no stack
 * trace. Generation is kept cheap (max_tokens 1 to 4) so the run takes well under two minutes.
 */
class BatchFuzzIT {
    private static final long SEED = 8_2026L;

    @TempDir
    Path dir;

    @Test
    void aFileOfHostileLinesCompletesWithOneAnswerPerLine() throws Exception {
        Random r = new Random(SEED);
        Path input = dir.resolve("hostile.jsonl");
        try (OutputStream out = Files.newOutputStream(input)) {
            out.write(("[".repeat(5000) + "]".repeat(5000) + "\n").getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < 999; i++) {
                byte[] line = Hostile.mutate(r, Hostile.batchLine(r, "c" + i, "millrace-tiny", 1 + r.nextInt(4)),
                        InputLimits.MAX_LINE_BYTES).bytes();
                out.write(line);
                out.write('\n');
            }
        }
        long lines = new io.millrace.ingest.BatchFile(input).summarize().requests();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();

        int code = Millrace.run(List.of("batch", input.toString(), "--data-dir", dir.resolve("data").toString(),
                "--kafka-port", "0"), new PrintStream(stdout, true, StandardCharsets.UTF_8),
                new PrintStream(stderr, true, StandardCharsets.UTF_8));

        String err = stderr.toString(StandardCharsets.UTF_8);
        assertThat(code).as(err).isZero();
        assertThat(err).doesNotContain("Exception").doesNotContain("\tat ");
        List<JsonNode> out = read(dir.resolve("hostile.output.jsonl"));
        List<JsonNode> errors = read(dir.resolve("hostile.errors.jsonl"));
        assertThat(out.size() + errors.size()).isEqualTo(lines);
        Set<String> ids = new HashSet<>();
        for (JsonNode n : out) {
            assertThat(ids.add(n.get("id").asText())).isTrue();
            assertThat(n.at("/response/status_code").asInt()).isEqualTo(200);
        }
        for (JsonNode n : errors) {
            assertThat(ids.add(n.get("id").asText())).isTrue();
            JsonNode e = n.get("error").isNull() ? n.at("/response/body/error") : n.get("error");
            assertThat(e.get("code").asText()).isNotBlank().isNotEqualTo("internal_error");
            // Which line: in the message for what ingest rejects, and in "line" for every error.
            assertThat(e.get("message").asText()).isNotBlank();
            assertThat(e.path("line").asLong()).as(n.toString()).isPositive();
        }
        JsonNode deep = errors.stream().filter(n -> n.get("error").path("line").asLong() == 1).findFirst().orElseThrow();
        assertThat(deep.at("/error/code").asText()).isEqualTo("request_too_large");
    }

    private static List<JsonNode> read(Path file) throws Exception {
        List<JsonNode> nodes = new ArrayList<>();
        for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            nodes.add(Json.parse(l));
        }
        return nodes;
    }
}
