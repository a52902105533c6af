package io.millrace.worker;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.Json;
import io.millrace.worker.model.TokenLogprob;
import java.util.List;

/**
 * The two logprob shapes of a response body (README, "Topic contract"): OpenAI's
 * {@code choices[i].logprobs} for the completion tokens, and vLLM's top-level
 * {@code prompt_logprobs} for the prompt tokens.
 */
final class LogprobsJson {
    /**
     * What OpenAI reports for a logprob that is not a finite number (a token the model rules out):
     * JSON has no -Infinity.
     */
    static final double UNLIKELY = -9999.0;

    private LogprobsJson() {}

    /**
     * {@code {"content":[{"token","logprob","bytes","top_logprobs":[{"token","logprob","bytes"}]}],"refusal":null}},
     * each token's alternatives cut to the {@code topLogprobs} the request asked for (the engine may
     * have listed more for prompt_logprobs).
     */
    static ObjectNode choice(List<TokenLogprob> tokens, int topLogprobs) {
        ObjectNode logprobs = Json.object();
        ArrayNode content = logprobs.putArray("content");
        for (TokenLogprob t : tokens) {
            ObjectNode entry = token(content.addObject(), t);
            ArrayNode top = entry.putArray("top_logprobs");
            t.top().stream().limit(topLogprobs).forEach(alt -> token(top.addObject(), alt));
        }
        logprobs.putNull("refusal");
        return logprobs;
    }

    /**
     * vLLM's shape: one entry per prompt token, null for the first (nothing precedes it), then
     * {@code {"<token id>": {"logprob", "rank", "decoded_token"}}} with the prompt token itself
     * first, then the {@code alternatives} most likely tokens at that position. Ranks start at 1;
     * the prompt token's rank is null when it is not among the alternatives the engine listed.
     */
    static ArrayNode prompt(List<TokenLogprob> tokensAfterFirst, int alternatives) {
        ArrayNode out = Json.MAPPER.createArrayNode();
        out.addNull();
        for (TokenLogprob t : tokensAfterFirst) {
            ObjectNode position = out.addObject();
            ObjectNode actual = position.putObject(Integer.toString(t.id()));
            actual.put("logprob", finite(t.logprob()));
            Integer rank = null;
            for (int i = 0; i < t.top().size(); i++) {
                if (t.top().get(i).id() == t.id()) {
                    rank = i + 1;
                    break;
                }
            }
            if (rank == null) {
                actual.putNull("rank");
            } else {
                actual.put("rank", rank);
            }
            actual.put("decoded_token", t.token());
            for (int i = 0; i < Math.min(alternatives, t.top().size()); i++) {
                TokenLogprob alt = t.top().get(i);
                if (alt.id() == t.id()) {
                    continue;
                }
                ObjectNode a = position.putObject(Integer.toString(alt.id()));
                a.put("logprob", finite(alt.logprob()));
                a.put("rank", i + 1);
                a.put("decoded_token", alt.token());
            }
        }
        return out;
    }

    private static ObjectNode token(ObjectNode node, TokenLogprob t) {
        node.put("token", t.token());
        node.put("logprob", finite(t.logprob()));
        ArrayNode bytes = node.putArray("bytes");
        for (byte b : t.bytes()) {
            bytes.add(b & 0xff);
        }
        return node;
    }

    static double finite(double logprob) {
        return Double.isFinite(logprob) ? logprob : UNLIKELY;
    }
}
