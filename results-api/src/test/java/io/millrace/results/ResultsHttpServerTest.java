package io.millrace.results;

import static io.millrace.results.Fixtures.T0;
import static io.millrace.results.Fixtures.batch;
import static io.millrace.results.Fixtures.failure;
import static io.millrace.results.Fixtures.success;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.BatchOutputLine;
import io.millrace.protocol.Json;
import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.ResultEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API over real HTTP, reading the stores of the real topology on a test driver. */
class ResultsHttpServerTest {
    static final ModelCatalog MODELS = ModelCatalog.of(new ModelCatalog.Entry("millrace-tiny", 1024),
            new ModelCatalog.Entry("other-model", 0));
    @TempDir
    Path stateDir;
    TopologyHarness t;
    ResultsHttpServer server;
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        t = new TopologyHarness(stateDir);
        server = new ResultsHttpServer(t.view, () -> true, () -> true, t::publish, MODELS, 0);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(Duration.ZERO);
        t.close();
    }

    @Test
    void servesABatchWithItsCounts() throws Exception {
        t.publish(batch("b1", 2));
        t.publish(success("b1", "a", T0 + 1_000));
        t.publish(failure("b1", "b", T0 + 2_000));

        HttpResponse<String> r = get("/v1/batches/b1");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
        JsonNode body = Json.parse(r.body());
        assertThat(body.get("id").asText()).isEqualTo("b1");
        assertThat(body.get("status").asText()).isEqualTo("completed");
        assertThat(body.get("request_counts").toString()).isEqualTo("{\"total\":2,\"completed\":1,\"failed\":1}");
    }

    @Test
    void servesAResultByARequestIdWithAColonRawOrEncoded() throws Exception {
        ResultEvent ok = success("b1", "a/b c+d", T0);
        t.publish(ok);
        JsonNode expected = BatchOutputLine.of(ok).put("status", "completed");

        HttpResponse<String> encoded = get("/v1/requests/b1%3Aa%2Fb%20c+d");
        HttpResponse<String> raw = get("/v1/requests/b1:a%2Fb%20c%2Bd");

        assertThat(encoded.statusCode()).isEqualTo(200);
        assertThat(Json.parse(encoded.body())).isEqualTo(expected);
        assertThat(raw.statusCode()).isEqualTo(200);
        assertThat(Json.parse(raw.body())).isEqualTo(expected);
    }

    @Test
    void aFailedResultHasStatusFailedAndItsError() throws Exception {
        t.publish(failure("b1", "x", T0));

        JsonNode body = Json.parse(get("/v1/requests/b1:x").body());

        assertThat(body.get("status").asText()).isEqualTo("failed");
        assertThat(body.get("error").isNull()).isTrue();
        assertThat(body.at("/response/body/error/code").asText()).isEqualTo("generation_failed");
        assertThat(body.at("/response/body/error/type").asText()).isEqualTo("server_error");
    }

    @Test
    void unknownIdsAre404InOpenAiErrorFormat() throws Exception {
        HttpResponse<String> batch = get("/v1/batches/nope");
        HttpResponse<String> request = get("/v1/requests/b1:nope");

        assertThat(batch.statusCode()).isEqualTo(404);
        assertThat(Json.parse(batch.body())).isEqualTo(Json.parse("{\"error\":{\"message\":\"No batch found with id 'nope'.\","
                + "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"not_found\"}}"));
        assertThat(request.statusCode()).isEqualTo(404);
        assertThat(Json.parse(request.body()).at("/error/message").asText()).contains("'b1:nope'");
        assertThat(request.headers().firstValue("Content-Type")).contains("application/json");
    }

    @Test
    void unknownPathsAre404() throws Exception {
        for (String path : new String[] {"/v1/batchez", "/v1/files/f1", "/v1/batches/b1/pause"}) {
            HttpResponse<String> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(404);
            assertThat(Json.parse(r.body()).at("/error/type").asText()).isEqualTo("invalid_request_error");
        }
    }

    @Test
    void otherMethodsAre405() throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/v1/batches/b1"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("Allow")).contains("GET");
        assertThat(Json.parse(r.body()).at("/error/code").asText()).isEqualTo("method_not_allowed");
    }

    @Test
    void healthIsOk() throws Exception {
        HttpResponse<String> r = get("/health");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"status\":\"ok\"}");
    }

    @Test
    void healthIs503OnceTheSourceFailedForGood() throws Exception {
        AtomicBoolean live = new AtomicBoolean(true);
        ResultsHttpServer s = new ResultsHttpServer(t.view, live::get, () -> true, t::publish, MODELS, 0);
        s.start();
        try {
            live.set(false);
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + s.port() + "/health"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(503);
        } finally {
            s.stop(Duration.ZERO);
        }
    }

    @Test
    void notReadyIs503WithRetryAfter() throws Exception {
        ResultsView restoring = new ResultsView() {
            @Override
            public Optional<ResultEvent> result(String requestId) {
                throw new NotReadyException("restoring", null);
            }

            @Override
            public Optional<BatchEvent> batch(String batchId) {
                throw new NotReadyException("restoring", null);
            }

            @Override
            public BatchCounts counts(String batchId) {
                throw new NotReadyException("restoring", null);
            }

            @Override
            public java.util.List<BatchEvent> batches() {
                throw new NotReadyException("restoring", null);
            }

            @Override
            public java.util.stream.Stream<ResultEvent> batchResults(String batchId, String after) {
                throw new NotReadyException("restoring", null);
            }
        };
        ResultsHttpServer s = new ResultsHttpServer(restoring, () -> true, () -> false, e -> { }, MODELS, 0);
        s.start();
        try {
            for (String path : new String[] {"/v1/batches/b1", "/v1/requests/b1:a", "/v1/batches"}) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + s.port() + path))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(path).isEqualTo(503);
                assertThat(r.headers().firstValue("Retry-After")).contains("1");
                assertThat(Json.parse(r.body()).at("/error/type").asText()).isEqualTo("server_error");
            }
        } finally {
            s.stop(Duration.ZERO);
        }
    }

    @Test
    void cancelPublishesTheCancellationAndAnswersTheBatchCancelling() throws Exception {
        t.publish(batch("b1", 2));
        t.publish(success("b1", "a", T0 + 1_000));

        HttpResponse<String> r = post("/v1/batches/b1/cancel");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Json.parse(r.body()).get("status").asText()).isEqualTo("cancelling");
        // The cancellation went through the topic: the view itself now says so.
        JsonNode after = Json.parse(get("/v1/batches/b1").body());
        assertThat(after.get("status").asText()).isEqualTo("cancelling");
        assertThat(after.get("cancelling_at").isNull()).isFalse();
        assertThat(post("/v1/batches/nope/cancel").statusCode()).isEqualTo(404);
        assertThat(get("/v1/batches/b1/cancel").statusCode()).isEqualTo(405);
    }

    @Test
    void listsAliasesAndAutoAfterTheServedModelsAndServesEach() throws Exception {
        ModelCatalog routed = MODELS.withAliases(Map.of("gpt-4o-mini", "millrace-tiny", "big", "other-model"))
                .withAuto(new ModelCatalog.AutoModels("millrace-tiny", "other-model"));
        ResultsHttpServer s = new ResultsHttpServer(t.view, () -> true, () -> true, t::publish, routed, 0);
        s.start();
        try {
            JsonNode list = Json.parse(client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + s.port()
                    + "/v1/models")).build(), HttpResponse.BodyHandlers.ofString()).body());
            assertThat(list.get("data")).extracting(m -> m.get("id").asText())
                    .containsExactly("millrace-tiny", "other-model", "big", "gpt-4o-mini", "auto");
            for (JsonNode m : list.get("data")) {
                assertThat(m.get("object").asText()).isEqualTo("model");
                assertThat(m.get("owned_by").asText()).isEqualTo("millrace");
                assertThat(m.get("created").asLong()).isPositive();
                HttpResponse<String> one = client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + s.port()
                        + "/v1/models/" + m.get("id").asText())).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(one.statusCode()).isEqualTo(200);
                assertThat(Json.parse(one.body())).isEqualTo(m);
            }
            JsonNode alias = list.at("/data/3");
            assertThat(alias.get("root").asText()).as("the served model an alias runs on").isEqualTo("millrace-tiny");
            assertThat(alias.get("max_model_len").asInt()).isEqualTo(1024);
            JsonNode auto = list.at("/data/4");
            assertThat(auto.has("root")).as("auto is chosen per request").isFalse();
            assertThat(auto.get("max_model_len").asInt()).as("the context both of its models allow").isEqualTo(1024);
        } finally {
            s.stop(Duration.ZERO);
        }
    }

    @Test
    void listsTheServedModelsAsOpenAiModelObjects() throws Exception {
        HttpResponse<String> list = get("/v1/models");
        HttpResponse<String> one = get("/v1/models/millrace-tiny");
        HttpResponse<String> missing = get("/v1/models/gpt-4o");

        assertThat(list.statusCode()).isEqualTo(200);
        JsonNode body = Json.parse(list.body());
        assertThat(body.get("object").asText()).isEqualTo("list");
        assertThat(body.get("data")).extracting(m -> m.get("id").asText()).containsExactly("millrace-tiny", "other-model");
        assertThat(body.at("/data/0/object").asText()).isEqualTo("model");
        assertThat(body.at("/data/0/owned_by").asText()).isEqualTo("millrace");
        assertThat(body.at("/data/0/created").asLong()).isPositive();
        assertThat(body.at("/data/0/max_model_len").asInt()).isEqualTo(1024);
        assertThat(body.at("/data/0/root").asText()).isEqualTo("millrace-tiny");
        assertThat(body.at("/data/1").has("max_model_len")).as("an unknown context length is left out").isFalse();
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(Json.parse(one.body())).isEqualTo(body.at("/data/0"));
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(Json.parse(missing.body()).at("/error/code").asText()).isEqualTo("model_not_found");
        assertThat(Json.parse(missing.body()).at("/error/message").asText()).contains("gpt-4o").contains("millrace-tiny");
    }

    @Test
    void livenessAndReadinessAreSeparate() throws Exception {
        AtomicBoolean ready = new AtomicBoolean(false);
        ResultsHttpServer s = new ResultsHttpServer(t.view, () -> true, ready::get, t::publish, MODELS, 0);
        s.start();
        try {
            assertThat(status(s, "/health/live")).isEqualTo(200);
            assertThat(status(s, "/health/ready")).as("restoring: alive, not ready").isEqualTo(503);
            ready.set(true);
            assertThat(status(s, "/health/ready")).isEqualTo(200);
        } finally {
            s.stop(Duration.ZERO);
        }
    }

    @Test
    void anOversizedBodyIs413BeforeItIsRead() throws Exception {
        // A raw socket that declares the length and sends no byte of the body: the answer must come
        // from the header alone. (Sending the body races the server's early close of the connection.)
        try (java.net.Socket socket = new java.net.Socket("localhost", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /v1/batches/b1/cancel HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + (ResultsHttpServer.MAX_BODY_BYTES + 1) + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);

            assertThat(answer).startsWith("HTTP/1.1 413");
            assertThat(Json.parse(answer.substring(answer.indexOf("\r\n\r\n") + 4)).at("/error/code").asText())
                    .isEqualTo("request_too_large");
        }
        assertThat(get("/health").statusCode()).as("the server goes on").isEqualTo(200);
    }

    @Test
    void withKeysEachTenantSeesOnlyItsOwnAndAnUnknownKeyIs401() throws Exception {
        // Keys are "Bearer <tenant>" here: the test is of the filtering, KeyRing is tested on the broker.
        ResultsHttpServer.Authenticator byTenant = header -> header == null
                ? KeyRing.Result.refused(ApiError.missingKey())
                : new KeyRing.Result(new KeyRing.Caller("key-" + header, header.substring(7), 0, 0), null);
        ResultsHttpServer s = new ResultsHttpServer(t.view, () -> true, () -> true, t::publish, MODELS, null, null, null, byTenant,
                new RateLimiter(System::nanoTime), 0);
        ResultEvent alices = success(null, "alice-req", T0);
        t.publish(new ResultEvent(alices.requestId(), null, alices.customId(), null, "tiny", 200, alices.body(), null, true, T0,
                null, "alice"));
        t.publish(new BatchEvent("ab", "/v1/chat/completions", "in.jsonl", 1, T0, Map.of(), null, "alice"));
        s.start();
        try {
            assertThat(status(s, "/v1/requests/alice-req", "alice")).isEqualTo(200);
            assertThat(status(s, "/v1/requests/alice-req", "bob")).isEqualTo(404);
            assertThat(status(s, "/v1/batches/ab", "alice")).isEqualTo(200);
            assertThat(status(s, "/v1/batches/ab", "bob")).isEqualTo(404);
            assertThat(post(s, "/v1/batches/ab/cancel", "bob")).as("nor can bob cancel it").isEqualTo(404);
            assertThat(list(s, "", "alice").at("/data/0/id").asText()).isEqualTo("ab");
            assertThat(list(s, "", "bob").toString()).as("nor list it")
                    .isEqualTo("{\"object\":\"list\",\"data\":[],\"first_id\":null,\"last_id\":null,\"has_more\":false}");
            assertThat(status(s, "/v1/models", null)).isEqualTo(401);
            assertThat(status(s, "/health", null)).isEqualTo(200);
        } finally {
            s.stop(Duration.ZERO);
        }
    }

    @Test
    void pagesTheResultsOfABatchSoFarForItsTenantOnly() throws Exception {
        ResultsHttpServer.Authenticator byTenant = header -> new KeyRing.Result(
                new KeyRing.Caller("key-" + header, header.substring(7), 0, 0), null);
        ResultsHttpServer s = new ResultsHttpServer(t.view, () -> true, () -> true, t::publish, MODELS, null, null, null, byTenant,
                new RateLimiter(System::nanoTime), 0);
        t.publish(new BatchEvent("ab", "/v1/chat/completions", "in.jsonl", 4, T0, Map.of(), null, "alice"));
        for (String id : new String[] {"c", "a", "b"}) {
            t.publish(success("ab", id, T0).withTenant("alice"));
        }
        s.start();
        try {
            JsonNode first = results(s, "?limit=2", "alice");
            assertThat(first.get("object").asText()).isEqualTo("list");
            assertThat(first.get("data")).extracting(d -> d.get("custom_id").asText()).containsExactly("a", "b");
            assertThat(first.get("data").get(0).at("/response/status_code").asInt()).isEqualTo(200);
            assertThat(first.get("has_more").asBoolean()).isTrue();
            assertThat(first.get("last_id").asText()).isEqualTo("ab:b");
            JsonNode second = results(s, "?limit=2&after=ab:b", "alice");
            assertThat(second.get("data")).extracting(d -> d.get("custom_id").asText()).containsExactly("c");
            assertThat(second.get("has_more").asBoolean()).isFalse();
            assertThat(status(s, "/v1/batches/ab/results", "bob")).isEqualTo(404);
            assertThat(status(s, "/v1/batches/ab/results?after=zz", "alice")).isEqualTo(400);
            assertThat(status(s, "/v1/batches/ab/results?limit=0", "alice")).isEqualTo(400);
        } finally {
            s.stop(Duration.ZERO);
        }
    }

    private JsonNode results(ResultsHttpServer s, String query, String tenant) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + s.port()
                + "/v1/batches/ab/results" + query)).header("Authorization", "Bearer " + tenant).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.parse(r.body());
    }

    private JsonNode list(ResultsHttpServer s, String query, String tenant) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + s.port() + "/v1/batches" + query))
                .header("Authorization", "Bearer " + tenant).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.parse(r.body());
    }

    @Test
    void listsBatchesNewestFirstInPages() throws Exception {
        for (int i = 1; i <= 3; i++) {
            t.publish(new BatchEvent("b" + i, "/v1/chat/completions", "in.jsonl", 1, T0 + i, Map.of(), null));
        }
        HttpResponse<String> first = get("/v1/batches?limit=2");
        JsonNode page = Json.parse(first.body());
        assertThat(page.get("object").asText()).isEqualTo("list");
        assertThat(page.at("/data/0/id").asText()).isEqualTo("b3");
        assertThat(page.at("/data/0/object").asText()).isEqualTo("batch");
        assertThat(page.get("first_id").asText()).isEqualTo("b3");
        assertThat(page.get("last_id").asText()).isEqualTo("b2");
        assertThat(page.get("has_more").asBoolean()).isTrue();
        JsonNode rest = Json.parse(get("/v1/batches?limit=2&after=b2").body());
        assertThat(rest.at("/data/0/id").asText()).isEqualTo("b1");
        assertThat(rest.get("has_more").asBoolean()).isFalse();
        HttpResponse<String> bad = get("/v1/batches?limit=101");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(Json.parse(bad.body()).at("/error/param").asText()).isEqualTo("limit");
    }

    private int status(ResultsHttpServer s, String path, String tenant) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + s.port() + path));
        if (tenant != null) {
            b.header("Authorization", "Bearer " + tenant);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private int post(ResultsHttpServer s, String path, String tenant) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + s.port() + path))
                .header("Authorization", "Bearer " + tenant).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private int status(ResultsHttpServer s, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + s.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private HttpResponse<String> post(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://localhost:" + server.port() + path);
    }
}
