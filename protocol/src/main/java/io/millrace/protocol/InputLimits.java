package io.millrace.protocol;

import com.fasterxml.jackson.core.StreamReadConstraints;

/**
 * The limits on what any client may send, in one place: the JSON parser of {@link Json} enforces
 * the parser's share (nesting, string, number and name length), the entry points the sizes (a
 * batch line, a request record) and {@link ChatRequestValidator} the counts. The README's "Limits"
 * section lists the same numbers; an input over one is answered {@code request_too_large} with
 * the limit named, never with a failure of the stage.
 */
public final class InputLimits {
    /**
     * The longest batch line published as a request: a Kafka record must fit the producer's request
     * limit (1 MiB by default) with the event's other fields, or the whole submission would fail.
     */
    public static final int MAX_LINE_BYTES = 900 * 1024;

    /**
     * The largest request event, as a record value on {@code millrace.requests} and as the routed
     * copy on a generation topic: Kafka's default record limit (1 MiB) less room for key and headers.
     */
    public static final int MAX_EVENT_BYTES = 1000 * 1024;

    /**
     * JSON nesting depth. An OpenAI chat request needs about 6 to 10 levels and tool schemas a few
     * dozen; recursion deeper than this is an attack on the parser's stack, not a request.
     */
    public static final int MAX_DEPTH = 64;

    /** The longest JSON string, in chars: a string can never be longer than the line it is on. */
    public static final int MAX_STRING_CHARS = MAX_LINE_BYTES;

    /**
     * The longest JSON number, in chars. Every parameter fits in 20 digits; longer numbers cost the
     * parser quadratic time to convert (why Jackson limits them at all).
     */
    public static final int MAX_NUMBER_CHARS = 100;

    /** The longest JSON field name, in chars. */
    public static final int MAX_NAME_CHARS = 1024;

    /** Messages in one request: OpenAI accepts 2048 too. */
    public static final int MAX_MESSAGES = 2048;

    /**
     * Prompts in one {@code /v1/completions} request (its list forms), and token ids in all of
     * them together. Each prompt becomes one generation, so this bounds a request's work as
     * MAX_MESSAGES bounds a chat's; lm-evaluation-harness sends batches of far fewer.
     */
    public static final int MAX_PROMPTS = 2048;
    public static final int MAX_PROMPT_TOKEN_IDS = 262_144;

    /**
     * The longest id: custom_id, request_id (the record key) and batch_id. Ids are repeated in every
     * event and result of the request and in the dedup store, so they must stay small.
     */
    public static final int MAX_ID_CHARS = 512;

    private InputLimits() {}

    /** The parser's share of the limits, set on {@link Json#MAPPER}'s factory. */
    static StreamReadConstraints streamReadConstraints() {
        return StreamReadConstraints.builder()
                .maxNestingDepth(MAX_DEPTH)
                .maxStringLength(MAX_STRING_CHARS)
                .maxNumberLength(MAX_NUMBER_CHARS)
                .maxNameLength(MAX_NAME_CHARS)
                .build();
    }

    /**
     * What a parser limit violation means in the README's words: Jackson's own message names its
     * method ({@code StreamReadConstraints.getMaxNestingDepth()}), which tells a client nothing.
     */
    static String describe(String jacksonMessage) {
        String m = jacksonMessage == null ? "" : jacksonMessage;
        if (m.contains("nesting depth")) {
            return "JSON nested deeper than the limit of " + MAX_DEPTH + " levels: flatten the request";
        }
        if (m.contains("String value length")) {
            return "a JSON string longer than the limit of " + MAX_STRING_CHARS + " characters: shorten it";
        }
        if (m.contains("Number value length")) {
            return "a JSON number longer than the limit of " + MAX_NUMBER_CHARS + " characters: write it shorter";
        }
        if (m.contains("Name length")) {
            return "a JSON field name longer than the limit of " + MAX_NAME_CHARS + " characters: shorten it";
        }
        return "the JSON exceeds an input limit (" + (m.isEmpty() ? "unnamed" : m) + "): see the README \"Limits\"";
    }
}
