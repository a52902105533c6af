package io.millrace.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Ids;
import io.millrace.protocol.InputLimits;
import io.millrace.protocol.InvalidInput;
import io.millrace.protocol.Json;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.RequestOutcome;
import io.millrace.protocol.events.ResultEvent;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the lines of one OpenAI batch input file into request events or immediate error results.
 * Stateful for one file only: it remembers the custom_ids seen, since they must be unique within
 * a file (OpenAI rejects the whole file; we answer the repeated line with an error and go on).
 *
 * <p>Guarantee: every line gets exactly one outcome, whatever its content; nothing a line holds
 * can make {@link #parse} throw, so one line never costs the others of the file.
 */
public final class BatchLineParser {
    private static final Logger LOG = LoggerFactory.getLogger(BatchLineParser.class);

    /** The longest line published as a request; see {@link InputLimits#MAX_LINE_BYTES}. */
    public static final int MAX_LINE_BYTES = InputLimits.MAX_LINE_BYTES;

    private static final String SHAPE = "each line must be one JSON object {\"custom_id\", \"method\", \"url\", \"body\"}";

    private final String batchId;
    private final ChatRequestValidator validator;
    private final Clock clock;
    private final Set<String> seenCustomIds = new HashSet<>();
    /** The batch's endpoint, which every line's url must equal (OpenAI's rule); null: any the validator takes. */
    private final String endpoint;

    public BatchLineParser(String batchId, ChatRequestValidator validator, Clock clock) {
        this(batchId, validator, clock, null);
    }

    /** @param endpoint the batch's endpoint, e.g. {@code /v1/completions}; null: lines may use any supported url */
    public BatchLineParser(String batchId, ChatRequestValidator validator, Clock clock, String endpoint) {
        this.batchId = Ids.checkBatchId(batchId);
        this.validator = validator;
        this.clock = clock;
        this.endpoint = endpoint;
    }

    /** A line as {@link BatchFile} read it: bytes that may be too long or not UTF-8 at all. */
    public RequestOutcome parse(BatchFile.Line raw) {
        if (raw.content() == null || raw.length() > MAX_LINE_BYTES) {
            return tooLarge(raw.number(), raw.length());
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(raw.content());
        CharBuffer out = CharBuffer.allocate(raw.content().length);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) {
            return reject(raw.number(), null, ErrorInfo.of(ErrorCodes.INVALID_JSON, "line " + raw.number()
                    + " is not valid UTF-8 (a bad byte sequence at byte " + (in.position() + 1)
                    + "): save the file as UTF-8; JSON text must be UTF-8"));
        }
        decoder.flush(out);
        return parse(raw.number(), out.flip().toString());
    }

    /** @param line 1-based line number in the file; {@code text} is the line without its newline. */
    public RequestOutcome parse(long line, String text) {
        try {
            return parseChecked(line, text);
        } catch (RuntimeException e) {
            // No known input gets here (the fuzz tests look for one); if one does, it is a bug in
            // Millrace, and it costs that line only: an answer, and the stack trace in the log.
            LOG.error("line {} of batch {} could not be checked; answering it with an error", line, batchId, e);
            RequestEvent stub = new RequestEvent(Ids.requestIdForLine(batchId, line), batchId, null, line,
                    null, null, null, null, clock.millis());
            return new RequestOutcome.Rejected(ResultEvent.failure(stub, 500, ErrorInfo.of(ErrorCodes.INTERNAL_ERROR, "line " + line
                    + " could not be checked (" + e.getClass().getSimpleName() + "): this is a Millrace bug; please report it"
                    + " with the line"), clock.millis()));
        }
    }

    private RequestOutcome parseChecked(long line, String text) {
        int bytes = utf8Length(text);
        if (bytes > MAX_LINE_BYTES) {
            return tooLarge(line, bytes);
        }
        JsonNode json;
        try {
            json = Json.readInput(text);
        } catch (InvalidInput e) {
            String where = e.columnNr() > 0 ? " at column " + e.columnNr() : "";
            String what = ErrorCodes.REQUEST_TOO_LARGE.equals(e.code())
                    ? "line " + line + " exceeds an input limit" + where + ": " + e.problem()
                    : "line " + line + " is not valid JSON (" + e.problem() + where + "): " + SHAPE;
            return reject(line, null, ErrorInfo.of(e.code(), what));
        }
        if (json == null || !json.isObject()) {
            return reject(line, null, ErrorInfo.of(ErrorCodes.INVALID_JSON, "line " + line + " is JSON but not an object: " + SHAPE));
        }
        JsonNode customId = json.get("custom_id");
        if (customId == null || !customId.isTextual() || customId.asText().isBlank()) {
            return reject(line, null, ErrorInfo.of(ErrorCodes.MISSING_CUSTOM_ID, "line " + line
                    + " has no custom_id: give every line a unique string \"custom_id\" to match its result")
                    .atParam("custom_id"));
        }
        String id = customId.asText();
        if (id.length() > InputLimits.MAX_ID_CHARS) {
            // Answered by line number: the id itself is too long to repeat in every event of the request.
            return reject(line, null, ErrorInfo.of(ErrorCodes.INVALID_PARAMETER, "line " + line + " has a custom_id of "
                    + id.length() + " characters, over the limit of " + InputLimits.MAX_ID_CHARS + ": use a shorter id")
                    .atParam("custom_id"));
        }
        if (!seenCustomIds.add(id)) {
            return reject(line, id, ErrorInfo.of(ErrorCodes.DUPLICATE_CUSTOM_ID, "line " + line + " repeats custom_id '" + id
                    + "' of an earlier line: custom_ids must be unique within a file").atParam("custom_id"));
        }
        RequestEvent request = new RequestEvent(Ids.requestId(batchId, id), batchId, id, line,
                text(json, "method"), text(json, "url"), json.get("body"), null, clock.millis());
        Optional<ErrorInfo> problem = endpoint != null && request.url() != null && !endpoint.equals(request.url())
                ? Optional.of(ErrorInfo.of(ErrorCodes.INVALID_URL, "url '" + request.url() + "' is not the batch's endpoint '"
                        + endpoint + "': every line of a batch must use its endpoint").atParam("url"))
                : validator.validate(request);
        if (problem.isPresent()) {
            ErrorInfo e = problem.get();
            return new RequestOutcome.Rejected(ResultEvent.failure(request, 400,
                    new ErrorInfo(e.code(), "line " + line + ": " + e.message(), e.param(), line), clock.millis()));
        }
        // The event is the body as Jackson writes it again, which can be longer than the line
        // (1e6 is written 1000000.0): measured, so that a send can never fail on its size.
        int eventBytes = Topics.REQUEST_SERDE.serializer().serialize(Topics.REQUESTS.name(), request).length;
        if (eventBytes > InputLimits.MAX_EVENT_BYTES) {
            return new RequestOutcome.Rejected(ResultEvent.failure(request, 400, new ErrorInfo(ErrorCodes.REQUEST_TOO_LARGE,
                    "line " + line + " makes a request event of " + eventBytes + " bytes, over the limit of "
                            + InputLimits.MAX_EVENT_BYTES + ": shorten its messages", "body", line), clock.millis()));
        }
        return new RequestOutcome.Accepted(request);
    }

    private RequestOutcome tooLarge(long line, long bytes) {
        return reject(line, null, ErrorInfo.of(ErrorCodes.REQUEST_TOO_LARGE, "line " + line + " is " + bytes
                + " bytes, over the limit of " + MAX_LINE_BYTES + " bytes a line may have: shorten its messages"));
    }

    private RequestOutcome reject(long line, String customId, ErrorInfo error) {
        // Such a line has no custom_id of its own (missing, or taken by an earlier line), so it is
        // answered under its line number, which is unique within the file.
        RequestEvent stub = new RequestEvent(Ids.requestIdForLine(batchId, line), batchId, customId, line,
                null, null, null, null, clock.millis());
        return new RequestOutcome.Rejected(ResultEvent.failure(stub, 400, error, clock.millis()));
    }

    /** UTF-8 length without encoding: a lone surrogate counts as the one '?' byte String.getBytes makes of it. */
    private static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                n += 1;
            } else {
                n += 3;
            }
        }
        return n;
    }

    private static String text(JsonNode json, String field) {
        JsonNode v = json.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }
}
