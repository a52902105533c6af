package io.millrace.results;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.Json;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The body of {@code POST /v1/batches}, exactly OpenAI's, validated as OpenAI validates it. Each
 * refusal is a 400 OpenAI error naming the {@code param} to fix.
 *
 * @param metadata null when not given
 */
record BatchCreateRequest(String inputFileId, String endpoint, String completionWindow, Map<String, String> metadata) {
    /** The endpoints a batch may run: chat and legacy completions (OpenAI also has embeddings). */
    static final java.util.List<String> ENDPOINTS = java.util.List.of(ChatRequestValidator.CHAT_COMPLETIONS,
            ChatRequestValidator.COMPLETIONS);
    static final int MAX_METADATA_PAIRS = 16;
    static final int MAX_METADATA_KEY_CHARS = 64;
    static final int MAX_METADATA_VALUE_CHARS = 512;
    /**
     * The metadata key that asks for budget routing ({@link io.millrace.protocol.BudgetUsd}): USD as
     * a string, e.g. {@code "2.50"}. Its form is checked here, at creation; whether the lines fit it is
     * planned by ingest before any line is published (a batch that cannot keep it fails then,
     * {@code budget_not_planned}, at no cost), as OpenAI reports a file's problems in the batch's errors.
     */
    static final String BUDGET_USD = io.millrace.protocol.BudgetUsd.METADATA_KEY;

    /** A body that cannot make a batch; {@link #error} is the answer. */
    static final class Invalid extends RuntimeException {
        final ApiError error;

        Invalid(ApiError error) {
            super(error.message(), null, false, false); // an answer, not a fault
            this.error = error;
        }
    }

    static BatchCreateRequest parse(byte[] body) {
        JsonNode json;
        try {
            json = Json.MAPPER.readTree(body);
        } catch (java.io.IOException | RuntimeException e) {
            throw invalid("invalid_json", null, "The body is not valid JSON: send a JSON object with 'input_file_id',"
                    + " 'endpoint' and 'completion_window'.");
        }
        if (json == null || !json.isObject()) {
            throw invalid("invalid_json", null, "The body must be a JSON object with 'input_file_id', 'endpoint' and"
                    + " 'completion_window'.");
        }
        String inputFileId = requiredString(json, "input_file_id");
        String endpoint = requiredString(json, "endpoint");
        if (!ENDPOINTS.contains(endpoint)) {
            throw invalid("invalid_value", "endpoint", "Invalid value for 'endpoint': '" + endpoint
                    + "'. This deployment supports " + ENDPOINTS + ".");
        }
        String window = requiredString(json, "completion_window");
        if (!BatchView.COMPLETION_WINDOW.equals(window)) {
            throw invalid("invalid_value", "completion_window", "Invalid value for 'completion_window': '" + window
                    + "'. Supported values are: '" + BatchView.COMPLETION_WINDOW + "'.");
        }
        Map<String, String> metadata = metadata(json.get("metadata"));
        if (metadata != null && metadata.containsKey(BUDGET_USD)) {
            budget(metadata.get(BUDGET_USD));
        }
        return new BatchCreateRequest(inputFileId, endpoint, window, metadata);
    }

    /** Refuses a {@code budget_usd} that is not a number of US dollars above 0 now, not once the batch runs. */
    private static void budget(String usd) {
        if (io.millrace.protocol.BudgetUsd.parse(usd).isEmpty()) {
            String shown = usd.length() > 40 ? usd.substring(0, 40) + "..." : usd;
            throw invalid("invalid_value", "metadata." + BUDGET_USD, "Invalid value for 'metadata." + BUDGET_USD + "': '" + shown
                    + "'. Give the budget in US dollars as a number above 0, e.g. \"2.50\", or leave it out.");
        }
    }

    private static String requiredString(JsonNode json, String field) {
        JsonNode v = json.get(field);
        if (v == null || v.isNull()) {
            throw invalid("missing_required_parameter", field, "Missing required parameter: '" + field + "'.");
        }
        if (!v.isTextual()) {
            throw invalid("invalid_type", field, "Invalid type for '" + field + "': expected a string, but got "
                    + v.getNodeType().toString().toLowerCase() + ".");
        }
        return v.asText();
    }

    private static Map<String, String> metadata(JsonNode m) {
        if (m == null || m.isNull()) {
            return null;
        }
        if (!m.isObject()) {
            throw invalid("invalid_type", "metadata", "Invalid type for 'metadata': expected an object of string values.");
        }
        if (m.size() > MAX_METADATA_PAIRS) {
            throw invalid("invalid_value", "metadata", "Invalid 'metadata': " + m.size() + " pairs, over the limit of "
                    + MAX_METADATA_PAIRS + ".");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().length() > MAX_METADATA_KEY_CHARS) {
                throw invalid("invalid_value", "metadata", "Invalid 'metadata': a key of " + e.getKey().length()
                        + " characters, over the limit of " + MAX_METADATA_KEY_CHARS + ".");
            }
            if (!e.getValue().isTextual()) {
                throw invalid("invalid_type", "metadata", "Invalid type for 'metadata." + e.getKey() + "': expected a string.");
            }
            if (e.getValue().asText().length() > MAX_METADATA_VALUE_CHARS) {
                throw invalid("invalid_value", "metadata", "Invalid 'metadata." + e.getKey() + "': a value of "
                        + e.getValue().asText().length() + " characters, over the limit of " + MAX_METADATA_VALUE_CHARS + ".");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private static Invalid invalid(String code, String param, String message) {
        return new Invalid(new ApiError(400, ApiError.INVALID_REQUEST, code, message, param));
    }
}
