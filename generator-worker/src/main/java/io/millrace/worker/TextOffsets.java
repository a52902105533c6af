package io.millrace.worker;

/**
 * Where each token's text starts in a choice's text, in characters (Unicode code points, as Python
 * and so OpenAI and vLLM count them), computed from the tokens' bytes as tiktoken's
 * {@code decode_with_offsets} does: the text so far holds one character per byte that starts a
 * character (not a UTF-8 continuation byte), and a token that begins inside a character (its first
 * byte a continuation byte) starts at that character.
 *
 * <p>Counting each token's decoded text instead drifts: a token holding part of a character
 * decodes alone to U+FFFD, so a character split over two tokens counts twice, and every later
 * offset is one too many (a multiple-choice scorer then takes the query's last token for the
 * choice's). Java's {@code String.length()} would count a character outside the BMP twice too.
 */
final class TextOffsets {
    private int chars;

    /** Offsets that start at {@code chars} characters into the text. */
    TextOffsets(int chars) {
        this.chars = chars;
    }

    /** The offset of a token with these bytes, the text then advanced past them. */
    int next(byte[] token) {
        int offset = Math.max(0, chars - (token.length > 0 && continuation(token[0]) ? 1 : 0));
        for (byte b : token) {
            chars += continuation(b) ? 0 : 1;
        }
        return offset;
    }

    private static boolean continuation(byte b) {
        return (b & 0xC0) == 0x80;
    }
}
