package io.millrace.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.worker.model.Completion;
import io.millrace.worker.model.DecoderModel;
import io.millrace.worker.model.SequentialEngine;
import io.millrace.worker.model.TokenLogprob;
import io.millrace.worker.model.build.TinyModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The handler on the real built-in model through ONNX Runtime, and on a fake engine for the shapes and failures. */
class CompletionHandlerTest {
    @TempDir
    static Path dir;
    static DecoderModel model;
    static SequentialEngine sequential;
    static CompletionHandler handler;

    final FakeEngine fake = new FakeEngine();
    final CompletionHandler onFake = new CompletionHandler(Map.of(model.name(),
            new ServedModel(model, fake, new WorkerMetrics(new SimpleMeterRegistry()).model(model.name(), fake))),
                    Clock.systemUTC(), Runnable::run);

    @BeforeAll
    static void load() throws Exception {
        Path modelDir = dir.resolve(TinyModel.NAME);
        TinyModel.write(modelDir);
        model = DecoderModel.load(modelDir);
        sequential = new SequentialEngine(model);
        handler = new CompletionHandler(Map.of(model.name(), new ServedModel(model, sequential,
                new WorkerMetrics(new SimpleMeterRegistry()).model(model.name(), sequential))), Clock.systemUTC(), Runnable::run);
    }

    @AfterAll
    static void close() {
        sequential.close();
        model.close();
    }

    private static RequestEvent request(String body) throws Exception {
        return new RequestEvent("b:1", "b", "1", 1L, "POST", "/v1/chat/completions", Json.parse(body), "millrace-tiny",
                System.currentTimeMillis());
    }

