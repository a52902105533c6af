package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FilePurpose;
import io.millrace.protocol.Json;
import io.millrace.worker.model.build.TinyModel;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model routing on a whole {@code serve} with two served models, the built-in millrace-tiny and a
 * second generated tiny model, tiny-large, priced and rated in a deployment file: a batch with
 * {@code metadata.budget_usd} is planned by ingest and each output line says which model answered
 * and why ({@code budget: ...}); a batch whose budget cannot cover the cheapest plan is refused at
 * creation (400), saying what it would cost; the batch command's {@code --budget-usd} plans the same way; and an HTTP
 * request for {@code "model": "auto"} is routed by the classifier.
 */
class ModelRoutingIT {
    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    /** "Question NN?" is 12 characters (3 tokens) and max_tokens 7: 10 tokens, $0.00001 on tiny, $0.0001 on tiny-large. */
    private static String line(String customId, String model) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Question " + customId + "?\"}],"
                + "\"max_tokens\":7,\"temperature\":0}}";
    }

    @Test
    void budgetAndAutoRoutesAreFollowedAndReported() throws Exception {
        Path tiny = dir.resolve("models").resolve("millrace-tiny");
        Path large = dir.resolve("models").resolve("tiny-large");
        TinyModel.write(tiny);
        TinyModel.write(large);
        Path yaml = dir.resolve("millrace.yaml");
        Files.writeString(yaml, """
                models:
                  - directory: models/millrace-tiny
                    price: {input_per_million: 1.0, output_per_million: 1.0}
                    quality: 0.5
                  - directory: models/tiny-large
                    price: {input_per_million: 10.0, output_per_million: 10.0}
                    quality: 0.9
                auto: {enabled: true, small: millrace-tiny, large: tiny-large}
                aliases: {gpt-4o-mini: millrace-tiny}
                """);
        DeploymentConfig deployment = DeploymentFile.read(yaml);
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            lines.add(line(String.format("%02d", i), i % 2 == 0 ? "auto" : "millrace-tiny"));
        }
        Path input = dir.resolve("in.jsonl");
        Files.write(input, lines, StandardCharsets.UTF_8);

        try (RunningServe serve = RunningServe.start(dir, bootstrap -> new Settings(bootstrap, dir, 0, 0, List.of(tiny, large),
                "routing-it", -1, Map.of(), false, Settings.DEFAULT_REQUEST_TIMEOUT, deployment))) {
            int port = serve.deployment().api().orElseThrow().httpPort();
            OpenAIClient openAi = OpenAIOkHttpClient.builder().baseUrl("http://localhost:" + port + "/v1")
                    .apiKey("not-checked").maxRetries(0).build();
            String fileId = openAi.files().create(FileCreateParams.builder().file(input).purpose(FilePurpose.BATCH).build()).id();

            // Every name a request may send is a listed model, each retrievable.
            assertThat(openAi.models().list().data()).extracting(m -> m.id())
                    .containsExactly("millrace-tiny", "tiny-large", "gpt-4o-mini", "auto");
            assertThat(openAi.models().retrieve("gpt-4o-mini").id()).isEqualTo("gpt-4o-mini");
            assertThat(openAi.models().retrieve("auto").ownedBy()).isEqualTo("millrace");
            assertThat(get(port, "/v1/models/gpt-4o-mini").path("root").asText()).isEqualTo("millrace-tiny");

            // Room for two lines on tiny-large: 2 * 0.0001 + 4 * 0.00001 = 0.00024 (three would be 0.00033).
            JsonNode batch = awaitDone(port, createBatch(port, fileId, "0.00025"));
            assertThat(batch.get("status").asText()).as(batch.toString()).isEqualTo("completed");
            Map<String, Integer> byModel = new HashMap<>();
            for (int i = 1; i <= 6; i++) {
                JsonNode out = get(port, "/v1/requests/" + URLEncoder.encode(batch.get("id").asText() + ":" + String.format("%02d", i),
                        StandardCharsets.UTF_8));
                JsonNode route = out.at("/response/body/route");
                assertThat(out.at("/response/status_code").asInt()).as(out.toString()).isEqualTo(200);
                assertThat(route.get("reason").asText()).startsWith("budget: est. $").contains("of budget_usd 0.00025 for 6 lines");
                assertThat(route.get("requested").asText()).isEqualTo(i % 2 == 0 ? "auto" : "millrace-tiny");
                assertThat(out.at("/response/body/model").asText()).isEqualTo(route.get("model").asText());
                byModel.merge(route.get("model").asText(), 1, Integer::sum);
            }
            assertThat(byModel).isEqualTo(Map.of("tiny-large", 2, "millrace-tiny", 4));

            // A budget no plan can keep is refused at creation, saying what the cheapest plan would cost.
            HttpResponse<String> poor = post(port, "/v1/batches", batchBody(fileId, "0.00005"));
            assertThat(poor.statusCode()).as(poor.body()).isEqualTo(400);
            assertThat(Json.parse(poor.body()).at("/error/code").asText()).isEqualTo("budget_not_planned");
            assertThat(Json.parse(poor.body()).at("/error/param").asText()).isEqualTo("metadata.budget_usd");
            assertThat(Json.parse(poor.body()).at("/error/message").asText()).contains("estimated at $0.00006");

            // The batch command plans the same way with --budget-usd, against the running serve's stages.
            Path cmdInput = dir.resolve("cmd.jsonl");
            Files.write(cmdInput, lines, StandardCharsets.UTF_8);
            BatchCommand.Outcome outcome = Commands.parse(BatchCommand.class, "batch", cmdInput.toString(), "--bootstrap-servers",
                    serve.deployment().bootstrapServers(), "--data-dir", dir.resolve("client").toString(), "--config", yaml.toString(),
                    "--budget-usd", "0.00025").run();
            assertThat(outcome.completed()).isEqualTo(6);
            Map<String, Integer> commandByModel = new HashMap<>();
            for (String l : Files.readAllLines(outcome.output())) {
                JsonNode route = Json.parse(l).at("/response/body/route");
                assertThat(route.get("reason").asText()).startsWith("budget: est. $");
                commandByModel.merge(route.get("model").asText(), 1, Integer::sum);
            }
            assertThat(commandByModel).isEqualTo(Map.of("tiny-large", 2, "millrace-tiny", 4));

            HttpResponse<String> answer = post(port, "/v1/chat/completions", "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\","
                    + "\"content\":\"Write a Python function that merges overlapping intervals and analyze its complexity.\"}],"
                    + "\"max_tokens\":4}");
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            JsonNode completion = Json.parse(answer.body());
            assertThat(completion.at("/route/requested").asText()).isEqualTo("auto");
            assertThat(completion.at("/route/model").asText()).isEqualTo("tiny-large");
            assertThat(completion.at("/route/reason").asText()).matches("auto: classifier p\\(hard\\)=[01]\\.\\d\\d");
            assertThat(completion.get("model").asText()).isEqualTo("tiny-large");
        }
    }

    private static String batchBody(String fileId, String budget) {
        return "{\"input_file_id\":\"" + fileId + "\",\"endpoint\":\"/v1/chat/completions\","
                + "\"completion_window\":\"24h\",\"metadata\":{\"budget_usd\":\"" + budget + "\"}}";
    }

    private String createBatch(int port, String fileId, String budget) throws Exception {
        HttpResponse<String> r = post(port, "/v1/batches", batchBody(fileId, budget));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.parse(r.body()).get("id").asText();
    }

    /** The batch once completed or failed; the view may not have it yet right after its creation (404 until then). */
    private JsonNode awaitDone(int port, String batchId) throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < deadline) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/batches/" + batchId))
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200 && List.of("completed", "failed").contains(Json.parse(r.body()).get("status").asText())) {
                return Json.parse(r.body());
            }
            assertThat(r.statusCode()).as(r.body()).isIn(200, 404);
            Thread.sleep(250);
        }
        throw new AssertionError("batch " + batchId + " did not finish within 120 s");
    }

    private HttpResponse<String> post(int port, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode get(int port, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
        return Json.parse(r.body());
    }
}
