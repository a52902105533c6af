package io.millrace.ingest;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A cheap estimate of a request's tokens, for budget plans: about four characters a token for the
 * prompt (as the API's rate limiter counts; a list of token ids counts its ids), and for the output
 * what the request allows: {@code max_completion_tokens} or {@code max_tokens} (else
 * {@link #DEFAULT_CHAT_OUTPUT} for chat, OpenAI's 16 for legacy completions), times the choices
 * ({@code n}) or prompts. No tokenizer: a plan over 50,000 lines must cost little more than reading them.
 *
 * @param input  estimated prompt tokens
 * @param output the most output tokens the request may cost (an estimate only where it sets no limit)
 */
public record TokenEstimate(long input, long output) {
    /** Output tokens assumed for a chat request that sets no limit (it may generate up to its context). */
    public static final long DEFAULT_CHAT_OUTPUT = 256;
    static final long DEFAULT_LEGACY_OUTPUT = 16;

    public static TokenEstimate of(JsonNode body) {
        long chars = 0;
        long ids = 0;
        long choices = 1;
        boolean legacy = body.has("prompt") && !body.has("messages");
        if (legacy) {
            JsonNode prompt = body.get("prompt");
            if (prompt.isTextual()) {
                chars = prompt.asText().length();
            } else if (prompt.isArray()) {
                choices = prompt.isEmpty() || prompt.get(0).isNumber() ? 1 : prompt.size();
                for (JsonNode p : prompt) {
                    if (p.isTextual()) {
                        chars += p.asText().length();
                    } else if (p.isArray()) {
                        ids += p.size();
                    } else {
                        ids++;
                    }
                }
            }
        } else {
            for (JsonNode m : body.path("messages")) {
                JsonNode content = m.get("content");
                chars += content == null || content.isNull() ? 0 : content.isTextual() ? content.asText().length() : content.toString().length();
            }
            choices = Math.max(1, body.path("n").asLong(1));
        }
        JsonNode max = body.hasNonNull("max_completion_tokens") ? body.get("max_completion_tokens") : body.get("max_tokens");
        long limit = max != null && max.canConvertToLong() ? Math.max(0, max.asLong())
                : legacy ? DEFAULT_LEGACY_OUTPUT : DEFAULT_CHAT_OUTPUT;
        return new TokenEstimate((chars + 3) / 4 + ids, limit * choices);
    }
}
