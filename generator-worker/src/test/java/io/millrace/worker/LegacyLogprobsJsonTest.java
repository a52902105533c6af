package io.millrace.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.worker.model.TokenLogprob;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class LegacyLogprobsJsonTest {
    private static TokenLogprob t(int id, String text, double lp, TokenLogprob... top) {
        return new TokenLogprob(id, text, text.getBytes(StandardCharsets.UTF_8), lp, List.of(top));
    }

    @Test
    void echoPutsThePromptFirstWithANullFirstLogprob() {
        TokenLogprob best = t(7, " a", -0.1);
        ObjectNode json = LegacyLogprobsJson.of("He", List.of(t(3, "llo", -2.0, best)), List.of(t(7, " a", -0.1, best)), 1, 5);
        assertThat(json.toString()).isEqualTo("{\"tokens\":[\"He\",\"llo\",\" a\"],"
                + "\"token_logprobs\":[null,-2.0,-0.1],"
                + "\"top_logprobs\":[null,{\" a\":-0.1,\"llo\":-2.0},{\" a\":-0.1}],"
                + "\"text_offset\":[0,2,5]}");
    }

    @Test
    void withoutEchoOnlyTheCompletionAndAnUnlikelyTokenIsFinite() {
        ObjectNode json = LegacyLogprobsJson.of(null, null, List.of(t(1, "x", Double.NEGATIVE_INFINITY, t(2, "y", -0.5))), 0, 0);
        assertThat(json.toString()).isEqualTo("{\"tokens\":[\"x\"],\"token_logprobs\":[-9999.0],"
                + "\"top_logprobs\":[{\"x\":-9999.0}],\"text_offset\":[0]}");
    }
}
