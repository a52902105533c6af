package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import io.millrace.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keys, tenants and limits on a running {@code serve} with keys required (its default): keys made
 * by {@code millrace keys} while it runs work at once on the API, a tenant sees only its own
 * requests (anything else is 404), a revoked key is refused, and a key's requests-per-minute limit
 * answers 429 with OpenAI's headers.
 */
class ApiKeysIT {
    @TempDir
    static Path dir;
    static RunningServe running;
    static Deployment serve;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startServe() throws Exception {
        running = RunningServe.start(dir, bootstrap -> new Settings(bootstrap, dir, 0, 0, List.of(), "api-keys-it", -1, Map.of())
                .withApi(true, Duration.ofSeconds(60)));
        serve = running.deployment();
    }

    @AfterAll
    static void stopServe() throws Exception {
        if (running != null) {
            running.close();
        }
    }

    @Test
    void noKeyOrABadKeyIs401() throws Exception {
        HttpResponse<String> none = get("/v1/models", null);
        HttpResponse<String> bad = get("/v1/models", "mr-key_AAAAAAAAAAAA-" + "b".repeat(32));

        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(Json.parse(none.body()).at("/error/code").asText()).isEqualTo("missing_api_key");
        assertThat(bad.statusCode()).isEqualTo(401);
        assertThat(Json.parse(bad.body()).at("/error/code").asText()).isEqualTo("invalid_api_key");
        assertThat(bad.body()).doesNotContain("b".repeat(32)); // a key is never echoed whole
        assertThatThrownBy(() -> sdk("sk-not-ours").models().list()).isInstanceOf(UnauthorizedException.class);
        assertThat(get("/health/ready", null).statusCode()).as("probes need no key").isEqualTo(200);
    }

    @Test
    void aTenantSeesOnlyItsOwnRequests() throws Exception {
        String alice = createKey("alice", 0);
        String bob = createKey("bob", 0);

        HttpResponse<String> answer = chat(alice, "tenant-it-1");
        assertThat(answer.statusCode()).isEqualTo(200);
        String requestId = answer.headers().firstValue("x-request-id").orElseThrow();

        assertThat(get("/v1/requests/" + requestId, alice).statusCode()).isEqualTo(200);
        assertThat(get("/v1/requests/" + requestId, bob).statusCode()).as("another tenant's request is not found").isEqualTo(404);
        // The same Idempotency-Key of another tenant is another request, not alice's answer.
        HttpResponse<String> bobs = chat(bob, "tenant-it-1");
        assertThat(bobs.headers().firstValue("x-request-id").orElseThrow()).isNotEqualTo(requestId);
        assertThat(sdk(alice).models().list().data()).isNotEmpty();
    }

    @Test
    void aTenantSeesOnlyItsOwnFiles() throws Exception {
        String erin = createKey("erin", 0);
        String frank = createKey("frank", 0);
        Path upload = java.nio.file.Files.writeString(dir.resolve("erin.jsonl"),
                "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}}\n");

        FileObject file = sdk(erin).files().create(FileCreateParams.builder().file(upload).purpose(FilePurpose.BATCH).build());

        assertThat(sdk(erin).files().retrieve(file.id()).filename()).isEqualTo("erin.jsonl");
        assertThat(sdk(erin).files().list().data()).extracting(FileObject::id).contains(file.id());
        assertThatThrownBy(() -> sdk(frank).files().retrieve(file.id())).isInstanceOf(NotFoundException.class);
        assertThat(get("/v1/files/" + file.id() + "/content", frank).statusCode()).isEqualTo(404);
        assertThat(sdk(frank).files().list().data()).extracting(FileObject::id).doesNotContain(file.id());
        assertThatThrownBy(() -> sdk(frank).files().delete(file.id())).isInstanceOf(NotFoundException.class);
        assertThat(get("/v1/files/" + file.id() + "/content", erin).body()).contains("\"custom_id\":\"a\"");
    }

    @Test
    void aRevokedKeyIsRefused() throws Exception {
        String key = createKey("carol", 0);
        assertThat(get("/v1/models", key).statusCode()).isEqualTo(200);
        String keyId = key.substring("mr-".length(), "mr-key_".length() + 12);

        assertThat(cli("keys", "revoke", keyId)).contains("revoked " + keyId);

        int status = 0;
        for (long deadline = System.currentTimeMillis() + 15_000; System.currentTimeMillis() < deadline; Thread.sleep(200)) {
            status = get("/v1/models", key).statusCode();
            if (status == 401) {
                break;
            }
        }
        assertThat(status).isEqualTo(401);
        assertThat(cli("keys", "list")).contains(keyId).contains("carol");
    }

    @Test
    void aKeyOverItsRequestsPerMinuteGets429WithOpenAiHeaders() throws Exception {
        String key = createKey("dave", 2);

        assertThat(chat(key, null).statusCode()).isEqualTo(200);
        HttpResponse<String> second = chat(key, null);
        HttpResponse<String> third = chat(key, null);

        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.headers().firstValue("x-ratelimit-limit-requests")).contains("2");
        assertThat(second.headers().firstValue("x-ratelimit-remaining-requests")).contains("0");
        assertThat(third.statusCode()).isEqualTo(429);
        JsonNode error = Json.parse(third.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(error.get("type").asText()).isEqualTo("requests");
        assertThat(Long.parseLong(third.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 30L);
        assertThat(third.headers().firstValue("x-ratelimit-reset-requests")).isPresent();
    }

    private static String createKey(String tenant, int rpm) throws Exception {
        return TestKeys.create(serve, tenant, rpm);
    }

    private static String cli(String... args) {
        return TestKeys.cli(serve, args);
    }

    private static HttpResponse<String> chat(String key, String idempotencyKey) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri("/v1/chat/completions")).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"millrace-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":2}"));
        if (idempotencyKey != null) {
            b.header("Idempotency-Key", idempotencyKey);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static OpenAIClient sdk(String key) {
        return OpenAIOkHttpClient.builder().baseUrl("http://localhost:" + serve.api().orElseThrow().httpPort() + "/v1")
                .apiKey(key).maxRetries(0).build();
    }

    private static URI uri(String path) {
        return URI.create("http://localhost:" + serve.api().orElseThrow().httpPort() + path);
    }
}
