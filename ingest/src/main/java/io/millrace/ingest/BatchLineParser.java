package io.millrace.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Ids;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import java.time.Clock;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Turns the lines of one OpenAI batch input file into request events or immediate error results.
 * Stateful for one file only: it remembers the custom_ids seen, since they must be unique within
 * a file (OpenAI rejects the whole file; we answer the repeated line with an error and go on).
 */
public final class BatchLineParser {
    private final String batchId;
    private final ChatRequestValidator validator;
    private final Clock clock;
    private final Set<String> seenCustomIds = new HashSet<>();

    public BatchLineParser(String batchId, ChatRequestValidator validator, Clock clock) {
        this.batchId = Ids.checkBatchId(batchId);
        this.validator = validator;
        this.clock = clock;
    }

    /**
     * The longest line published as a request: a Kafka record must fit the producer's request
     * limit (1 MiB by default) with the event's other fields, or the whole submission would fail.
     */
    public static final int MAX_LINE_BYTES = 900 * 1024;

    /** @param line 1-based line number in the file; {@code text} is the line without its newline. */
    public LineOutcome parse(long line, String text) {
        int bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes > MAX_LINE_BYTES) {
            return reject(line, null, ErrorInfo.of(ErrorCodes.REQUEST_TOO_LARGE, "line " + line + " is " + bytes
                    + " bytes, over the " + MAX_LINE_BYTES + " bytes a request may have: shorten its messages"));
        }
        JsonNode json;
        try {
            json = Json.parse(text);
        } catch (JsonProcessingException e) {
            return reject(line, null, ErrorInfo.of(ErrorCodes.INVALID_JSON, "line " + line + " is not valid JSON ("
                    + e.getOriginalMessage() + " at column " + e.getLocation().getColumnNr()
                    + "): each line must be one JSON object {\"custom_id\", \"method\", \"url\", \"body\"}"));
        }
        if (json == null || !json.isObject()) {
            return reject(line, null, ErrorInfo.of(ErrorCodes.INVALID_JSON,
                    "line " + line + " is JSON but not an object: each line must be {\"custom_id\", \"method\", \"url\", \"body\"}"));
        }
        JsonNode customId = json.get("custom_id");
        if (customId == null || !customId.isTextual() || customId.asText().isBlank()) {
            return reject(line, null, ErrorInfo.of(ErrorCodes.MISSING_CUSTOM_ID, "line " + line
                    + " has no custom_id: give every line a unique string \"custom_id\" to match its result")
                    .atParam("custom_id"));
        }
        String id = customId.asText();
        if (!seenCustomIds.add(id)) {
            return reject(line, id, ErrorInfo.of(ErrorCodes.DUPLICATE_CUSTOM_ID, "line " + line + " repeats custom_id '" + id
                    + "' of an earlier line: custom_ids must be unique within a file").atParam("custom_id"));
        }
        RequestEvent request = new RequestEvent(Ids.requestId(batchId, id), batchId, id, line,
                text(json, "method"), text(json, "url"), json.get("body"), null, clock.millis());
        Optional<ErrorInfo> problem = validator.validate(request);
        if (problem.isPresent()) {
            ErrorInfo e = problem.get();
            return new LineOutcome.Rejected(ResultEvent.failure(request, 400,
                    new ErrorInfo(e.code(), "line " + line + ": " + e.message(), e.param(), line), clock.millis()));
        }
        return new LineOutcome.Accepted(request);
    }

    private LineOutcome reject(long line, String customId, ErrorInfo error) {
        // Such a line has no custom_id of its own (missing, or taken by an earlier line), so it is
        // answered under its line number, which is unique within the file.
        RequestEvent stub = new RequestEvent(Ids.requestIdForLine(batchId, line), batchId, customId, line,
                null, null, null, null, clock.millis());
        return new LineOutcome.Rejected(ResultEvent.failure(stub, 400, error, clock.millis()));
    }

    private static String text(JsonNode json, String field) {
        JsonNode v = json.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }
}
