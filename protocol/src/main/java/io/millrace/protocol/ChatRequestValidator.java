package io.millrace.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.RequestEvent;
import java.util.Optional;
import java.util.Set;

/**
 * What makes a chat-completion request acceptable, checked the same way wherever a request enters:
 * by ingest for batch lines, by the router for events any Kafka client produced, and by the API.
 * Returns the first problem, with a message that says what is wrong and how to fix it.
 *
 * <p>It judges OpenAI's legacy {@code /v1/completions} bodies too ({@link #COMPLETIONS}): a
 * {@code prompt} in any of its four forms (a string, strings, token ids, lists of token ids) in
 * place of messages, {@code logprobs} as a number of alternatives (0 to 5) and {@code echo}.
 * {@code n} must be 1 there: each prompt gets one choice, whose index is the prompt's.
 */
public final class ChatRequestValidator {
    public static final String CHAT_COMPLETIONS = "/v1/chat/completions";
    public static final String COMPLETIONS = "/v1/completions";
    /** OpenAI's limit on the legacy {@code logprobs}. */
    public static final int MAX_LEGACY_LOGPROBS = 5;
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");
    private static final int MAX_N = 16;
    private static final int MAX_STOP = 4;
    /** As OpenAI's top_logprobs and vLLM's default max_logprobs. */
    private static final int MAX_LOGPROBS = 20;
    /** How much of a client's value an error message repeats. */
    private static final int MAX_SHOWN = 120;

    private final ModelCatalog catalog;

