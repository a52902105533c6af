package io.millrace.results;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.ModelCatalog;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The answers {@code POST /v1/chat/completions} gives before anything is published: a bad body is
 * refused at the door with OpenAI's error object, naming the field. (The published path runs on the
 * real broker in OutsideClientsIT.)
 */
class ChatCompletionsTest {
    // No submitter, follower or view: every case here must be answered before they are needed.
    final ChatCompletions chat = new ChatCompletions(ModelCatalog.of(new ModelCatalog.Entry("m", 64)),
            null, null, null, Duration.ofSeconds(1), Clock.systemUTC());

    @Test
    void bodyThatIsNotJsonIs400InvalidJsonWithWhere() {
        ChatCompletions.Reply r = answer("{\"model\": \"m\", ", null);

        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body().at("/error/code").asText()).isEqualTo("invalid_json");
        assertThat(r.body().at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(r.body().at("/error/message").asText()).contains("line 1, column");
    }

    @Test
    void anUnknownModelIs404AsOpenAiAnswersIt() {
        ChatCompletions.Reply r = answer("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", null);

        assertThat(r.status()).isEqualTo(404);
        assertThat(r.body().at("/error/code").asText()).isEqualTo("model_not_found");
        assertThat(r.body().at("/error/param").asText()).isEqualTo("model");
    }

    @Test
    void aBadParameterIs400NamingIt() {
        ChatCompletions.Reply r = answer("{\"model\":\"m\",\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}", null);

        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body().at("/error/code").asText()).isEqualTo("invalid_role");
        assertThat(r.body().at("/error/message").asText()).contains("wizard");
    }

    @Test
    void streamIsNoticedInTheBodyOnly() {
        assertThat(ChatCompletions.streamed(ChatCompletions.Body.read("{\"stream\": true}".getBytes(StandardCharsets.UTF_8)))).isTrue();
        assertThat(ChatCompletions.streamed(ChatCompletions.Body.read("{\"stream\": false}".getBytes(StandardCharsets.UTF_8)))).isFalse();
        assertThat(ChatCompletions.streamed(ChatCompletions.Body.read("{\"stream\": ".getBytes(StandardCharsets.UTF_8)))).as("refused by prepare").isFalse();
    }

    @Test
    void anIdempotencyKeyMustBeShortAndNotBlank() {
        String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        assertThat(answer(body, " ").body().at("/error/code").asText()).isEqualTo("invalid_idempotency_key");
        assertThat(answer(body, "k".repeat(ChatCompletions.MAX_IDEMPOTENCY_KEY + 1)).status()).isEqualTo(400);
    }

    @Test
    void nestingPastTheLimitIsRefusedNamingTheLimit() {
        String deep = "[".repeat(5_000) + "]".repeat(5_000);
        ChatCompletions.Reply r = answer(deep, null);

        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body().at("/error/code").asText()).isEqualTo("request_too_large");
        assertThat(r.body().at("/error/message").asText()).contains("64 levels");
    }

    @Test
    void jsonThatIsNotAnObjectIsNamed() {
        JsonNode body = answer("[1, 2]", null).body();

        assertThat(body.at("/error/param").asText()).isEqualTo("body");
    }

    private ChatCompletions.Reply answer(String body, String idempotencyKey) {
        return chat.handle(body.getBytes(StandardCharsets.UTF_8), idempotencyKey).join();
    }
}
