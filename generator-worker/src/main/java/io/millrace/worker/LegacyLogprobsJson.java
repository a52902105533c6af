package io.millrace.worker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.Json;
import io.millrace.worker.model.TokenLogprob;
import java.util.List;

/**
 * The logprobs of a legacy {@code text_completion} choice, as OpenAI and vLLM write them:
 * {@code {"tokens", "token_logprobs", "top_logprobs", "text_offset"}}, four parallel arrays.
 *
 * <p>With echo the prompt's tokens come first; its first token has a null logprob and a null
 * top_logprobs entry (nothing precedes it). Each {@code top_logprobs} entry maps token text to
 * logprob for the {@code k} most likely tokens and, as vLLM adds it, the chosen token itself, so
 * lm-evaluation-harness's greediness check (is the chosen token the entry's maximum?) holds
 * exactly when the model's most likely token was chosen. {@code text_offset} is where each
 * token's text starts in the choice's text, in characters ({@link TextOffsets}).
 */
final class LegacyLogprobsJson {
    private LegacyLogprobsJson() {}

    /**
     * @param firstPromptToken   the text of the prompt's first token, with echo; null without
     * @param firstPromptBytes   the bytes the first token adds to the echoed text (none for a BOS)
     * @param promptAfterFirst   the scored prompt tokens after the first (echo), else null
     * @param completion         the generated tokens
     * @param completionOffset   where the generated text starts in the choice's text, in characters
     */
    static ObjectNode of(String firstPromptToken, byte[] firstPromptBytes, List<TokenLogprob> promptAfterFirst,
            List<TokenLogprob> completion, int k, int completionOffset) {
        ObjectNode out = Json.object();
        ArrayNode tokens = out.putArray("tokens");
        ArrayNode logprobs = out.putArray("token_logprobs");
        ArrayNode top = out.putArray("top_logprobs");
        ArrayNode offsets = out.putArray("text_offset");
        if (firstPromptToken != null) {
            TextOffsets prompt = new TextOffsets(0);
            tokens.add(firstPromptToken);
            logprobs.addNull();
            top.addNull();
            offsets.add(prompt.next(firstPromptBytes));
            for (TokenLogprob t : promptAfterFirst == null ? List.<TokenLogprob>of() : promptAfterFirst) {
                add(t, k, prompt, tokens, logprobs, top, offsets);
            }
        }
        TextOffsets generated = new TextOffsets(completionOffset);
        for (TokenLogprob t : completion == null ? List.<TokenLogprob>of() : completion) {
            add(t, k, generated, tokens, logprobs, top, offsets);
        }
        return out;
    }

    private static void add(TokenLogprob t, int k, TextOffsets text, ArrayNode tokens, ArrayNode logprobs, ArrayNode top,
            ArrayNode offsets) {
        tokens.add(t.token());
        logprobs.add(LogprobsJson.finite(t.logprob()));
        ObjectNode alternatives = top.addObject();
        t.top().stream().limit(k).forEach(alt -> putIfAbsent(alternatives, alt.token(), alt.logprob()));
        putIfAbsent(alternatives, t.token(), t.logprob());
        offsets.add(text.next(t.bytes()));
    }
    private static void putIfAbsent(ObjectNode o, String token, double logprob) {
        JsonNode had = o.get(token);
        if (had == null) {
            o.put(token, LogprobsJson.finite(logprob));
        }
    }
}
