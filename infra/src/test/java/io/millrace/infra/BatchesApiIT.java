package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.NotFoundException;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FilePurpose;
import io.millrace.protocol.Json;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenAI's batch flow with OpenAI's Java SDK against a whole {@code serve} (every role, no keys):
 * upload a file, create a batch of it, poll until it completes, list it, read each result. The
 * batch is run by the ingest role, which the API reaches only through {@code millrace.batches}.
 */
class BatchesApiIT {
    @TempDir
    Path dir;

    private static String line(String customId, String content) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + "{\"model\":\"millrace-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}],"
                + "\"max_tokens\":4,\"temperature\":0}}";
    }

    @Test
    void createsAFileBatchAndRunsItToCompletion() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            lines.add(line("ok-" + i, "Question " + i));
        }
        lines.add("not json"); // line 6
        Path input = dir.resolve("in.jsonl");
        Files.write(input, lines, StandardCharsets.UTF_8);

        try (RunningServe serve = RunningServe.start(dir, bootstrap -> new Settings(bootstrap, dir, 0, 0, List.of(),
                "batches-api-it", -1, Map.of()))) {
            int port = serve.deployment().api().orElseThrow().httpPort();
            OpenAIClient openAi = OpenAIOkHttpClient.builder().baseUrl("http://localhost:" + port + "/v1")
                    .apiKey("not-checked").maxRetries(0).build();
            String fileId = openAi.files().create(FileCreateParams.builder().file(input).purpose(FilePurpose.BATCH).build()).id();

            assertThatThrownBy(() -> openAi.batches().create(params("file-nope"))).isInstanceOf(NotFoundException.class);

            Batch created = openAi.batches().create(params(fileId));
            assertThat(created.id()).matches("batch_[0-9a-f]{32}");
            assertThat(created.status()).isIn(Batch.Status.VALIDATING);
            assertThat(created.inputFileId()).isEqualTo(fileId);
            assertThat(created.completionWindow()).isEqualTo("24h");
            assertThat(created.endpoint()).isEqualTo("/v1/chat/completions");

            // Read your writes: the batch just created is there at once, on every read, although
            // the API's view of batches reads it back from the topic only a moment later.
            assertThat(openAi.batches().retrieve(created.id()).id()).isEqualTo(created.id());
            assertThat(openAi.batches().list().data()).extracting(Batch::id).contains(created.id());
            for (int i = 0; i < 5; i++) {
                Batch another = openAi.batches().create(params(fileId));
                assertThat(openAi.batches().retrieve(another.id()).status()).isIn(Batch.Status.VALIDATING,
                        Batch.Status.IN_PROGRESS);
                Batch cancelling = openAi.batches().cancel(another.id());
                assertThat(cancelling.status()).isIn(Batch.Status.CANCELLING, Batch.Status.CANCELLED);
                assertThat(openAi.batches().retrieve(another.id()).status()).isIn(Batch.Status.CANCELLING,
                        Batch.Status.CANCELLED);
            }

            Batch batch = created;
            long deadline = System.currentTimeMillis() + 120_000;
            while (!batch.status().equals(Batch.Status.COMPLETED) && System.currentTimeMillis() < deadline) {
                Thread.sleep(250);
                batch = openAi.batches().retrieve(created.id());
                assertThat(batch.status()).isIn(Batch.Status.VALIDATING, Batch.Status.IN_PROGRESS, Batch.Status.FINALIZING,
                        Batch.Status.COMPLETED);
            }
            assertThat(batch.status()).isEqualTo(Batch.Status.COMPLETED);
            assertThat(batch.requestCounts().orElseThrow().total()).isEqualTo(6);
            assertThat(batch.requestCounts().orElseThrow().completed()).isEqualTo(5);
            assertThat(batch.requestCounts().orElseThrow().failed()).isEqualTo(1);
            assertThat(batch.inProgressAt()).isPresent();
            assertThat(batch.completedAt()).isPresent();

            List<String> listed = openAi.batches().list().data().stream().map(Batch::id).toList();
            assertThat(listed).contains(created.id());

            HttpClient http = HttpClient.newHttpClient();
            for (int i = 1; i <= 5; i++) {
                JsonNode r = get(http, port, created.id() + ":ok-" + i);
                assertThat(r.get("status").asText()).isEqualTo("completed");
                assertThat(r.at("/response/body/object").asText()).isEqualTo("chat.completion");
            }
            JsonNode bad = get(http, port, created.id() + "#line-6");
            assertThat(bad.get("status").asText()).isEqualTo("failed");
            assertThat(bad.at("/error/code").asText()).isEqualTo("invalid_json");

            // The output and error files: one line per input line, joined on custom_id, downloaded with the SDK.
            String outputId = batch.outputFileId().orElseThrow();
            String errorId = batch.errorFileId().orElseThrow();
            List<JsonNode> output = download(openAi, outputId);
            assertThat(output).extracting(l -> l.get("custom_id").asText())
                    .containsExactlyInAnyOrder("ok-1", "ok-2", "ok-3", "ok-4", "ok-5");
            assertThat(output).allSatisfy(l -> assertThat(l.at("/response/status_code").asInt()).isEqualTo(200));
            List<JsonNode> errors = download(openAi, errorId);
            assertThat(errors).hasSize(1);
            assertThat(errors.get(0).at("/error/code").asText()).isEqualTo("invalid_json");
            assertThat(openAi.files().retrieve(outputId).purpose().toString()).isEqualTo("batch_output");
            assertThat(openAi.files().list().data()).extracting(f -> f.id()).contains(outputId, errorId);
            // Finalized once: the batch names the same files on every read.
            Thread.sleep(1_500);
            Batch again = openAi.batches().retrieve(created.id());
            assertThat(again.outputFileId()).contains(outputId);
            assertThat(again.errorFileId()).contains(errorId);
            assertThat(openAi.files().list().data().stream().filter(f -> f.filename().startsWith(created.id())).count())
                    .isEqualTo(2);

            // Partial results, paged: every line, in request id order.
            JsonNode page1 = results(http, port, created.id(), "?limit=4");
            assertThat(page1.get("data")).hasSize(4);
            assertThat(page1.get("has_more").asBoolean()).isTrue();
            JsonNode page2 = results(http, port, created.id(), "?limit=4&after="
                    + URLEncoder.encode(page1.get("last_id").asText(), StandardCharsets.UTF_8));
            assertThat(page2.get("data")).hasSize(2);
            assertThat(page2.get("has_more").asBoolean()).isFalse();
        }
    }

    @Test
    void aBatchPastItsWindowExpiresKeepingWhatFinished() throws Exception {
        List<String> lines = new ArrayList<>();
        lines.add("not json"); // answered at ingest: finished before any expiry
        for (int i = 1; i <= 2000; i++) {
            lines.add(line("q-" + i, "Tell me a long story number " + i).replace("\"max_tokens\":4", "\"max_tokens\":48"));
        }
        Path input = dir.resolve("slow.jsonl");
        Files.write(input, lines, StandardCharsets.UTF_8);
        try (RunningServe serve = RunningServe.start(dir, bootstrap -> new Settings(bootstrap, dir, 0, 0, List.of(),
                "batches-expiry-it", -1, Map.of("api.batch.window.seconds", "2")))) {
            int port = serve.deployment().api().orElseThrow().httpPort();
            OpenAIClient openAi = OpenAIOkHttpClient.builder().baseUrl("http://localhost:" + port + "/v1")
                    .apiKey("not-checked").maxRetries(0).build();
            String fileId = openAi.files().create(FileCreateParams.builder().file(input).purpose(FilePurpose.BATCH).build()).id();
            Batch created = openAi.batches().create(params(fileId));
            assertThat(created.completionWindow()).isEqualTo("24h");
            Batch batch = created;
            long deadline = System.currentTimeMillis() + 120_000;
            while (!batch.status().equals(Batch.Status.EXPIRED) && System.currentTimeMillis() < deadline) {
                Thread.sleep(250);
                batch = openAi.batches().retrieve(created.id());
                assertThat(batch.status()).isNotIn(Batch.Status.COMPLETED, Batch.Status.FAILED);
            }
            assertThat(batch.status()).isEqualTo(Batch.Status.EXPIRED);
            assertThat(batch.expiredAt()).isPresent();
            long total = batch.requestCounts().orElseThrow().total();
            assertThat(total).isEqualTo(2001);
            List<JsonNode> errors = download(openAi, batch.errorFileId().orElseThrow());
            List<JsonNode> output = batch.outputFileId().isPresent() ? download(openAi, batch.outputFileId().get()) : List.of();
            assertThat(output.size() + errors.size()).as("one line per input line").isEqualTo(2001);
            assertThat(errors).anySatisfy(l -> assertThat(l.at("/error/code").asText()).isEqualTo("invalid_json"));
            assertThat(errors).anySatisfy(l -> assertThat(l.at("/error/code").asText()).isEqualTo("batch_expired"));
            assertThat(output).allSatisfy(l -> assertThat(l.at("/response/status_code").asInt()).isEqualTo(200));
        }
    }

    private static List<JsonNode> download(OpenAIClient openAi, String fileId) throws Exception {
        List<JsonNode> parsed = new ArrayList<>();
        try (var response = openAi.files().content(fileId)) {
            String body = new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
            for (String l : body.split("\n")) {
                if (!l.isBlank()) {
                    parsed.add(Json.parse(l));
                }
            }
        }
        return parsed;
    }

    private static JsonNode results(HttpClient http, int port, String batchId, String query) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/batches/"
                + batchId + "/results" + query)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.parse(r.body());
    }

    private static BatchCreateParams params(String fileId) {
        return BatchCreateParams.builder().inputFileId(fileId).endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H).build();
    }

    private static JsonNode get(HttpClient http, int port, String requestId) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/requests/"
                + URLEncoder.encode(requestId, StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(requestId + ": " + r.body()).isEqualTo(200);
        return Json.parse(r.body());
    }
}
