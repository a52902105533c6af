package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import io.millrace.protocol.Json;
import io.millrace.worker.model.ChatMessage;
import io.millrace.worker.model.DecoderModel;
import io.millrace.worker.model.build.TinyModel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The legacy completions and tokenizer endpoints against a whole {@code serve} (every role, no
 * keys), as lm-evaluation-harness's {@code local-completions} model calls them: OpenAI's Java SDK
 * for a plain string prompt, sync and streamed, and plain HTTP (as lm-eval posts with {@code requests}) for its
 * loglikelihood request and the tokenizer endpoints at the server's root.
 */
class CompletionsApiIT {
    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void servesLegacyCompletionsAndTheTokenizerAsLmEvalUsesThem() throws Exception {
        try (RunningServe serve = RunningServe.start(dir, bootstrap -> new Settings(bootstrap, dir, 0, 0, List.of(),
                "completions-api-it", -1, Map.of()))) {
            int port = serve.deployment().api().orElseThrow().httpPort();
            String root = "http://localhost:" + port;

            // 1. A string prompt through OpenAI's SDK.
            OpenAIClient openAi = OpenAIOkHttpClient.builder().baseUrl(root + "/v1").apiKey("not-checked").maxRetries(0).build();
            Completion c = openAi.completions().create(CompletionCreateParams.builder().model("millrace-tiny")
                    .prompt("Once upon a time").maxTokens(4).temperature(0.0).build());
            assertThat(c.id()).startsWith("cmpl-");
            assertThat(c.choices()).hasSize(1);
            assertThat(c.choices().get(0).index()).isZero();
            assertThat(c.usage().orElseThrow().completionTokens()).isBetween(1L, 4L);

            // 1b. The same request streamed through the SDK: text_completion chunks whose text adds up
            // to the synchronous answer (temperature 0), one finish reason, usage last when asked for.
            CompletionCreateParams longer = CompletionCreateParams.builder().model("millrace-tiny")
                    .prompt("Tell me about the mill race, slowly.").maxTokens(24).temperature(0.0).build();
            List<Completion> chunks = new ArrayList<>();
            try (StreamResponse<Completion> stream = openAi.completions().createStreaming(longer.toBuilder()
                    .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
                stream.stream().forEach(chunks::add);
            }
            // After the stream: asked first, the response cache would answer the stream whole.
            Completion sync = openAi.completions().create(longer);
            assertThat(chunks).allSatisfy(k -> assertThat(k.id()).isEqualTo(chunks.get(0).id()).startsWith("cmpl-"));
            assertThat(chunks.stream().flatMap(k -> k.choices().stream()).map(CompletionChoice::text).collect(Collectors.joining()))
                    .isEqualTo(sync.choices().get(0).text());
            assertThat(chunks.stream().filter(k -> k.choices().stream().anyMatch(ch -> !ch.text().isEmpty())).count())
                    .as("the text came in several chunks, as it was generated").isGreaterThan(2);
            assertThat(chunks.stream().flatMap(k -> k.choices().stream()).map(ch -> ch._finishReason().asKnown())
                    .flatMap(java.util.Optional::stream).map(f -> f.asString())).containsExactly("length");
            Completion last = chunks.get(chunks.size() - 1);
            assertThat(last.choices()).isEmpty();
            assertThat(last.usage().orElseThrow().totalTokens()).isEqualTo(sync.usage().orElseThrow().totalTokens());

            // 1c. Two prompts with echo, streamed (raw server-sent events): choice i is prompt i's,
            // its prompt first, and each choice's text equals the synchronous one.
            String twoPrompts = "{\"model\":\"millrace-tiny\",\"prompt\":[\"Hello\",\"Once upon a time\"],\"echo\":true,"
                    + "\"max_tokens\":6,\"temperature\":0%s}";
            JsonNode twoSync = post(root + "/v1/completions", twoPrompts.formatted(""));
            HttpResponse<String> sse = http.send(HttpRequest.newBuilder(URI.create(root + "/v1/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            twoPrompts.formatted(",\"stream\":true"))).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(sse.statusCode()).as(sse.body()).isEqualTo(200);
            assertThat(sse.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
            List<String> events = sse.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
            assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
            StringBuilder[] texts = {new StringBuilder(), new StringBuilder()};
            for (String e : events.subList(0, events.size() - 1)) {
                JsonNode chunk = Json.parse(e);
                assertThat(chunk.get("object").asText()).isEqualTo("text_completion");
                JsonNode choice = chunk.at("/choices/0");
                texts[choice.get("index").asInt()].append(choice.get("text").asText());
            }
            for (int i = 0; i < 2; i++) {
                assertThat(texts[i].toString()).isEqualTo(twoSync.at("/choices/" + i + "/text").asText())
                        .startsWith(i == 0 ? "Hello" : "Once upon a time");
            }
            HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create(root + "/v1/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            "{\"model\":\"millrace-tiny\",\"prompt\":\"x\",\"stream\":true,\"logprobs\":1}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(400);
            assertThat(Json.parse(refused.body()).at("/error/param").asText()).isEqualTo("logprobs");

            // 2. lm-eval's loglikelihood request. The first prompt is the token ids the chat template
            // renders for a chat request, so the chat path's prompt_logprobs score exactly the same
            // sequence: echoed token_logprobs[1:len] must equal them, token by token.
            int[] chatIds;
            try (DecoderModel model = DecoderModel.load(dir.resolve("models").resolve(TinyModel.NAME))) {
                chatIds = model.encodeChat(List.of(new ChatMessage("user", "Hello there")));
            }
            JsonNode scored = post(root + "/v1/completions", "{\"model\":\"millrace-tiny\",\"prompt\":[[" + ids(chatIds)
                    + "],[" + ids(new int[] {40, 41, 42}) + "]],\"temperature\":0,\"max_tokens\":1,\"logprobs\":1,"
                    + "\"seed\":1234,\"echo\":true}");
            assertThat(scored.get("object").asText()).isEqualTo("text_completion");
            assertThat(scored.get("choices")).hasSize(2);
            assertThat(scored.at("/choices/1/index").asInt()).isEqualTo(1);
            assertThat(scored.at("/usage/prompt_tokens").asInt()).isEqualTo(chatIds.length + 3);
            JsonNode lp = scored.at("/choices/0/logprobs");
            assertThat(lp.get("tokens")).hasSize(chatIds.length + 1);
            assertThat(lp.at("/token_logprobs/0").isNull()).isTrue();

            JsonNode chat = post(root + "/v1/chat/completions", "{\"model\":\"millrace-tiny\",\"messages\":[{\"role\":\"user\","
                    + "\"content\":\"Hello there\"}],\"max_tokens\":1,\"temperature\":0,\"prompt_logprobs\":0}");
            JsonNode promptLogprobs = chat.get("prompt_logprobs");
            assertThat(promptLogprobs).hasSize(chatIds.length);
            for (int i = 1; i < chatIds.length; i++) {
                assertThat(lp.at("/token_logprobs/" + i).asDouble()).as("prompt token %d", i)
                        .isEqualTo(promptLogprobs.get(i).get(Integer.toString(chatIds[i])).get("logprob").asDouble());
            }

            // 3. The tokenizer at the root: tokenize, detokenize, tokenizer_info.
            JsonNode tokens = post(root + "/tokenize", "{\"prompt\":\"The quick brown fox\",\"add_special_tokens\":false}");
            assertThat(tokens.get("count").asInt()).isPositive();
            JsonNode text = post(root + "/detokenize", "{\"tokens\":" + tokens.get("tokens") + "}");
            assertThat(text.get("prompt").asText()).isEqualTo("The quick brown fox");
            // A conversation tokenizes to exactly the prompt the worker generates from for it.
            JsonNode conversation = post(root + "/tokenize", "{\"model\":\"millrace-tiny\",\"messages\":[{\"role\":\"user\","
                    + "\"content\":\"Hello there\"}]}");
            assertThat(conversation.get("tokens")).extracting(JsonNode::asInt)
                    .containsExactlyElementsOf(Arrays.stream(chatIds).boxed().toList());
            assertThat(conversation.get("count").asInt()).isEqualTo(chatIds.length);
            JsonNode info = get(root + "/tokenizer_info");
            assertThat(info.get("eos_token").asText()).isNotEmpty();
        }
    }

    private JsonNode post(String url, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.parse(r.body());
    }

    private JsonNode get(String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.parse(r.body());
    }

    private static String ids(int[] ids) {
        return Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }
}
