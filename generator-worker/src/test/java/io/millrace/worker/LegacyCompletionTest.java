package io.millrace.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.worker.model.ChatMessage;
import io.millrace.worker.model.DecoderModel;
import io.millrace.worker.model.SequentialEngine;
import io.millrace.worker.model.build.TinyModel;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Legacy {@code /v1/completions} on the real built-in model: the body's shape and lm-evaluation-harness's scoring request. */
class LegacyCompletionTest {
    @TempDir
    static Path dir;
    static DecoderModel model;
    static SequentialEngine engine;
    static CompletionHandler handler;

    @BeforeAll
    static void load() throws Exception {
        Path modelDir = dir.resolve(TinyModel.NAME);
        TinyModel.write(modelDir);
        model = DecoderModel.load(modelDir);
        engine = new SequentialEngine(model);
        handler = new CompletionHandler(Map.of(model.name(), new ServedModel(model, engine,
                new WorkerMetrics(new SimpleMeterRegistry()).model(model.name(), engine))), Clock.systemUTC(), Runnable::run);
    }

    @AfterAll
    static void close() {
        engine.close();
        model.close();
    }

    private static ResultEvent submit(String url, String body) throws Exception {
        return handler.submit(new RequestEvent("r1", null, null, null, "POST", url, Json.parse(body), "millrace-tiny",
                System.currentTimeMillis())).join();
    }

    @Test
    void aStringPromptIsATextCompletionOfSixteenTokensByDefault() throws Exception {
        ResultEvent r = submit("/v1/completions", "{\"model\":\"millrace-tiny\",\"prompt\":\"Once upon a time\",\"temperature\":0}");
        JsonNode body = r.body();
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(body.get("object").asText()).isEqualTo("text_completion");
        assertThat(body.get("id").asText()).startsWith("cmpl-");
        assertThat(body.get("choices")).hasSize(1);
        JsonNode choice = body.at("/choices/0");
        assertThat(choice.get("index").asInt()).isZero();
        assertThat(choice.get("text").isTextual()).isTrue();
        assertThat(choice.get("logprobs").isNull()).isTrue();
        assertThat(choice.has("message")).isFalse();
        assertThat(body.at("/usage/prompt_tokens").asInt()).isEqualTo(model.encodePrompt("Once upon a time").length);
        assertThat(body.at("/usage/completion_tokens").asInt()).isBetween(1, CompletionRequest.DEFAULT_MAX_TOKENS);
    }

    @Test
    void aStreamedRequestPublishesEachPromptsTextAsItsChoiceEchoFirst() throws Exception {
        org.apache.kafka.clients.producer.MockProducer<String, byte[]> producer = new org.apache.kafka.clients.producer.MockProducer<>(
                true, null, new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer());
        CompletionHandler streaming = new CompletionHandler(Map.of(model.name(), new ServedModel(model, engine,
                new WorkerMetrics(new SimpleMeterRegistry()).model(model.name(), engine))), Clock.systemUTC(), Runnable::run,
                new DeltaPublisher(producer));
        ResultEvent r = streaming.submit(new RequestEvent("r-stream", null, null, null, "POST", "/v1/completions",
                Json.parse("{\"model\":\"millrace-tiny\",\"prompt\":[\"Hello\",\"Once upon\"],\"echo\":true,"
                        + "\"max_tokens\":6,\"temperature\":0,\"stream\":true}"), "millrace-tiny", System.currentTimeMillis())).join();

        List<io.millrace.protocol.events.DeltaEvent> deltas = producer.history().stream()
                .map(rec -> io.millrace.protocol.Topics.DELTA_SERDE.deserializer().deserialize(rec.topic(), rec.value())).toList();
        assertThat(producer.history()).allSatisfy(rec -> assertThat(rec.key()).isEqualTo("r-stream"));
        String[] prompts = {"Hello", "Once upon"};
        for (int c = 0; c < 2; c++) {
            int choice = c;
            List<io.millrace.protocol.events.DeltaEvent> mine = deltas.stream().filter(d -> d.choice() == choice).toList();
            assertThat(mine).extracting(io.millrace.protocol.events.DeltaEvent::seq)
                    .containsExactlyElementsOf(java.util.stream.IntStream.range(0, mine.size()).boxed().toList());
            assertThat(mine.get(0).text()).as("the echoed prompt comes first").isEqualTo(prompts[c]);
            // A preview: the text that can no longer change; the result carries the rest.
            String streamed = mine.stream().map(io.millrace.protocol.events.DeltaEvent::text).collect(Collectors.joining());
            assertThat(r.body().at("/choices/" + c + "/text").asText()).startsWith(streamed);
            assertThat(streamed.length()).as("generated text was streamed after the echo").isGreaterThan(prompts[c].length());
        }
    }