    private static String chat(String extra) {
        return "{\"model\":\"millrace-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"}]," + extra + "}";
    }

    @Test
    void answersWithAChatCompletionAndExactUsage() throws Exception {
        ResultEvent r = handler.submit(request(chat("\"max_tokens\":7,\"temperature\":0"))).join();
        assertThat(r.succeeded()).isTrue();
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.generated()).isTrue();
        JsonNode body = r.body();
        assertThat(body.get("object").asText()).isEqualTo("chat.completion");
        assertThat(body.get("id").asText()).startsWith("chatcmpl-");
        assertThat(body.at("/choices/0/message/role").asText()).isEqualTo("assistant");
        assertThat(body.at("/choices/0/logprobs").isNull()).isTrue();
        assertThat(body.has("prompt_logprobs")).isFalse();
        int completion = body.at("/usage/completion_tokens").asInt();
        assertThat(completion).isBetween(1, 7);
        if (completion == 7) {
            assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        }
        int prompt = body.at("/usage/prompt_tokens").asInt();
        assertThat(prompt).isEqualTo(model.encodeChat(ChatRequest.from(request(
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"}]}").body()).messages()).length);
        assertThat(body.at("/usage/total_tokens").asInt()).isEqualTo(prompt + completion);
        assertThat(r.timings().queueMs()).isNotNull();
        assertThat(r.timings().firstTokenMs()).isNotNull();
        assertThat(r.timings().generationMs()).isNotNull();
        assertThat(r.timings().endToEndMs()).isGreaterThanOrEqualTo(r.timings().generationMs());
    }

    /** Issue #8: a request without submitted_at made end_to_end_ms about 1.8e12 (measured from 1970). */
    @Test
    void measuresFromArrivalWhenSubmittedAtIsMissingOrInTheFuture() throws Exception {
        for (long submittedAt : new long[] {0L, -5L, System.currentTimeMillis() + 86_400_000L}) {
            RequestEvent r = request(chat("\"max_tokens\":2,\"temperature\":0")).withSubmittedAt(submittedAt);

            ResultEvent result = handler.submit(r).join();

            assertThat(result.timings().endToEndMs()).as("end_to_end_ms for submitted_at %d", submittedAt).isBetween(0L, 60_000L);
            assertThat(result.timings().queueMs()).isBetween(0L, 60_000L);
        }
    }

    @Test
    void greedyIsReproducibleAndNGivesNChoices() throws Exception {
        String body = chat("\"max_tokens\":6,\"temperature\":0,\"n\":2");
        ResultEvent a = handler.submit(request(body)).join();
        ResultEvent b = handler.submit(request(body)).join();
        assertThat(a.body().get("choices")).hasSize(2);
        assertThat(a.body().get("choices")).isEqualTo(b.body().get("choices"));
    }

    @Test
    void aPromptLongerThanTheContextIsAClearError() throws Exception {
        String longText = "word ".repeat(model.contextLength() * 2);
        ResultEvent r = handler.submit(request("{\"model\":\"millrace-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\""
                + longText + "\"}]}")).join();
        assertThat(r.succeeded()).isFalse();
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.error().code()).isEqualTo(ErrorCodes.CONTEXT_LENGTH_EXCEEDED);
        assertThat(r.error().message()).contains("context of " + model.contextLength());
        assertThat(r.error().line()).isEqualTo(1L);
    }

    @Test
    void aModelThisWorkerDoesNotServeIsAnError() throws Exception {
        RequestEvent other = request("{\"model\":\"other\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}").withModel("other");
        ResultEvent r = handler.submit(other).join();
        assertThat(r.error().code()).isEqualTo(ErrorCodes.MODEL_NOT_FOUND);
        assertThat(r.generated()).isFalse();
    }

    @Test
    void everyChoiceGoesToTheEngineAtOnceAndOnlyTheFirstScoresThePrompt() throws Exception {
        CompletableFuture<ResultEvent> r = onFake.submit(request(chat(
                "\"n\":3,\"top_k\":5,\"presence_penalty\":1,\"logprobs\":true,\"top_logprobs\":1,\"prompt_logprobs\":4")));
        assertThat(fake.submitted).hasSize(3);
        assertThat(fake.submitted).extracting(s -> s.params().echo()).containsExactly(true, false, false);
        assertThat(fake.submitted).extracting(s -> s.params().topLogprobs()).containsExactly(4, 1, 1);
        assertThat(fake.submitted).allSatisfy(s -> {
            assertThat(s.params().topK()).isEqualTo(5);
            assertThat(s.params().presencePenalty()).isEqualTo(1.0);
        });
        assertThat(r).isNotDone();
        fake.complete(2, 3);
        fake.complete(0, 1);
        assertThat(r).isNotDone();
        fake.complete(1, 2);
        assertThat(r.join().body().at("/usage/completion_tokens").asInt()).isEqualTo(6);
    }

    @Test
    void logprobsAndPromptLogprobsAreWrittenWhenAsked() throws Exception {
        fake.autoComplete = s -> {
            TokenLogprob alt = new TokenLogprob(11, "é", "é".getBytes(StandardCharsets.UTF_8), -0.5, List.of());
            TokenLogprob hi = new TokenLogprob(10, "hi", "hi".getBytes(StandardCharsets.UTF_8), -1.0, List.of(alt,
                    new TokenLogprob(10, "hi", "hi".getBytes(StandardCharsets.UTF_8), -1.0, List.of())));
            List<TokenLogprob> prompt = new ArrayList<>();
            for (int i = 1; i < s.prompt().length; i++) {
                prompt.add(new TokenLogprob(s.prompt()[i], "p", new byte[] {112}, -2.0, List.of(alt)));
            }
            return new Completion("hi", s.prompt().length, 1, "length", 1_000, 2_000, List.of(hi),
                    s.params().echo() ? prompt : null, 0);
        };
        ResultEvent r = onFake.submit(request(chat("\"logprobs\":true,\"top_logprobs\":1,\"prompt_logprobs\":1"))).join();
        JsonNode body = r.body();
        JsonNode content = body.at("/choices/0/logprobs/content");
        assertThat(content).hasSize(1);
        assertThat(content.at("/0/token").asText()).isEqualTo("hi");
        assertThat(content.at("/0/logprob").asDouble()).isEqualTo(-1.0);
        assertThat(content.at("/0/bytes").toString()).isEqualTo("[104,105]");
        assertThat(content.at("/0/top_logprobs")).hasSize(1);
        assertThat(content.at("/0/top_logprobs/0/bytes").toString()).isEqualTo("[195,169]");

        JsonNode prompt = body.get("prompt_logprobs");
        int promptTokens = body.at("/usage/prompt_tokens").asInt();
        assertThat(prompt).hasSize(promptTokens);
        assertThat(prompt.get(0).isNull()).isTrue();
        assertThat(prompt.get(1).get("11").get("rank").asInt()).isEqualTo(1);
        assertThat(prompt.get(1).fields().next().getValue().get("decoded_token").asText()).isEqualTo("p");
    }

    @Test
    void aRequestTheEngineFailsGetsAnErrorResult() throws Exception {
        CompletableFuture<ResultEvent> r = onFake.submit(request(chat("\"max_tokens\":3")));
        fake.submitted.get(0).future().completeExceptionally(new IllegalStateException("onnxruntime failed: bad shape"));
        ResultEvent result = r.join();
        assertThat(result.statusCode()).isEqualTo(500);
        assertThat(result.error().code()).isEqualTo(ErrorCodes.GENERATION_FAILED);
        assertThat(result.error().message()).contains("bad shape");
    }

    @Test
    void anEngineThatIsGoneFailsTheFutureInsteadOfAnsweringWithAnError() throws Exception {
        CompletableFuture<ResultEvent> r = onFake.submit(request(chat("\"max_tokens\":3")));
        fake.submitted.get(0).future().completeExceptionally(new CancellationException("the engine was closed"));
        assertThatThrownBy(r::join).isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(WorkerErrors.EngineFailedException.class);

        FakeEngine closed = new FakeEngine();
        closed.refuse = new RejectedExecutionException("engine closed");
        CompletionHandler h = new CompletionHandler(Map.of(model.name(), new ServedModel(model, closed,
                new WorkerMetrics(new SimpleMeterRegistry()).model(model.name(), closed))), Clock.systemUTC(), Runnable::run);
        assertThat(h.submit(request(chat("\"max_tokens\":3")))).isCompletedExceptionally();
    }

    @Test
    void parametersTheRouterWouldRejectAreAnErrorResultNotAFailure() throws Exception {
        ResultEvent r = onFake.submit(request(chat("\"n\":0"))).join();
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.error().code()).isEqualTo(ErrorCodes.INVALID_PARAMETER);
        assertThat(onFake.submit(request(chat("\"top_logprobs\":99,\"logprobs\":true"))).join().error().code())
                .isEqualTo(ErrorCodes.INVALID_PARAMETER);
        assertThat(fake.submitted).isEmpty();
    }

    @Test
    void cancellingTheAnswerStopsTheGeneration() throws Exception {
        CompletableFuture<ResultEvent> r = onFake.submit(request(chat("\"n\":2")));
        r.cancel(true);
        assertThat(fake.submitted).allSatisfy(s -> assertThat(s.future()).isCancelled());
    }
}
