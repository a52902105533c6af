package io.millrace.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.Json;
import io.millrace.worker.model.TokenLogprob;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogprobsJsonTest {
    private static TokenLogprob t(int id, String token, double logprob, TokenLogprob... top) {
        return new TokenLogprob(id, token, token.getBytes(StandardCharsets.UTF_8), logprob, List.of(top));
    }

    @Test
    void choiceLogprobsHaveOpenAisShape() throws Exception {
        // "é" is two UTF-8 bytes above 127: bytes are unsigned ints, as OpenAI writes them.
        TokenLogprob e = t(7, "é", -0.25, t(7, "é", -0.25), t(9, "e", -1.5), t(3, "a", -3));
        JsonNode json = Json.parse(Json.write(LogprobsJson.choice(List.of(e, t(2, "!", Double.NEGATIVE_INFINITY)), 2)));

        assertThat(json.get("refusal").isNull()).isTrue();
        JsonNode first = json.at("/content/0");
        assertThat(first.get("token").asText()).isEqualTo("é");
        assertThat(first.get("logprob").asDouble()).isEqualTo(-0.25);
        assertThat(first.get("bytes").toString()).isEqualTo("[195,169]");
        assertThat(first.get("top_logprobs")).hasSize(2); // the engine listed 3, the request asked for 2
        assertThat(first.at("/top_logprobs/1/token").asText()).isEqualTo("e");
        assertThat(first.at("/top_logprobs/1/logprob").asDouble()).isEqualTo(-1.5);
        assertThat(first.at("/top_logprobs/1/bytes").toString()).isEqualTo("[101]");
        assertThat(first.at("/top_logprobs/0").has("top_logprobs")).isFalse();
        // JSON has no -Infinity: OpenAI's stand-in.
        assertThat(json.at("/content/1/logprob").asDouble()).isEqualTo(LogprobsJson.UNLIKELY);
        assertThat(json.at("/content/1/top_logprobs")).isEmpty();
    }

    @Test
    void promptLogprobsHaveVllmsShape() throws Exception {
        List<TokenLogprob> scored = List.of(
                t(5, "lo", -2.0, t(8, "p", -0.5), t(5, "lo", -2.0)),
                t(6, "!", -4.0, t(1, ".", -0.1)));
        JsonNode json = Json.parse(Json.write(LogprobsJson.prompt(scored, 1)));

        assertThat(json).hasSize(3); // one per prompt token: the first has nothing before it
        assertThat(json.get(0).isNull()).isTrue();
        JsonNode second = json.get(1);
        assertThat(second.fieldNames()).toIterable().containsExactly("5", "8");
        assertThat(second.at("/5/logprob").asDouble()).isEqualTo(-2.0);
        assertThat(second.at("/5/rank").asInt()).isEqualTo(2);
        assertThat(second.at("/5/decoded_token").asText()).isEqualTo("lo");
        assertThat(second.at("/8/rank").asInt()).isEqualTo(1);
        // Not among the alternatives the engine listed: rank unknown.
        assertThat(json.at("/2/6/rank").isNull()).isTrue();
        assertThat(json.at("/2/1/decoded_token").asText()).isEqualTo(".");
    }
}
