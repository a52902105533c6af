package io.millrace.eval;

import java.util.Locale;

/**
 * How answers are normalised before they are compared, as lm-evaluation-harness's {@code exact_match}
 * options: {@code ignore_case} lower-cases, {@code ignore_punctuation} removes the ASCII punctuation of
 * Python's {@code string.punctuation}, {@code ignore_whitespace} trims and collapses runs of
 * whitespace to one space (lm-eval's {@code remove_whitespace} filter and SQuAD's {@code white_space_fix}).
 * Punctuation goes before whitespace, so "a , b" and "a, b" both become "a b".
 */
public record Normalization(boolean ignoreCase, boolean ignoreWhitespace, boolean ignorePunctuation) {
    public static final Normalization NONE = new Normalization(false, false, false);

    /** Python's {@code string.punctuation}. */
    static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    public String apply(String text) {
        String s = text;
        if (ignoreCase) {
            s = s.toLowerCase(Locale.ROOT);
        }
        if (ignorePunctuation) {
            StringBuilder b = new StringBuilder(s.length());
            s.codePoints().filter(c -> c > 127 || PUNCTUATION.indexOf(c) < 0).forEach(b::appendCodePoint);
            s = b.toString();
        }
        if (ignoreWhitespace) {
            s = s.strip().replaceAll("\\s+", " ");
        }
        return s;
    }
}
