package io.millrace.worker;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.worker.model.DecoderModel;
import io.millrace.worker.model.SamplingParams;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of a legacy {@code /v1/completions} body the worker acts on. The router has validated
 * it, so this only reads it. Defaults follow OpenAI and vLLM: max_tokens 16, temperature 1,
 * top_p 1, no logprobs, no echo.
 *
 * @param prompts     one entry per prompt, each either text or token ids ({@link Prompt})
 * @param logprobs    alternatives to list per token (0..5), or null for {@code "logprobs": null}
 * @param echo        the prompt's text starts each choice's text, and its tokens are in the logprobs
 */
public record CompletionRequest(List<Prompt> prompts, int maxTokens, double temperature, double topP, int topK,
        double presencePenalty, double frequencyPenalty, Long seed, List<String> stop, Integer logprobs, boolean echo) {
    /** OpenAI's and vLLM's default for {@code /v1/completions}. */
    public static final int DEFAULT_MAX_TOKENS = 16;

    /** One prompt: its text when it came as a string (null when it came as token ids), and its ids. */
    public record Prompt(String text, int[] ids) {
        /** The text an echo repeats: the string as sent, or the ids decoded. */
        String echoText(DecoderModel model) {
            return text != null ? text : model.decode(ids);
        }
    }

    public static CompletionRequest from(JsonNode body, DecoderModel model) {
        List<Prompt> prompts = new ArrayList<>();
        JsonNode p = body.path("prompt");
        if (p.isTextual()) {
            prompts.add(text(p.asText(), model));
        } else if (p.isArray() && p.size() > 0 && p.get(0).isNumber()) {
            prompts.add(new Prompt(null, ids(p)));
        } else {
            for (JsonNode one : p) {
                prompts.add(one.isTextual() ? text(one.asText(), model) : new Prompt(null, ids(one)));
            }
        }
        List<String> stop = ChatRequest.stops(body);
        return new CompletionRequest(List.copyOf(prompts),
                body.hasNonNull("max_tokens") ? body.get("max_tokens").asInt() : DEFAULT_MAX_TOKENS,
                body.path("temperature").asDouble(1.0),
                body.path("top_p").asDouble(1.0),
                Math.max(0, body.path("top_k").asInt(0)),
                body.path("presence_penalty").asDouble(0),
                body.path("frequency_penalty").asDouble(0),
                body.hasNonNull("seed") ? body.get("seed").asLong() : null,
                List.copyOf(stop),
                body.hasNonNull("logprobs") ? body.get("logprobs").asInt() : null,
                body.path("echo").asBoolean(false));
    }

    /**
     * Sampling for one prompt. Every prompt is its own sequence with the request's seed, as vLLM
     * samples a list of prompts. The prompt is scored only when its logprobs are shown (echo with
     * logprobs): scoring costs the logits of every prompt position.
     */
    public SamplingParams sampling(int promptTokens, int contextLength) {
        int max = Math.min(maxTokens, contextLength - promptTokens);
        boolean withLogprobs = logprobs != null;
        return new SamplingParams(Math.max(0, max), temperature, topP, topK, presencePenalty, frequencyPenalty, seed, stop,
                withLogprobs, withLogprobs ? logprobs : 0, echo && withLogprobs);
    }

    private static Prompt text(String text, DecoderModel model) {
        return new Prompt(text, model.encodePrompt(text));
    }

    private static int[] ids(JsonNode array) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = array.get(i).asInt();
        }
        return ids;
    }
}
