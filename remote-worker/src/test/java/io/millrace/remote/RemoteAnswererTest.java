package io.millrace.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.DeltaEvent;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.protocol.events.RouteInfo;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Against a real HTTP server on loopback that injects a provider's faults on a schedule ({@link ScriptedServer}). */
class RemoteAnswererTest {
    private static final String KEY = "sk-test-0123456789abcdef";
    private final ScriptedServer server;
    private final List<DeltaEvent> deltas = new CopyOnWriteArrayList<>();
    private RemoteAnswerer answerer;

    RemoteAnswererTest() throws Exception {
        server = new ScriptedServer();
    }

    @AfterEach
    void close() {
        if (answerer != null) {
            answerer.close();
        }
        server.close();
    }

    private RemoteAnswerer answerer(int concurrency, Duration timeout, int attempts) {
        RemoteModel model = new RemoteModel("far", server.baseUrl(), "FAR_KEY", "gpt-x", 2.0, 8.0, concurrency, timeout, attempts, 0);
        answerer = new RemoteAnswerer(model, model.apiKey(Map.of("FAR_KEY", KEY)),
                new RetryPolicy(attempts, Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(5)), Clock.systemUTC(),
                () -> 0.5);
        return answerer;
    }

    private static RequestEvent request(String id, String batch, String url, String body) throws Exception {
        return new RequestEvent(id, batch, id, null, "POST", url, Json.parse(body), "far", System.currentTimeMillis(), "t1",
                new RouteInfo("far", "far", RouteInfo.DIRECT), null);
    }

