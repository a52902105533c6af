package io.millrace.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.InvalidInput;
import io.millrace.protocol.Json;
import io.millrace.protocol.MessageContent;
import io.millrace.protocol.ModelCatalog;
import io.millrace.tokenizer.ChatTemplate;
import io.millrace.tokenizer.ModelTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * vLLM's tokenizer endpoints, which lm-evaluation-harness asks before it falls back to a local
 * Hugging Face tokenizer: {@code GET /tokenizer_info}, {@code POST /tokenize} and
 * {@code POST /detokenize}, at the server's root (lm-eval's server is its base_url without
 * {@code /v1/completions}). A {@code model} field (a query parameter on the GET) picks the model;
 * without one, the first served. They run here, in the API process, from the model directories'
 * tokenizer files: no request goes through the pipeline.
 */
final class TokenizerApi implements AutoCloseable {
    private final Map<String, ModelTokenizer> tokenizers = new LinkedHashMap<>();
    private final ModelCatalog models;

    private TokenizerApi(List<ModelTokenizer> loaded, ModelCatalog models) {
        loaded.forEach(t -> tokenizers.put(t.name(), t));
        this.models = models;
    }

    /** Loads the tokenizer of each model directory, by served name; null when there is none (the routes are then not served). */
    static TokenizerApi load(Map<String, Path> modelDirs, ModelCatalog models) {
        if (modelDirs.isEmpty()) {
            return null;
        }
        List<ModelTokenizer> loaded = new ArrayList<>();
        try {
            modelDirs.forEach((name, dir) -> loaded.add(ModelTokenizer.load(dir, name)));
        } catch (RuntimeException e) {
            loaded.forEach(ModelTokenizer::close);
            throw e;
        }
        return new TokenizerApi(loaded, models);
    }

    static TokenizerApi of(List<ModelTokenizer> loaded, ModelCatalog models) {
        return new TokenizerApi(loaded, models);
    }

    /** {@code GET /tokenizer_info}: the special tokens and chat template of tokenizer_config.json. */
    ChatCompletions.Reply info(String model) {
        ModelTokenizer t;
        try {
            t = pick(model);
        } catch (Problem p) {
            return ChatCompletions.Reply.error(p.error);
        }
        ModelTokenizer.Info i = t.info();
        ObjectNode out = Json.object();
        out.put("model", t.name());
        out.put("eos_token", i.eosToken());
        out.put("bos_token", i.bosToken());
        out.put("pad_token", i.padToken());
        out.put("unk_token", i.unkToken());
        out.put("chat_template", i.chatTemplate());
        Long max = i.modelMaxLength() != null ? i.modelMaxLength() : contextLength(t.name());
        if (max != null) {
            out.put("model_max_length", max);
        } else {
            out.putNull("model_max_length");
        }
        if (i.addBosToken() != null) {
            out.put("add_bos_token", i.addBosToken());
        }
        return ok(out);
    }

    /**
     * {@code POST /tokenize}, in either of vLLM's two forms, → {@code {"count", "max_model_len", "tokens"}}:
     * <ul>
     *   <li>{@code {"prompt", "add_special_tokens"}}: the text as it is; add_special_tokens
     *       defaults to true, as in vLLM and Hugging Face;</li>
     *   <li>{@code {"messages", "add_generation_prompt", "continue_final_message", "add_special_tokens"}}:
     *       the conversation through the model's chat template, as vLLM's chat form; the generation
     *       prompt defaults to true and add_special_tokens to false (the template spells out its
     *       special tokens), so the default answer is exactly the prompt a worker generates from.</li>
     * </ul>
     */
    ChatCompletions.Reply tokenize(byte[] rawBody) {
        try {
            JsonNode body = read(rawBody);
            ModelTokenizer t = pick(body.get("model"));
            boolean chat = body.has("messages");
            if (chat && body.has("prompt")) {
                throw new Problem(ApiError.invalid("invalid_parameter", "messages", "Send either 'prompt' (text) or 'messages'"
                        + " (a conversation for the chat template), not both."));
            }
            int[] ids;
            if (chat) {
                ids = tokenizeChat(t, body);
            } else {
                JsonNode prompt = body.get("prompt");
                if (prompt == null || !prompt.isTextual()) {
                    throw new Problem(ApiError.invalid("invalid_parameter", "prompt", "'prompt' must be a string: the text to"
                            + " tokenize (or send 'messages' to tokenize a conversation)."));
                }
                ids = t.encode(prompt.asText(), flag(body, "add_special_tokens", true));
            }
            ObjectNode out = Json.object();
            out.put("count", ids.length);
            Long max = contextLength(t.name());
            if (max != null) {
                out.put("max_model_len", max);
            } else {
                out.putNull("max_model_len");
            }
            ArrayNode tokens = out.putArray("tokens");
            for (int id : ids) {
                tokens.add(id);
            }
            out.putNull("token_strs");
            return ok(out);
        } catch (Problem p) {
            return ChatCompletions.Reply.error(p.error);
        }
    }

