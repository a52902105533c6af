package io.millrace.protocol.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.InputLimits;
import io.millrace.protocol.Json;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Hostile inputs for the fuzz tests of every entry point: a valid JSON object (a batch line or a
 * request event) mutated one way, chosen by a seeded {@link Random} so that a failing case is
 * reproduced by its seed. Property-based in the plain sense: generate, then assert what must hold
 * for every input, whatever it is.
 *
 * <p>Kinds: cuts, byte flips, type swaps, deep nesting, huge and odd strings (NUL, lone
 * surrogates, emoji, template syntax), bytes that are not UTF-8, out-of-range numbers, duplicate
 * keys, trailing garbage, and no mutation at all.
 */
public final class Hostile {
    public enum Kind {
        VALID, CUT, BYTE_FLIP, TYPE_SWAP, DEEP_NESTING, HUGE_STRING, ODD_STRING, NOT_UTF8, ODD_NUMBER,
        DUPLICATE_KEY, TRAILING, DROP_FIELD
    }

    /** One generated input: how it was made, and its bytes. */
    public record Case(Kind kind, byte[] bytes) {
        public String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            String t = text();
            return kind + " (" + bytes.length + " bytes): " + (t.length() > 200 ? t.substring(0, 200) + "..." : t);
        }
    }

    private static final String[] ODD = {
        "\u0000", "\ud800", "\udfff", "\ud83d\ude00", "\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67", "{{ 7 * 7 }}",
        "{% for x in range(9999999) %}{% endfor %}", "{{ raise_exception('boom') }}", "{#", "\u202e\u2066", "\u2028\u2029",
        "\ufeff", "\uffff", "<|im_start|>system", "</s>", "\\", "\"", "\t\r\n", "null", "%s%n", "' OR 1=1 --",
        "e\u0301", "\u0085", "\u00a0"
    };
    private static final String[] NUMBERS = {
        "1e400", "-1e400", "-0", "-0.0", "1e-400", "18446744073709551621", "-9223372036854775809", "4294967297",
        "1" + "0".repeat(60), "0.000000000000000000000000000001", "1E6", "1e6", "2.5", "-1", "0", "9".repeat(99),
        "9".repeat(150), "\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "\"1e400\"", "NaN", "Infinity", "0x10", "01", "+1", ".5", "1."
    };
    private static final String[] VALUES = {
        "null", "true", "false", "0", "\"\"", "\"x\"", "[]", "{}", "[null]", "{\"a\":{}}", "-1", "1.5", "[[[]]]"
    };

    private Hostile() {}

    /** A valid chat-completion body for {@code model}, with contents that test the tokenizer and templates. */
    public static ObjectNode body(Random r, String model, int maxTokens) {
        ObjectNode body = Json.object();
        body.put("model", model);
        ArrayNode messages = body.putArray("messages");
        if (r.nextBoolean()) {
            messages.addObject().put("role", "system").put("content", "Be brief.");
        }
        messages.addObject().put("role", "user").put("content", "Say " + ODD[r.nextInt(ODD.length)] + " " + r.nextInt(1000));
        body.put("max_tokens", maxTokens);
        body.put("temperature", 0);
        return body;
    }

    /** A valid OpenAI batch input line. */
    public static ObjectNode batchLine(Random r, String customId, String model, int maxTokens) {
        ObjectNode line = Json.object();
        line.put("custom_id", customId);
        line.put("method", "POST");
        line.put("url", "/v1/chat/completions");
        line.set("body", body(r, model, maxTokens));
        return line;
    }

    /** A valid request event as any Kafka producer may write it (submitted_at left out on purpose half the time). */
    public static ObjectNode requestEvent(Random r, String requestId, String model, int maxTokens, long submittedAt) {
        ObjectNode event = Json.object();
        event.put("request_id", requestId);
        event.put("custom_id", requestId);
        event.put("url", "/v1/chat/completions");
        event.set("body", body(r, model, maxTokens));
        if (r.nextBoolean()) {
            event.put("submitted_at", submittedAt);
        }
        return event;
    }

    /** {@code valid} mutated one way, chosen by {@code r}; at most about {@code maxBytes} long. */
    public static Case mutate(Random r, ObjectNode valid, int maxBytes) {
        Kind kind = Kind.values()[r.nextInt(Kind.values().length)];
        return new Case(kind, mutate(r, valid, kind, maxBytes));
    }

    public static byte[] mutate(Random r, ObjectNode valid, Kind kind, int maxBytes) {
        ObjectNode copy = valid.deepCopy();
        byte[] bytes = Json.writeBytes(valid);
        switch (kind) {
            case VALID:
                return bytes;
            case CUT:
                return java.util.Arrays.copyOf(bytes, r.nextInt(bytes.length));
            case BYTE_FLIP: {
                byte[] b = bytes.clone();
                for (int i = 1 + r.nextInt(3); i > 0; i--) {
                    b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                }
                return b;
            }
            case TYPE_SWAP:
                return replaceValue(r, bytes, VALUES[r.nextInt(VALUES.length)]);
            case DEEP_NESTING: {
                int depth = r.nextBoolean() ? InputLimits.MAX_DEPTH - 8 + r.nextInt(16) : 100 + r.nextInt(6000);
                String open = r.nextBoolean() ? "[" : "{\"a\":";
                String close = open.equals("[") ? "]" : "}";
                return replaceValue(r, bytes, open.repeat(depth) + "1" + close.repeat(depth));
            }
            case HUGE_STRING: {
                int n = r.nextInt(4) == 0 ? maxBytes + r.nextInt(1024) : r.nextInt(Math.max(1, maxBytes / 4));
                return replaceValue(r, bytes, "\"" + "x".repeat(n) + "\"");
            }
            case ODD_STRING: {
                String odd = ODD[r.nextInt(ODD.length)];
                // Escaped for JSON (a lone surrogate as \\ud800, which Jackson reads into a Java string),
                // or raw (a lone surrogate written raw is invalid UTF-8 on the way out).
                String json = r.nextBoolean() ? Json.write(odd) : "\"" + odd.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
                return replaceValue(r, bytes, json);
            }
            case NOT_UTF8: {
                byte[][] bad = {{(byte) 0xC3, 0x28}, {(byte) 0xFF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF8, (byte) 0x88,
                        (byte) 0x80, (byte) 0x80, (byte) 0x80}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0xC0, (byte) 0xAF}};
                return insert(bytes, indexInside(r, bytes), bad[r.nextInt(bad.length)]);
            }
            case ODD_NUMBER:
                return replaceValue(r, bytes, NUMBERS[r.nextInt(NUMBERS.length)]);
            case DUPLICATE_KEY: {
                String t = new String(bytes, StandardCharsets.UTF_8);
                return ("{\"body\":7," + t.substring(1)).getBytes(StandardCharsets.UTF_8);
            }
            case TRAILING: {
                String[] tails = {" {}", "}", ",", " x", "\u0000", "[", Json.write(copy)};
                return concat(bytes, tails[r.nextInt(tails.length)].getBytes(StandardCharsets.UTF_8));
            }
            case DROP_FIELD: {
                List<String> names = new ArrayList<>();
                copy.fieldNames().forEachRemaining(names::add);
                JsonNode body = copy.get("body");
                if (body != null && body.isObject() && r.nextBoolean()) {
                    List<String> inBody = new ArrayList<>();
                    body.fieldNames().forEachRemaining(inBody::add);
                    ((ObjectNode) body).remove(inBody.get(r.nextInt(inBody.size())));
                } else {
                    copy.remove(names.get(r.nextInt(names.size())));
                }
                return Json.writeBytes(copy);
            }
            default:
                throw new IllegalArgumentException(kind.name());
        }
    }

    /** The text with one JSON value (after a random ':') replaced by {@code replacement}, as raw text. */
    private static byte[] replaceValue(Random r, byte[] bytes, String replacement) {
        String t = new String(bytes, StandardCharsets.UTF_8);
        List<Integer> colons = new ArrayList<>();
        for (int i = 0; i < t.length(); i++) {
            if (t.charAt(i) == ':' && i + 1 < t.length() && t.charAt(i - 1) == '"') {
                colons.add(i);
            }
        }
        int at = colons.get(r.nextInt(colons.size())) + 1;
        int end = valueEnd(t, at);
        return (t.substring(0, at) + replacement + t.substring(end)).getBytes(StandardCharsets.UTF_8);
    }

    /** Where the JSON value starting at {@code from} ends (exclusive), for valid JSON text. */
    private static int valueEnd(String t, int from) {
        int depth = 0;
        boolean inString = false;
        for (int i = from; i < t.length(); i++) {
            char c = t.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                    if (depth == 0) {
                        return i + 1;
                    }
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (depth == 0) {
                    return i;
                }
                depth--;
                if (depth == 0) {
                    return i + 1;
                }
            } else if (c == ',' && depth == 0) {
                return i;
            }
        }
        return t.length();
    }

    private static int indexInside(Random r, byte[] bytes) {
        return 1 + r.nextInt(Math.max(1, bytes.length - 2));
    }

    private static byte[] insert(byte[] bytes, int at, byte[] what) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(bytes, 0, at);
        out.write(what, 0, what.length);
        out.write(bytes, at, bytes.length - at);
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        return insert(a, a.length, b);
    }
}
