package io.millrace.worker.model;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The two fixed parts of GPT-2's byte-level BPE that the trainer must share with the Hugging Face
 * {@code ByteLevel} pre-tokenizer: the split regex and the byte-to-printable-character table. Merges
 * learned on different splits or symbols would never apply at tokenization time.
 */
public final class ByteLevel {
    /** GPT-2's pre-tokenizer regex; merges never cross the boundaries it draws. */
    private static final Pattern SPLIT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private static final char[] BYTE_TO_CHAR = byteToChar();

    private ByteLevel() {}

    /** The printable character standing for byte {@code b} (0..255), as GPT-2's bytes_to_unicode. */
    public static String symbol(int b) {
        return String.valueOf(BYTE_TO_CHAR[b]);
    }

    /** Splits text as the ByteLevel pre-tokenizer does and maps each piece to its byte symbols. */
    public static List<List<String>> preTokenize(String text) {
        List<List<String>> words = new ArrayList<>();
        Matcher m = SPLIT.matcher(text);
        while (m.find()) {
            byte[] bytes = m.group().getBytes(StandardCharsets.UTF_8);
            List<String> symbols = new ArrayList<>(bytes.length);
            for (byte b : bytes) {
                symbols.add(symbol(b & 0xFF));
            }
            words.add(symbols);
        }
        return words;
    }

    /**
     * Printable bytes map to themselves; the rest (controls, space, 0x7F-0xA0, 0xAD) are shifted to
     * 256 and up, so that every token is visible text and a space never appears inside a merge rule.
     */
    private static char[] byteToChar() {
        char[] table = new char[256];
        boolean[] printable = new boolean[256];
        for (int b = 0; b < 256; b++) {
            printable[b] = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        }
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            table[b] = printable[b] ? (char) b : (char) (256 + shifted++);
        }
        return table;
    }
}