    public ChatRequestValidator(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    public Optional<ErrorInfo> validate(RequestEvent r) {
        return validate(r, null);
    }

    /**
     * As {@link #validate(RequestEvent)}, but checking the body against {@code asModel} instead of
     * the model it names: a budget plan routes a line to a model of its own choosing, and the line
     * must fit that model (its context, its vocabulary). Null: the model the body names.
     */
    public Optional<ErrorInfo> validate(RequestEvent r, String asModel) {
        if (r.requestId() == null || r.requestId().isBlank()) {
            return fail(ErrorCodes.INVALID_REQUEST_ID, "request_id is missing: set it to a unique id and use it as the record key", "request_id");
        }
        if (r.requestId().length() > InputLimits.MAX_ID_CHARS) {
            return fail(ErrorCodes.INVALID_REQUEST_ID, "request_id is " + r.requestId().length() + " characters, over the limit of "
                    + InputLimits.MAX_ID_CHARS + ": use a shorter unique id", "request_id");
        }
        if (r.customId() != null && r.customId().length() > InputLimits.MAX_ID_CHARS) {
            return fail(ErrorCodes.INVALID_PARAMETER, "custom_id is " + r.customId().length() + " characters, over the limit of "
                    + InputLimits.MAX_ID_CHARS + ": use a shorter id", "custom_id");
        }
        if (r.batchId() != null && r.batchId().length() > InputLimits.MAX_ID_CHARS) {
            return fail(ErrorCodes.INVALID_PARAMETER, "batch_id is " + r.batchId().length() + " characters, over the limit of "
                    + InputLimits.MAX_ID_CHARS + ": use a shorter id", "batch_id");
        }
        if (r.method() != null && !"POST".equals(r.method())) {
            return fail(ErrorCodes.INVALID_METHOD, "method " + shown(r.method()) + " is not supported: use \"POST\"", "method");
        }
        boolean legacy = COMPLETIONS.equals(r.url());
        if (!CHAT_COMPLETIONS.equals(r.url()) && !legacy) {
            return fail(ErrorCodes.INVALID_URL, "url " + shown(r.url()) + " is not supported: use \"" + CHAT_COMPLETIONS
                    + "\" or \"" + COMPLETIONS + "\"", "url");
        }
        JsonNode body = r.body();
        if (body == null || !body.isObject()) {
            return fail(ErrorCodes.INVALID_BODY, "body must be a JSON object with model and " + (legacy ? "prompt" : "messages"), "body");
        }
        // A batch line's answer is a line of a file: nobody could read it as a stream (OpenAI refuses it too).
        if (r.batchId() != null && body.path("stream").asBoolean(false)) {
            return fail(ErrorCodes.INVALID_PARAMETER, "stream is not supported in batch requests: remove it", "stream");
        }
        return legacy ? validateCompletionBody(body, asModel) : validateBody(body, asModel);
    }

    private Optional<ErrorInfo> validateBody(JsonNode body, String asModel) {
        Optional<ModelCatalog.Entry> entry = servedModel(body, asModel);
        if (entry.isEmpty()) {
            return modelProblem(body, asModel);
        }
        Optional<ErrorInfo> messages = validateMessages(body.get("messages"));
        if (messages.isPresent()) {
            return messages;
        }
        Optional<ErrorInfo> maxTokens = validateMaxTokens(body, entry.get());
        if (maxTokens.isPresent()) {
            return maxTokens;
        }
        return validateSampling(body);
    }

    private Optional<ErrorInfo> validateCompletionBody(JsonNode body, String asModel) {
        Optional<ModelCatalog.Entry> entry = servedModel(body, asModel);
        if (entry.isEmpty()) {
            return modelProblem(body, asModel);
        }
        Optional<ErrorInfo> e = validatePrompt(body.get("prompt"), entry.get());
        if (e.isEmpty()) {
            JsonNode max = body.get("max_tokens");
            // 0 is OpenAI's way to only score an echoed prompt.
            if (max != null && !max.isNull() && max.isIntegralNumber() && max.canConvertToLong() && max.asLong() == 0) {
                e = Optional.empty();
            } else {
                e = validateMaxTokens(body, entry.get());
            }
        }
        if (e.isEmpty()) e = validateCommonSampling(body);
        if (e.isPresent()) {
            return e;
        }
        JsonNode n = body.get("n");
        if (n != null && !n.isNull() && !(whole(n, 1, 1))) {
            return fail(ErrorCodes.INVALID_PARAMETER, "n is " + shown(n) + ": /v1/completions answers one choice per prompt here,"
                    + " so n must be 1; send the prompt several times (with different seeds) for more", "n");
        }
        JsonNode bestOf = body.get("best_of");
        if (bestOf != null && !bestOf.isNull() && !whole(bestOf, 1, 1)) {
            return fail(ErrorCodes.INVALID_PARAMETER, "best_of is " + shown(bestOf) + ": only 1 is supported", "best_of");
        }
        JsonNode logprobs = body.get("logprobs");
        if (logprobs != null && !logprobs.isNull() && !whole(logprobs, 0, MAX_LEGACY_LOGPROBS)) {
            return fail(ErrorCodes.INVALID_PARAMETER, "logprobs is " + shown(logprobs) + ": in /v1/completions it must be a whole number"
                    + " from 0 to " + MAX_LEGACY_LOGPROBS + " (how many alternatives to list per token), or null", "logprobs");
        }
        JsonNode echo = body.get("echo");
        if (echo != null && !echo.isNull() && !echo.isBoolean()) {
            return fail(ErrorCodes.INVALID_PARAMETER, "echo is " + shown(echo) + ": it must be true or false", "echo");
        }
        JsonNode stream = body.get("stream");
        if (stream != null && !stream.isNull() && !stream.isBoolean()) {
            return fail(ErrorCodes.INVALID_PARAMETER, "stream must be true or false", "stream");
        }
        // A streamed chunk carries text only: the logprobs would come with none of them.
        if (stream != null && stream.asBoolean(false) && logprobs != null && !logprobs.isNull()) {
            return fail(ErrorCodes.INVALID_PARAMETER, "logprobs cannot be combined with stream on /v1/completions: remove"
                    + " stream to get the logprobs with the whole completion, or remove logprobs", "logprobs");
        }
        JsonNode suffix = body.get("suffix");
        if (suffix != null && !suffix.isNull()) {
            return fail(ErrorCodes.INVALID_PARAMETER, "suffix is not supported: remove it", "suffix");
        }
        return Optional.empty();
    }

    /**
     * OpenAI's four prompt forms: a string, a list of strings, a list of token ids, a list of lists
     * of token ids. Every prompt must be non-empty (a decoder continues at least one token), and
     * token ids must lie in the model's vocabulary where the catalog knows its size.
     */
    private static Optional<ErrorInfo> validatePrompt(JsonNode prompt, ModelCatalog.Entry model) {
        String forms = "a string, an array of strings, an array of token ids or an array of arrays of token ids";
        if (prompt == null || prompt.isNull()) {
            return fail(ErrorCodes.INVALID_PARAMETER, "body.prompt is missing: send " + forms, "prompt");
        }
        if (prompt.isTextual()) {
            return prompt.asText().isEmpty()
                    ? fail(ErrorCodes.INVALID_PARAMETER, "prompt is empty: send at least one character", "prompt")
                    : Optional.empty();
        }
        if (!prompt.isArray() || prompt.isEmpty()) {
            return fail(ErrorCodes.INVALID_PARAMETER, "prompt must be " + forms + ", and not empty", "prompt");
        }
        JsonNode first = prompt.get(0);
        if (first.isNumber()) {
            return tokenIds(prompt, "prompt", model, new long[1]);
        }
        if (prompt.size() > InputLimits.MAX_PROMPTS) {
            return fail(ErrorCodes.REQUEST_TOO_LARGE, "prompt holds " + prompt.size() + " prompts, over the limit of "
                    + InputLimits.MAX_PROMPTS + ": send them in several requests", "prompt");
        }
        long[] total = new long[1];
        for (int i = 0; i < prompt.size(); i++) {
            JsonNode p = prompt.get(i);
            String where = "prompt[" + i + "]";
            if (first.isTextual()) {
                if (!p.isTextual() || p.asText().isEmpty()) {
                    return fail(ErrorCodes.INVALID_PARAMETER, where + " must be a non-empty string, as the first prompt is", where);
                }
            } else if (first.isArray()) {
                if (!p.isArray() || p.isEmpty()) {
                    return fail(ErrorCodes.INVALID_PARAMETER, where + " must be a non-empty array of token ids, as the first prompt is",
                            where);
                }
                Optional<ErrorInfo> e = tokenIds(p, where, model, total);
                if (e.isPresent()) {
                    return e;
                }
            } else {
                return fail(ErrorCodes.INVALID_PARAMETER, "prompt must be " + forms, "prompt");
            }
        }
        return Optional.empty();
    }

    private static Optional<ErrorInfo> tokenIds(JsonNode ids, String where, ModelCatalog.Entry model, long[] total) {
        total[0] += ids.size();
        if (total[0] > InputLimits.MAX_PROMPT_TOKEN_IDS) {
            return fail(ErrorCodes.REQUEST_TOO_LARGE, "the prompts hold over " + InputLimits.MAX_PROMPT_TOKEN_IDS
                    + " token ids, the limit of one request: send them in several requests", where);
        }
        long max = model.vocabSize() > 0 ? model.vocabSize() - 1 : Integer.MAX_VALUE;
        for (int j = 0; j < ids.size(); j++) {
            JsonNode id = ids.get(j);
            if (!whole(id, 0, max)) {
                return fail(ErrorCodes.INVALID_PARAMETER, where + "[" + j + "] is " + shown(id) + ": a token id must be a whole number from 0 to "
                        + max + (model.vocabSize() > 0 ? " (model '" + model.name() + "' has " + model.vocabSize() + " tokens)" : ""),
                        where + "[" + j + "]");
            }
        }
        return Optional.empty();
    }

    private Optional<ModelCatalog.Entry> servedModel(JsonNode body, String asModel) {
        if (asModel != null) {
            return catalog.find(asModel);
        }
        JsonNode model = body.get("model");
        return model != null && model.isTextual() ? catalog.find(model.asText()) : Optional.empty();
    }

    private Optional<ErrorInfo> modelProblem(JsonNode body, String asModel) {
        if (asModel != null) {
            return fail(ErrorCodes.MODEL_NOT_FOUND, "the request was routed to model " + shown(asModel)
                    + ", which is not served here: plan with the served models " + catalog.names(), "model");
        }
        JsonNode model = body.get("model");
        if (model == null || !model.isTextual() || model.asText().isBlank()) {
            return fail(ErrorCodes.MODEL_NOT_FOUND, "body.model is missing: name one of the served models " + catalog.names(), "model");
        }
        return fail(ErrorCodes.MODEL_NOT_FOUND, "model " + shown(model) + " is not served here: use one of "
                + catalog.names() + (catalog.auto().isPresent() ? " or \"" + ModelCatalog.AUTO + "\"" : ""), "model");
    }

    private Optional<ErrorInfo> validateMessages(JsonNode messages) {
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            return fail(ErrorCodes.MISSING_MESSAGES, "body.messages must be a non-empty array of {role, content} objects", "messages");
        }
        if (messages.size() > InputLimits.MAX_MESSAGES) {
            return fail(ErrorCodes.REQUEST_TOO_LARGE, "body.messages has " + messages.size() + " messages, over the limit of "
                    + InputLimits.MAX_MESSAGES + ": split the conversation or drop its oldest turns", "messages");
        }
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) {
                return fail(ErrorCodes.MISSING_MESSAGES, where + " must be an object with role and content", where);
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual() || !ROLES.contains(role.asText())) {
                return fail(ErrorCodes.INVALID_ROLE, where + ".role is " + (role == null ? "missing" : shown(role))
                        + ": use one of system, developer, user, assistant, tool", where + ".role");
            }
            JsonNode content = m.get("content");
            if (!isTextContent(content) && !(role.asText().equals("assistant") && (content == null || content.isNull()))) {
                return fail(ErrorCodes.INVALID_CONTENT, where + ".content must be a string or an array of {\"type\":\"text\",\"text\":...} parts",
                        where + ".content");
            }
        }
        return Optional.empty();
    }

    /** Text content as OpenAI accepts it: a string, or an array of text parts. */
    public static boolean isTextContent(JsonNode content) {
        if (content == null) {
            return false;
        }
        if (content.isTextual()) {
            return true;
        }
        if (!content.isArray()) {
            return false;
        }
        for (JsonNode part : content) {
            if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                return false;
            }
        }
        return true;
    }

    private Optional<ErrorInfo> validateMaxTokens(JsonNode body, ModelCatalog.Entry model) {
        for (String field : new String[] {"max_completion_tokens", "max_tokens"}) {
            JsonNode v = body.get(field);
            if (v == null || v.isNull()) {
                continue;
            }
            if (!whole(v, 1, Long.MAX_VALUE)) {
                return fail(ErrorCodes.INVALID_MAX_TOKENS, field + " is " + shown(v) + ": it must be a whole number of at least 1", field);
            }
            if (model.contextLength() > 0 && v.asLong() >= model.contextLength()) {
                return fail(ErrorCodes.INVALID_MAX_TOKENS, field + " is " + shown(v) + " but model '" + model.name()
                        + "' has a context of " + model.contextLength() + " tokens, prompt included: ask for fewer", field);
            }
        }
        return Optional.empty();
    }

    private Optional<ErrorInfo> validateSampling(JsonNode body) {
        Optional<ErrorInfo> common = validateCommonSampling(body);
        if (common.isPresent()) {
            return common;
        }
        JsonNode n = body.get("n");
        if (n != null && !n.isNull() && !whole(n, 1, MAX_N)) {
            return fail(ErrorCodes.INVALID_PARAMETER, "n is " + shown(n) + ": it must be a whole number from 1 to " + MAX_N, "n");
        }
        Optional<ErrorInfo> logprobs = validateLogprobs(body);
        if (logprobs.isPresent()) {
            return logprobs;
        }
        JsonNode stream = body.get("stream");
        if (stream != null && !stream.isNull() && !stream.isBoolean()) {
            return fail(ErrorCodes.INVALID_PARAMETER, "stream must be true or false", "stream");
        }
        return Optional.empty();
    }

    /** What chat and legacy completions share: temperature, top_p, penalties, top_k, seed, stop. */
    private static Optional<ErrorInfo> validateCommonSampling(JsonNode body) {
        Optional<ErrorInfo> e = range(body, "temperature", 0, 2);
        if (e.isEmpty()) e = range(body, "top_p", 0, 1);
        if (e.isEmpty()) e = range(body, "presence_penalty", -2, 2);
        if (e.isEmpty()) e = range(body, "frequency_penalty", -2, 2);
        if (e.isPresent()) {
            return e;
        }
        JsonNode topK = body.get("top_k");
        if (topK != null && !topK.isNull() && !whole(topK, -1, Integer.MAX_VALUE)) {
            return fail(ErrorCodes.INVALID_PARAMETER, "top_k is " + shown(topK) + ": it must be a whole number, at least 1 to keep the k most"
                    + " likely tokens, or -1 or 0 for no top-k cut", "top_k");
        }
        JsonNode seed = body.get("seed");
        if (seed != null && !seed.isNull() && !whole(seed, Long.MIN_VALUE, Long.MAX_VALUE)) {
            return fail(ErrorCodes.INVALID_PARAMETER, "seed is " + shown(seed) + ": it must be a whole number that fits in 64 bits", "seed");
        }
        JsonNode stop = body.get("stop");
        if (stop != null && !stop.isNull()) {
            boolean ok = stop.isTextual() || (stop.isArray() && stop.size() <= MAX_STOP);
            if (stop.isArray()) {
                for (JsonNode s : stop) {
                    ok &= s.isTextual() && !s.asText().isEmpty();
                }
            }
            if (!ok) {
                return fail(ErrorCodes.INVALID_PARAMETER, "stop must be a string or an array of at most " + MAX_STOP + " non-empty strings", "stop");
            }
        }
        return Optional.empty();
    }

    /** OpenAI's logprobs and top_logprobs, and vLLM's prompt_logprobs. */
    private static Optional<ErrorInfo> validateLogprobs(JsonNode body) {
        JsonNode logprobs = body.get("logprobs");
        if (logprobs != null && !logprobs.isNull() && !logprobs.isBoolean()) {
            return fail(ErrorCodes.INVALID_PARAMETER, "logprobs is " + shown(logprobs) + ": it must be true or false", "logprobs");
        }
        JsonNode top = body.get("top_logprobs");
        if (top != null && !top.isNull()) {
            if (!whole(top, 0, MAX_LOGPROBS)) {
                return fail(ErrorCodes.INVALID_PARAMETER, "top_logprobs is " + shown(top) + ": it must be a whole number from 0 to "
                        + MAX_LOGPROBS, "top_logprobs");
            }
            if (logprobs == null || !logprobs.asBoolean(false)) {
                return fail(ErrorCodes.INVALID_PARAMETER, "top_logprobs needs logprobs: set \"logprobs\": true as well",
                        "top_logprobs");
            }
        }
        JsonNode prompt = body.get("prompt_logprobs");
        if (prompt != null && !prompt.isNull()
                && !whole(prompt, 0, MAX_LOGPROBS)) {
            return fail(ErrorCodes.INVALID_PARAMETER, "prompt_logprobs is " + shown(prompt) + ": it must be a whole number from 0 to "
                    + MAX_LOGPROBS + " (how many alternatives to list for each prompt token)", "prompt_logprobs");
        }
        return Optional.empty();
    }

    /**
     * A whole number within [min, max]. asLong() and asInt() wrap a number too large for them
     * (2^64 + 5 reads as 5), so range checks on them alone let such a number through.
     */
    private static boolean whole(JsonNode v, long min, long max) {
        return v.isIntegralNumber() && v.canConvertToLong() && v.asLong() >= min && v.asLong() <= max;
    }

    private static Optional<ErrorInfo> range(JsonNode body, String field, double min, double max) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        // NaN compares false both ways: only a finite value in range passes.
        if (!v.isNumber() || !(v.asDouble() >= min && v.asDouble() <= max)) {
            return fail(ErrorCodes.INVALID_PARAMETER, field + " is " + shown(v) + ": it must be a number from " + fmt(min) + " to " + fmt(max), field);
        }
        return Optional.empty();
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    /** A client's value as an error message repeats it: bounded, since a field may hold up to a whole line. */
    static String shown(JsonNode v) {
        return v.isTextual() ? shown(v.asText()) : clip(v.toString());
    }

    static String shown(String s) {
        return s == null ? "missing" : "'" + clip(s) + "'";
    }

    private static String clip(String s) {
        return s.length() <= MAX_SHOWN ? s : s.substring(0, MAX_SHOWN) + "... (" + s.length() + " characters)";
    }

    private static Optional<ErrorInfo> fail(String code, String message, String param) {
        return Optional.of(new ErrorInfo(code, message, param, null));
    }
}
