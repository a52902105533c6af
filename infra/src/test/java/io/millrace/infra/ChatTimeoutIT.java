package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.millrace.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A synchronous chat request whose result does not come within {@code --request-timeout} is
 * answered 504 with an OpenAI error object that names the request, so the client can read the
 * result later. Only the API role runs here (no router, no worker): nothing ever answers, which is
 * the timeout on demand without a fake.
 */
class ChatTimeoutIT {
    @TempDir
    static Path dir;
    static TestKafka kafka;
    static Deployment api;

    @BeforeAll
    static void start() throws Exception {
        kafka = TestKafka.start(dir.resolve("broker"));
        api = Deployment.start(new Settings(kafka.bootstrapServers(), dir, 0, 0, List.of(), "chat-timeout-it", -1, Map.of(),
                false, Duration.ofSeconds(1)), EnumSet.of(Role.API));
        api.awaitRunning(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() throws Exception {
        if (api != null) {
            api.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    private static String base() {
        return "http://localhost:" + api.api().orElseThrow().httpPort();
    }

    @Test
    void anUnansweredRequestIs504WithAnErrorObjectNamingTheRequest() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base() + "/v1/chat/completions"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"millrace-tiny\",\"max_tokens\":1,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"anyone there?\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(504);
        String requestId = r.headers().firstValue("x-request-id").orElseThrow();
        JsonNode error = Json.MAPPER.readTree(r.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("timeout");
        assertThat(error.get("type").asText()).isEqualTo("server_error");
        assertThat(error.get("message").asText()).contains("No result within 1 s", "GET /v1/requests/" + requestId);
        assertThat(error.has("param")).isTrue();
    }

    @Test
    void theOpenAiSdkSeesA504ServiceError() {
        OpenAIClient sdk = OpenAIOkHttpClient.builder().baseUrl(base() + "/v1").apiKey("unused").maxRetries(0).build();
        OpenAIServiceException e = catchThrowableOfType(OpenAIServiceException.class, () -> sdk.chat().completions().create(
                ChatCompletionCreateParams.builder().model("millrace-tiny").addUserMessage("still nobody?").maxTokens(1).build()));
        assertThat(e.statusCode()).isEqualTo(504);
        assertThat(e.getMessage()).contains("No result within 1 s");
    }
}
