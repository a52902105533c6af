package io.millrace.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.worker.model.DecoderModel;
import io.millrace.worker.model.TinyModel;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The handler on the real built-in model through ONNX Runtime. */
class CompletionHandlerTest {
    @TempDir
    static Path dir;
    static DecoderModel model;
    static CompletionHandler handler;

    @BeforeAll
    static void load() throws Exception {
        Path modelDir = dir.resolve(TinyModel.NAME);
        TinyModel.write(modelDir);
        model = DecoderModel.load(modelDir);
        handler = new CompletionHandler(Map.of(model.name(), model), Clock.systemUTC());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static RequestEvent request(String body) throws Exception {
        return new RequestEvent("b:1", "b", "1", 1L, "POST", "/v1/chat/completions", Json.parse(body), "millrace-tiny",
                System.currentTimeMillis());
    }

    @Test
    void answersWithAChatCompletionAndExactUsage() throws Exception {
        ResultEvent r = handler.handle(request("""
                {"model":"millrace-tiny","messages":[{"role":"user","content":"Hello there"}],"max_tokens":7,"temperature":0}"""));
        assertThat(r.succeeded()).isTrue();
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.generated()).isTrue();
        JsonNode body = r.body();
        assertThat(body.get("object").asText()).isEqualTo("chat.completion");
        assertThat(body.get("id").asText()).startsWith("chatcmpl-");
        assertThat(body.at("/choices/0/message/role").asText()).isEqualTo("assistant");
        int completion = body.at("/usage/completion_tokens").asInt();
        assertThat(completion).isBetween(1, 7);
        if (completion == 7) {
            assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        }
        int prompt = body.at("/usage/prompt_tokens").asInt();
        assertThat(prompt).isEqualTo(model.encodeChat(ChatRequest.from(request(
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"}]}").body()).messages()).length);
        assertThat(body.at("/usage/total_tokens").asInt()).isEqualTo(prompt + completion);
        assertThat(r.timings().generationMs()).isNotNull();
    }

    @Test
    void greedyIsReproducibleAndNGivesNChoices() throws Exception {
        String body = "{\"model\":\"millrace-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Same\"}],\"max_tokens\":6,"
                + "\"temperature\":0,\"n\":2}";
        ResultEvent a = handler.handle(request(body));
        ResultEvent b = handler.handle(request(body));
        assertThat(a.body().get("choices")).hasSize(2);
        assertThat(a.body().get("choices")).isEqualTo(b.body().get("choices"));
    }

    @Test
    void aPromptLongerThanTheContextIsAClearError() throws Exception {
        String longText = "word ".repeat(model.contextLength() * 2);
        ResultEvent r = handler.handle(request("{\"model\":\"millrace-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\""
                + longText + "\"}]}"));
        assertThat(r.succeeded()).isFalse();
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.error().code()).isEqualTo(ErrorCodes.CONTEXT_LENGTH_EXCEEDED);
        assertThat(r.error().message()).contains("context of " + model.contextLength());
        assertThat(r.error().line()).isEqualTo(1L);
    }

    @Test
    void aModelThisWorkerDoesNotServeIsAnError() throws Exception {
        RequestEvent other = request("{\"model\":\"other\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}").withModel("other");
        ResultEvent r = handler.handle(other);
        assertThat(r.error().code()).isEqualTo(ErrorCodes.MODEL_NOT_FOUND);
        assertThat(r.generated()).isFalse();
    }
}