    @Test
    void echoStartsTheTextWithThePrompt() throws Exception {
        JsonNode choice = submit("/v1/completions", "{\"model\":\"millrace-tiny\",\"prompt\":\"Hello\",\"echo\":true,"
                + "\"max_tokens\":2,\"temperature\":0}").body().at("/choices/0");
        assertThat(choice.get("text").asText()).startsWith("Hello");
    }

    /**
     * lm-evaluation-harness's loglikelihood request, against the chat path's prompt_logprobs for the
     * same token ids: the chat request's rendered prompt is sent as the token-id prompt, so both
     * score exactly the same sequence.
     */
    @Test
    void echoedLogprobsOfTokenPromptsEqualTheChatPathsPromptLogprobs() throws Exception {
        int[] chatIds = model.encodeChat(List.of(new ChatMessage("user", "Hello there")));
        int[] other = model.encodePrompt("The quick brown fox");
        String ids = "[" + ids(chatIds) + "],[" + ids(other) + "]";
        ResultEvent r = submit("/v1/completions", "{\"model\":\"millrace-tiny\",\"prompt\":[" + ids + "],\"temperature\":0,"
                + "\"max_tokens\":1,\"logprobs\":1,\"seed\":1234,\"echo\":true}");
        JsonNode choices = r.body().get("choices");
        assertThat(choices).hasSize(2);
        assertThat(choices.get(1).get("index").asInt()).isEqualTo(1);
        assertThat(r.body().at("/usage/prompt_tokens").asInt()).isEqualTo(chatIds.length + other.length);

        JsonNode lp = choices.get(0).get("logprobs");
        assertThat(lp.get("tokens")).hasSize(chatIds.length + 1);
        assertThat(lp.get("token_logprobs")).hasSize(chatIds.length + 1);
        assertThat(lp.get("text_offset")).hasSize(chatIds.length + 1);
        assertThat(lp.at("/token_logprobs/0").isNull()).isTrue();
        assertThat(lp.at("/top_logprobs/0").isNull()).isTrue();
        assertThat(lp.at("/text_offset/0").asInt()).isZero();
        // Greedy: the generated token is its top_logprobs entry's maximum, as lm-eval checks.
        JsonNode last = lp.at("/top_logprobs/" + chatIds.length);
        String generated = lp.at("/tokens/" + chatIds.length).asText();
        assertThat(last.get(generated).asDouble()).isEqualTo(maxOf(last));

        JsonNode chat = submit("/v1/chat/completions", "{\"model\":\"millrace-tiny\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Hello there\"}],\"max_tokens\":1,\"temperature\":0,\"prompt_logprobs\":0}").body();
        JsonNode promptLogprobs = chat.get("prompt_logprobs");
        assertThat(promptLogprobs).hasSize(chatIds.length);
        for (int i = 1; i < chatIds.length; i++) {
            double expected = promptLogprobs.get(i).get(Integer.toString(chatIds[i])).get("logprob").asDouble();
            assertThat(lp.at("/token_logprobs/" + i).asDouble()).as("token %d", i).isEqualTo(expected);
        }
    }

    @Test
    void aPromptOverTheContextIsContextLengthExceeded() throws Exception {
        int[] ids = new int[model.contextLength()];
        ResultEvent r = submit("/v1/completions", "{\"model\":\"millrace-tiny\",\"prompt\":[[1],[" + ids(ids) + "]]}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.error().code()).isEqualTo(ErrorCodes.CONTEXT_LENGTH_EXCEEDED);
        assertThat(r.error().param()).isEqualTo("prompt[1]");
    }

    private static double maxOf(JsonNode o) {
        double max = Double.NEGATIVE_INFINITY;
        for (JsonNode v : o) {
            max = Math.max(max, v.asDouble());
        }
        return max;
    }

    private static String ids(int[] ids) {
        return Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }
}
