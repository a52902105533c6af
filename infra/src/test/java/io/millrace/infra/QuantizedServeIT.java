package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --set model.millrace-tiny.variant=q8} on a running serve: the built-in model's q8 file is
 * written on first use, the model is listed and answered as {@code millrace-tiny-q8}, and its
 * tokenizer endpoints answer under that name.
 */
class QuantizedServeIT {
    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void theQ8VariantOfTheBuiltInModelIsServedUnderItsOwnName() throws Exception {
        try (RunningServe serve = RunningServe.start(dir, bootstrap -> new Settings(bootstrap, dir, 0, 0, List.of(), "q8-it", -1,
                Map.of("model.millrace-tiny.variant", "q8")).withApi(false, Duration.ofSeconds(60)))) {
            int port = serve.deployment().api().orElseThrow().httpPort();
            assertThat(dir.resolve("models/millrace-tiny/model_quantized.onnx")).exists();

            JsonNode models = Json.parse(get(port, "/v1/models").body());
            assertThat(models.path("data").findValuesAsText("id")).containsExactly("millrace-tiny-q8");

            HttpResponse<String> chat = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/chat/completions"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"millrace-tiny-q8\", \"messages\": [{\"role\": \"user\","
                            + " \"content\": \"How does the mill work?\"}], \"max_tokens\": 8}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
            JsonNode body = Json.parse(chat.body());
            assertThat(body.path("model").asText()).isEqualTo("millrace-tiny-q8");
            assertThat(body.path("usage").path("completion_tokens").asInt()).isPositive();

            HttpResponse<String> info = get(port, "/tokenizer_info?model=millrace-tiny-q8");
            assertThat(info.statusCode()).as(info.body()).isEqualTo(200);
            assertThat(Json.parse(info.body()).path("model").asText()).isEqualTo("millrace-tiny-q8");

            HttpResponse<String> fp32 = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/models/millrace-tiny"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(fp32.statusCode()).as("fp32 is not served when q8 is chosen").isEqualTo(404);
        }
        assertThat(Files.exists(dir.resolve("models/millrace-tiny/model.onnx"))).isTrue();
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
