package io.millrace.router;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectReader;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.RequestEvent;
import java.io.IOException;
import java.util.stream.Collectors;

/**
 * Turns the raw value of a {@code millrace.requests} record into a {@link RequestEvent}, or into
 * the parser's complaint. The source reads bytes rather than using the topic's serde so that a bad
 * value becomes an answer here instead of a deserialization failure that stops the stream thread.
 */
final class RequestDecoder {
    /** Trailing tokens fail: two events concatenated in one value must not pass as the first. */
    private static final ObjectReader READER = Json.MAPPER.readerFor(RequestEvent.class)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Either an event or the reason there is none. */
    sealed interface Decoded {
        record Event(RequestEvent event) implements Decoded {}

        record Invalid(String problem) implements Decoded {}
    }

    private RequestDecoder() {}

    static Decoded decode(byte[] value) {
        if (value == null || value.length == 0) {
            return new Decoded.Invalid("the record value is empty");
        }
        try {
            RequestEvent event = READER.readValue(value);
            return event == null ? new Decoded.Invalid("the record value is JSON null") : new Decoded.Event(event);
        } catch (JsonProcessingException e) {
            return new Decoded.Invalid(describe(e));
        } catch (IOException e) {
            // Reading a byte array does no I/O; kept apart so a parser problem is never mistaken for one.
            return new Decoded.Invalid("the record value cannot be read: " + e.getMessage());
        }
    }

    /** The parser's own words, with where it stopped, but never the offending content's source. */
    private static String describe(JsonProcessingException e) {
        StringBuilder s = new StringBuilder(e.getOriginalMessage());
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            s.append(" (field ").append(m.getPath().stream()
                    .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining("."))).append(')');
        }
        if (e.getLocation() != null && e.getLocation().getLineNr() > 0) {
            s.append(" at line ").append(e.getLocation().getLineNr())
                    .append(", column ").append(e.getLocation().getColumnNr());
        }
        return s.toString();
    }
}