    /** The chat form: each message a role and a content (a string, or OpenAI's array of text parts). */
    private static int[] tokenizeChat(ModelTokenizer t, JsonNode body) {
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw new Problem(ApiError.invalid("invalid_parameter", "messages", "'messages' must be a non-empty array of"
                    + " {\"role\", \"content\"} objects, as in /v1/chat/completions."));
        }
        List<ChatTemplate.Message> turns = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            JsonNode role = m.get("role");
            JsonNode content = m.get("content");
            if (!m.isObject() || role == null || !role.isTextual()) {
                throw new Problem(ApiError.invalid("invalid_parameter", "messages[" + i + "].role", "messages[" + i + "] needs a"
                        + " 'role' string (system, user, assistant, ...)."));
            }
            if (content != null && !content.isNull() && !content.isTextual() && !content.isArray()) {
                throw new Problem(ApiError.invalid("invalid_parameter", "messages[" + i + "].content", "messages[" + i
                        + "].content must be a string or an array of text parts."));
            }
            turns.add(new ChatTemplate.Message(role.asText(), MessageContent.text(content)));
        }
        boolean generationPrompt = flag(body, "add_generation_prompt", true);
        boolean continueLast = flag(body, "continue_final_message", false);
        if (continueLast && generationPrompt) {
            throw new Problem(ApiError.invalid("invalid_parameter", "continue_final_message", "continue_final_message and"
                    + " add_generation_prompt cannot both be true: set add_generation_prompt to false to continue the last message."));
        }
        try {
            return t.encodeChat(turns, generationPrompt, continueLast, flag(body, "add_special_tokens", false));
        } catch (IllegalStateException e) {
            throw new Problem(ApiError.invalid("invalid_parameter", "messages", "Model '" + t.name() + "' cannot tokenize"
                    + " messages: " + e.getMessage() + ". Send the rendered text as 'prompt' instead."));
        } catch (IllegalArgumentException e) {
            throw new Problem(ApiError.invalid("invalid_parameter", "messages", "The chat template of model '" + t.name()
                    + "' refused these messages: " + e.getMessage()));
        }
    }

    /** An optional boolean field, or its default when absent or null. */
    private static boolean flag(JsonNode body, String field, boolean byDefault) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return byDefault;
        }
        if (!v.isBoolean()) {
            throw new Problem(ApiError.invalid("invalid_parameter", field, "'" + field + "' must be true or false."));
        }
        return v.asBoolean();
    }

    /** {@code POST /detokenize} {@code {"tokens"}} → {@code {"prompt"}}, special tokens kept. */
    ChatCompletions.Reply detokenize(byte[] rawBody) {
        try {
            JsonNode body = read(rawBody);
            ModelTokenizer t = pick(body.get("model"));
            JsonNode tokens = body.get("tokens");
            if (tokens == null || !tokens.isArray()) {
                throw new Problem(ApiError.invalid("invalid_parameter", "tokens", "'tokens' must be an array of token ids."));
            }
            int vocab = models.find(t.name()).map(ModelCatalog.Entry::vocabSize).orElse(0);
            long max = vocab > 0 ? vocab - 1 : Integer.MAX_VALUE;
            int[] ids = new int[tokens.size()];
            for (int i = 0; i < ids.length; i++) {
                JsonNode id = tokens.get(i);
                if (!id.isIntegralNumber() || !id.canConvertToLong() || id.asLong() < 0 || id.asLong() > max) {
                    throw new Problem(ApiError.invalid("invalid_parameter", "tokens[" + i + "]", "tokens[" + i + "] is " + id
                            + ": a token id must be a whole number from 0 to " + max + "."));
                }
                ids[i] = id.asInt();
            }
            ObjectNode out = Json.object();
            out.put("prompt", t.decode(ids));
            return ok(out);
        } catch (Problem p) {
            return ChatCompletions.Reply.error(p.error);
        }
    }

    private Long contextLength(String model) {
        return models.find(model).filter(e -> e.contextLength() > 0).map(e -> (long) e.contextLength()).orElse(null);
    }

    private ModelTokenizer pick(JsonNode model) {
        if (model == null || model.isNull()) {
            return pick((String) null);
        }
        if (!model.isTextual()) {
            throw new Problem(ApiError.invalid("invalid_parameter", "model", "'model' must be the name of a served model."));
        }
        return pick(model.asText());
    }

    private ModelTokenizer pick(String model) {
        if (model == null) {
            return tokenizers.values().iterator().next();
        }
        ModelTokenizer t = tokenizers.get(model);
        if (t == null) {
            throw new Problem(ApiError.modelNotFound(model, tokenizers.keySet()));
        }
        return t;
    }

    private static JsonNode read(byte[] rawBody) {
        try {
            JsonNode body = Json.readInput(Json.TREE_READER, rawBody);
            if (body == null || !body.isObject()) {
                throw new Problem(ApiError.invalid("invalid_body", null, "The request body must be a JSON object."));
            }
            return body;
        } catch (InvalidInput e) {
            throw new Problem(ApiError.invalid(e.code(), null, "The request body cannot be read: " + e.problem()
                    + " (send one JSON object)."));
        }
    }

    private static ChatCompletions.Reply ok(JsonNode body) {
        return new ChatCompletions.Reply(200, body, Map.of());
    }

    @Override
    public void close() {
        tokenizers.values().forEach(ModelTokenizer::close);
    }

    /** A refusal, decided deep in parsing; answered as its error. */
    private static final class Problem extends RuntimeException {
        final ApiError error;

        Problem(ApiError error) {
            super(error.code(), null, false, false);
            this.error = error;
        }
    }
}
