package io.millrace.router;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.InputLimits;
import io.millrace.protocol.InvalidInput;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.RequestEvent;

/**
 * Turns the raw value of a {@code millrace.requests} record into a {@link RequestEvent}, or into
 * the parser's complaint. The source reads bytes rather than using the topic's serde so that a bad
 * value becomes an answer here instead of a deserialization failure that stops the stream thread;
 * for the same reason nothing a value holds makes {@link #decode} throw.
 */
final class RequestDecoder {
    /** Trailing tokens fail: two events concatenated in one value must not pass as the first. */
    private static final ObjectReader READER = Json.MAPPER.readerFor(RequestEvent.class)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Either an event or the reason there is none. */
    sealed interface Decoded {
        record Event(RequestEvent event) implements Decoded {}

        /** @param code {@link ErrorCodes#INVALID_JSON} or {@link ErrorCodes#REQUEST_TOO_LARGE} */
        record Invalid(String code, String problem) implements Decoded {}
    }

    private RequestDecoder() {}

    static Decoded decode(byte[] value) {
        if (value == null || value.length == 0) {
            return new Decoded.Invalid(ErrorCodes.INVALID_JSON, "the record value is empty");
        }
        if (value.length > InputLimits.MAX_EVENT_BYTES) {
            // Checked before parsing: a topic configured for larger records must not make the
            // router parse them, nor route what no generation topic would take.
            return new Decoded.Invalid(ErrorCodes.REQUEST_TOO_LARGE, "the record value is " + value.length
                    + " bytes, over the limit of " + InputLimits.MAX_EVENT_BYTES + " bytes a request event may have");
        }
        try {
            RequestEvent event = Json.readInput(READER, value);
            return event == null ? new Decoded.Invalid(ErrorCodes.INVALID_JSON, "the record value is JSON null")
                    : new Decoded.Event(event);
        } catch (InvalidInput e) {
            StringBuilder s = new StringBuilder(e.problem());
            if (e.lineNr() > 0) {
                s.append(" at line ").append(e.lineNr()).append(", column ").append(e.columnNr());
            }
            return new Decoded.Invalid(e.code(), s.toString());
        }
    }
}
