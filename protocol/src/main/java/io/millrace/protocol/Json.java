package io.millrace.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.stream.Collectors;

/**
 * The one JSON dialect of the topic contract: snake_case field names (as OpenAI's APIs use),
 * unknown fields ignored so that producers may add fields without breaking older consumers.
 * Every read goes through the parser limits of {@link InputLimits}: set here, once, so that no
 * entry point can parse a client's JSON with Jackson's looser defaults.
 */
public final class Json {
    /** Shared, thread-safe once configured. */
    public static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
                    .streamReadConstraints(InputLimits.streamReadConstraints()).build())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .setSerializationInclusion(JsonInclude.Include.ALWAYS)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private Json() {}

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }

    public static byte[] writeBytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }

    /** Parses a JSON text; throws {@link JsonProcessingException} with the parser's location on bad input. */
    public static JsonNode parse(String text) throws JsonProcessingException {
        return MAPPER.readTree(text);
    }

    /** A reader of one JSON value that rejects anything after it: two values in one input are not one request. */
    public static final ObjectReader TREE_READER = MAPPER.readerFor(JsonNode.class)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /**
     * Parses untrusted text (a batch line) as one JSON value. Every failure, a parser limit
     * included, becomes an {@link InvalidInput} with a code, a message and a position.
     */
    public static JsonNode readInput(String text) throws InvalidInput {
        JsonParser p = null;
        try {
            p = TREE_READER.createParser(text);
            return TREE_READER.readValue(p);
        } catch (IOException | RuntimeException e) {
            throw invalid(e, p);
        } finally {
            closeQuietly(p);
        }
    }

    /**
     * Reads untrusted bytes (a record value) with {@code reader}; as {@link #readInput(String)}.
     * Null when the bytes are JSON {@code null} or hold no value.
     */
    public static <T> T readInput(ObjectReader reader, byte[] bytes) throws InvalidInput {
        JsonParser p = null;
        try {
            p = reader.createParser(bytes);
            return reader.readValue(p);
        } catch (IOException | RuntimeException e) {
            // RuntimeException too: databind may throw one on input no parser check anticipated, and
            // a client's bytes must never fail the stage that reads them.
            throw invalid(e, p);
        } finally {
            closeQuietly(p);
        }
    }

    private static InvalidInput invalid(Exception e, JsonParser p) {
        // Jackson's limit exceptions carry no location, and databind may wrap them: look down the
        // chain, and take the position from the parser, which knows where it stopped.
        JsonLocation at = e instanceof JsonProcessingException j ? j.getLocation() : null;
        if ((at == null || at.getLineNr() < 1) && p != null) {
            at = p.currentLocation();
        }
        int line = at == null || at.getLineNr() < 1 ? -1 : at.getLineNr();
        int column = at == null || at.getColumnNr() < 1 ? -1 : at.getColumnNr();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof StreamConstraintsException limit) {
                return new InvalidInput(ErrorCodes.REQUEST_TOO_LARGE, InputLimits.describe(limit.getOriginalMessage()),
                        line, column, e);
            }
        }
        return new InvalidInput(ErrorCodes.INVALID_JSON, describe(e), line, column, e);
    }

    /** The parser's own words without its echo of the source, plus the field path when databind knows it. */
    private static String describe(Exception e) {
        String message = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
        StringBuilder s = new StringBuilder(message == null || message.isBlank() ? e.getClass().getSimpleName() : message);
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            s.append(" (field ").append(m.getPath().stream()
                    .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining("."))).append(')');
        }
        return s.toString();
    }

    private static void closeQuietly(JsonParser p) {
        if (p != null) {
            try {
                p.close();
            } catch (IOException ignored) {
                // Parsing in-memory input: nothing to release that close could fail on.
            }
        }
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }
}
