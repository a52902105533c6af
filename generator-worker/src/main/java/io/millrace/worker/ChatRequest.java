package io.millrace.worker;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.MessageContent;
import io.millrace.worker.model.ChatMessage;
import io.millrace.worker.model.SamplingParams;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of a chat-completion body the worker acts on. The router has validated the body, so
 * this only reads it; defaults follow OpenAI (temperature 1, top_p 1, n 1, no penalties, no
 * logprobs, no token limit but the context) and vLLM for its extensions ({@code top_k} -1 or 0:
 * no cut; {@code prompt_logprobs} absent: no prompt scoring).
 *
 * @param maxTokens      requested limit on new tokens, or null for "up to the context length"
 * @param topK           keep the k most likely tokens; 0 = no cut (the body's -1 is read as 0)
 * @param logprobs       report each completion token's logprob ({@code choices[i].logprobs})
 * @param topLogprobs    alternatives to report per completion token (0..20, only with logprobs)
 * @param promptLogprobs alternatives to report per prompt token, or null when the prompt is not scored
 */
public record ChatRequest(List<ChatMessage> messages, Integer maxTokens, double temperature, double topP, int topK,
        double presencePenalty, double frequencyPenalty, int n, Long seed, List<String> stop, boolean logprobs,
        int topLogprobs, Integer promptLogprobs) {

    public static ChatRequest from(JsonNode body) {
        List<ChatMessage> messages = new ArrayList<>();
        for (JsonNode m : body.path("messages")) {
            messages.add(new ChatMessage(m.path("role").asText(), MessageContent.text(m.get("content"))));
        }
        JsonNode max = body.hasNonNull("max_completion_tokens") ? body.get("max_completion_tokens") : body.get("max_tokens");
        List<String> stop = stops(body);
        boolean logprobs = body.path("logprobs").asBoolean(false);
        return new ChatRequest(messages,
                max == null || max.isNull() ? null : max.asInt(),
                body.path("temperature").asDouble(1.0),
                body.path("top_p").asDouble(1.0),
                Math.max(0, body.path("top_k").asInt(0)),
                body.path("presence_penalty").asDouble(0),
                body.path("frequency_penalty").asDouble(0),
                body.path("n").asInt(1),
                body.hasNonNull("seed") ? body.get("seed").asLong() : null,
                List.copyOf(stop),
                logprobs,
                logprobs ? body.path("top_logprobs").asInt(0) : 0,
                body.hasNonNull("prompt_logprobs") ? body.get("prompt_logprobs").asInt() : null);
    }

    /**
     * Sampling for choice {@code index}: each choice of an n > 1 request gets its own seed. The
     * prompt is the same for every choice, so only choice 0 scores it; the engine lists as many
     * alternatives as the larger of top_logprobs and prompt_logprobs asks, and the response keeps
     * the number each asked for.
     */
    public SamplingParams sampling(int index, int promptTokens, int contextLength) {
        int room = contextLength - promptTokens;
        int max = maxTokens == null ? room : Math.min(maxTokens, room);
        Long choiceSeed;
        if (seed != null) {
            choiceSeed = seed + index;
        } else {
            // No seed: choice 0 samples as the model's default (derived from the prompt), the
            // others each with their own fixed seed, so every choice is reproducible.
            choiceSeed = index == 0 ? null : Long.valueOf(index);
        }
        boolean echo = promptLogprobs != null && index == 0;
        int alternatives = Math.max(topLogprobs, echo ? promptLogprobs : 0);
        return new SamplingParams(max, temperature, topP, topK, presencePenalty, frequencyPenalty, choiceSeed, stop,
                logprobs, alternatives, echo);
    }

    /** OpenAI's {@code stop}: a string or a list of strings; none when absent. Shared with the legacy completions. */
    static List<String> stops(JsonNode body) {
        List<String> stop = new ArrayList<>();
        JsonNode s = body.get("stop");
        if (s != null && s.isTextual()) {
            stop.add(s.asText());
        } else if (s != null && s.isArray()) {
            s.forEach(x -> stop.add(x.asText()));
        }
        return stop;
    }
}
