package io.millrace.worker.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The exact bytes of every token, read from {@code tokenizer.json}. Decoding a token alone cannot
 * give them when the token holds part of a UTF-8 character, and OpenAI's logprobs report them (as
 * {@code bytes}) so that clients can join such tokens. Byte-level BPE vocabularies (GPT-2, Llama 3,
 * Qwen) spell every byte as one printable character (GPT-2's bytes_to_unicode table);
 * SentencePiece vocabularies spell a space as U+2581 and raw bytes as {@code <0xNN>}.
 */
final class TokenBytes {
    private static final Pattern BYTE_FALLBACK = Pattern.compile("<0x([0-9A-Fa-f]{2})>");

    private final Map<Integer, byte[]> bytes;
    private final Set<Integer> special;

    private TokenBytes(Map<Integer, byte[]> bytes, Set<Integer> special) {
        this.bytes = bytes;
        this.special = special;
    }

    static TokenBytes read(JsonNode tokenizer) {
        boolean byteLevel = usesByteLevel(tokenizer.path("decoder"));
        Map<Integer, Integer> symbolToByte = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            symbolToByte.put((int) ByteLevel.symbol(b).charAt(0), b);
        }
        Map<Integer, byte[]> bytes = new HashMap<>();
        JsonNode vocab = tokenizer.path("model").path("vocab");
        if (vocab.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                bytes.put(e.getValue().asInt(), byteLevel ? byteLevel(e.getKey(), symbolToByte) : sentencePiece(e.getKey()));
            }
        } else {
            // Unigram: [[piece, score], ...], the id being the index.
            for (int id = 0; id < vocab.size(); id++) {
                bytes.put(id, sentencePiece(vocab.get(id).path(0).asText()));
            }
        }
        // Added tokens (the special ones) are matched and decoded literally.
        Set<Integer> special = new HashSet<>();
        tokenizer.path("added_tokens").forEach(t -> {
            bytes.put(t.path("id").asInt(), t.path("content").asText().getBytes(StandardCharsets.UTF_8));
            if (t.path("special").asBoolean(false)) {
                special.add(t.path("id").asInt());
            }
        });
        return new TokenBytes(bytes, Set.copyOf(special));
    }

    /** The token's bytes; empty for an id outside the vocabulary. */
    byte[] of(int id) {
        byte[] b = bytes.get(id);
        return b == null ? new byte[0] : b.clone();
    }

    /** Whether decoding leaves the token out of the text (an added token marked special, such as a BOS). */
    boolean special(int id) {
        return special.contains(id);
    }

    private static boolean usesByteLevel(JsonNode decoder) {
        if ("ByteLevel".equals(decoder.path("type").asText())) {
            return true;
        }
        for (JsonNode d : decoder.path("decoders")) {
            if (usesByteLevel(d)) {
                return true;
            }
        }
        return false;
    }

    private static byte[] byteLevel(String token, Map<Integer, Integer> symbolToByte) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(token.length());
        token.codePoints().forEach(c -> {
            Integer b = symbolToByte.get(c);
            if (b != null) {
                out.write(b);
            } else {
                out.writeBytes(new String(Character.toChars(c)).getBytes(StandardCharsets.UTF_8));
            }
        });
        return out.toByteArray();
    }

    private static byte[] sentencePiece(String token) {
        Matcher m = BYTE_FALLBACK.matcher(token);
        if (m.matches()) {
            return new byte[] {(byte) Integer.parseInt(m.group(1), 16)};
        }
        return token.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
    }
}