    private static RequestEvent chat(String id) throws Exception {
        return request(id, "b1", "/v1/chat/completions", "{\"model\":\"far\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    }

    private ResultEvent answer(RequestEvent r) throws Exception {
        return answerer.answer(r, deltas::add).get(20, TimeUnit.SECONDS);
    }

    @Test
    void answersUnderItsOwnNameWithTheServersUsageAndTheConfiguredCost() throws Exception {
        answerer(2, Duration.ofSeconds(5), 3);
        ResultEvent r = answer(chat("b1:a"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.generated()).isTrue();
        assertThat(r.model()).isEqualTo("far");
        assertThat(r.body().path("model").asText()).isEqualTo("far");
        assertThat(r.body().path("choices").get(0).path("message").path("content").asText()).isEqualTo("Hello");
        assertThat(r.body().path("usage").path("total_tokens").asInt()).isEqualTo(5);
        assertThat(r.costUsd()).isCloseTo((3 * 2.0 + 2 * 8.0) / 1e6, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(r.route().reason()).isEqualTo(RouteInfo.DIRECT);
        assertThat(r.tenant()).isEqualTo("t1");
        ScriptedServer.Received call = server.received().get(0);
        assertThat(call.path()).isEqualTo("/v1/chat/completions");
        assertThat(call.header("Authorization")).isEqualTo("Bearer " + KEY);
        assertThat(call.header("Idempotency-Key")).isEqualTo("b1:a");
        assertThat(Json.parse(call.body()).path("model").asText()).isEqualTo("gpt-x");
        JsonNode json = Json.parse(Json.write(r));
        assertThat(json.path("cost_usd").asDouble()).isEqualTo(r.costUsd());
        assertThat(Json.parse(Json.write(ResultEvent.failure(chat("b1:e"), 400, io.millrace.protocol.events.ErrorInfo.of("x", "y"), 0)))
                .has("cost_usd")).as("results without a cost read as before").isFalse();
    }

    @Test
    void retriesLaterAnswersHonouringRetryAfterWithOneIdempotencyKey() throws Exception {
        answerer(1, Duration.ofSeconds(5), 5);
        server.then(ScriptedServer.Step.status(429, Map.of("Retry-After", "1")), ScriptedServer.Step.status(503, Map.of()),
                ScriptedServer.Step.dropped());
        long start = System.nanoTime();
        ResultEvent r = answer(chat("b1:r"));
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(server.received()).hasSize(4);
        assertThat(server.received()).extracting(c -> c.header("Idempotency-Key")).containsOnly("b1:r");
        assertThat(tookMs).as("the second call waited for Retry-After: 1").isGreaterThanOrEqualTo(1_000);
    }

    @Test
    void aSlowServerTimesOutAndIsTriedAgain() throws Exception {
        answerer(1, Duration.ofMillis(300), 3);
        server.then(ScriptedServer.Step.slow(1_500));
        ResultEvent r = answer(chat("b1:slow"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(server.received()).hasSize(2);
    }

    @Test
    void spentAttemptsAnswerARetriableGenerationFailure() throws Exception {
        answerer(1, Duration.ofSeconds(5), 2);
        server.down(true);
        ResultEvent r = answer(chat("b1:down"));
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.error().code()).isEqualTo(ErrorCodes.GENERATION_FAILED);
        assertThat(r.error().message()).contains("2 attempt(s)").contains("HTTP 503");
        assertThat(server.received()).hasSize(2);
    }

    @Test
    void refusalsAreAnsweredAtOnceAndARefusedKeyIsTheDeploymentsFault() throws Exception {
        answerer(1, Duration.ofSeconds(5), 4);
        server.then(new ScriptedServer.Step(400, Map.of(), "{\"error\":{\"message\":\"bad temperature\",\"param\":\"temperature\"}}", 0, false),
                new ScriptedServer.Step(401, Map.of(), "{\"error\":{\"message\":\"Incorrect API key provided: " + KEY + "\"}}", 0, false));
        ResultEvent bad = answer(chat("b1:bad"));
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.error().code()).isEqualTo(ErrorCodes.REMOTE_REJECTED);
        assertThat(bad.error().param()).isEqualTo("temperature");
        assertThat(bad.error().message()).contains("bad temperature");
        ResultEvent key = answer(chat("b1:key"));
        assertThat(key.statusCode()).isEqualTo(502);
        assertThat(key.error().message()).contains("FAR_KEY").doesNotContain(KEY);
        assertThat(server.received()).hasSize(2);
    }

    @Test
    void aLoneStreamedRequestStreamsItsTextAsDeltasAndTheResultHoldsTheWholeAnswer() throws Exception {
        answerer(1, Duration.ofSeconds(5), 2);
        RequestEvent r = request("lone-1", null, "/v1/chat/completions",
                "{\"model\":\"far\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        ResultEvent result = answer(r);
        assertThat(deltas).containsExactly(new DeltaEvent("lone-1", 0, 0, "Hel"), new DeltaEvent("lone-1", 0, 1, "lo"));
        assertThat(result.body().path("object").asText()).isEqualTo("chat.completion");
        assertThat(result.body().path("choices").get(0).path("message").path("content").asText()).isEqualTo("Hello");
        assertThat(result.body().path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
        assertThat(result.body().path("usage").path("completion_tokens").asInt()).isEqualTo(2);
        assertThat(result.timings().firstTokenMs()).isNotNull();
        assertThat(Json.parse(server.received().get(0).body()).path("stream_options").path("include_usage").asBoolean()).isTrue();
    }

    @Test
    void legacyCompletionsGoToTheCompletionsEndpointStreamedOrNot() throws Exception {
        answerer(1, Duration.ofSeconds(5), 2);
        ResultEvent plain = answer(request("b1:c", "b1", "/v1/completions", "{\"model\":\"far\",\"prompt\":\"hi\",\"stream\":true}"));
        assertThat(plain.body().path("choices").get(0).path("text").asText()).isEqualTo("Hello");
        assertThat(Json.parse(server.received().get(0).body()).has("stream")).as("batch lines never stream").isFalse();
        ResultEvent streamed = answer(request("lone-c", null, "/v1/completions", "{\"model\":\"far\",\"prompt\":\"hi\",\"stream\":true}"));
        assertThat(server.received().get(1).path()).isEqualTo("/v1/completions");
        assertThat(streamed.body().path("object").asText()).isEqualTo("text_completion");
        assertThat(streamed.body().path("choices").get(0).path("text").asText()).isEqualTo("Hello");
        assertThat(deltas).extracting(DeltaEvent::text).containsExactly("Hel", "lo");
    }

    @Test
    void atMostTheConcurrencyLimitCallsAtOnceInteractiveFirst() throws Exception {
        answerer(2, Duration.ofSeconds(5), 1);
        server.then(ScriptedServer.Step.slow(400), ScriptedServer.Step.slow(400));
        List<CompletableFuture<ResultEvent>> batch = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            batch.add(answerer.answer(chat("b1:" + i), deltas::add));
        }
        CompletableFuture<ResultEvent> lone = answerer.answer(request("lone-i", null, "/v1/chat/completions",
                "{\"model\":\"far\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), deltas::add);
        assertThat(answerer.running()).isEqualTo(2);
        assertThat(answerer.waiting()).isEqualTo(3);
        lone.get(10, TimeUnit.SECONDS);
        CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        List<String> order = server.received().stream().map(c -> c.header("Idempotency-Key")).toList();
        // b1:2 and lone-i start together in the two freed slots; b1:3 only after a third completion.
        assertThat(order.indexOf("lone-i")).as("the interactive request went ahead of waiting batch lines: %s", order)
                .isLessThan(order.indexOf("b1:3"));
        assertThat(answerer.running()).isZero();
    }

    @Test
    void aCancelledRequestFreesItsSlot() throws Exception {
        answerer(1, Duration.ofSeconds(5), 1);
        server.then(ScriptedServer.Step.slow(2_000));
        CompletableFuture<ResultEvent> slow = answerer.answer(chat("b1:slow"), deltas::add);
        CompletableFuture<ResultEvent> queued = answerer.answer(chat("b1:queued"), deltas::add);
        CompletableFuture<ResultEvent> next = answerer.answer(chat("b1:next"), deltas::add);
        while (server.received().isEmpty()) {
            Thread.sleep(5); // the slow call has taken the slow step
        }
        queued.cancel(true);
        slow.cancel(true);
        assertThat(next.get(1_500, TimeUnit.MILLISECONDS).statusCode()).isEqualTo(200);
        assertThat(server.received()).extracting(c -> c.header("Idempotency-Key")).doesNotContain("b1:queued");
    }

    @Test
    void anUnsetKeyVariableIsRefusedWithWhatToExport() {
        RemoteModel model = new RemoteModel("far", server.baseUrl(), "FAR_KEY", "gpt-x", 0, 0, 1, Duration.ofSeconds(1), 1, 0);
        assertThatThrownBy(() -> model.apiKey(Map.of())).hasMessageContaining("FAR_KEY is not set")
                .hasMessageContaining("export FAR_KEY=");
        assertThatThrownBy(() -> model.apiKey(Map.of("FAR_KEY", " "))).hasMessageContaining("FAR_KEY is empty");
        assertThat(model.apiKey(Map.of("FAR_KEY", KEY)).toString()).isEqualTo("***");
        assertThatThrownBy(() -> new RemoteModel("far", java.net.URI.create("ftp://x/v1"), null, "m", 0, 0, 1, Duration.ofSeconds(1), 1, 0))
                .hasMessageContaining("is not an http(s) URL");
    }
}
