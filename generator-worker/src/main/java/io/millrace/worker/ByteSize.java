package io.millrace.worker;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A memory size as a setting spells it: bytes, or a whole number with k, m, g or t (binary units,
 * as the JVM's -Xmx reads them; an optional trailing b or ib, any case): {@code 536870912},
 * {@code 512m}, {@code 2GiB}; {@code 1.5g} is refused, with a message that says how to write it.
 */
final class ByteSize {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmgt]?)(i?b)?");

    private ByteSize() {}

    /** The size {@code value} spells, for the setting {@code key}; the message of a bad one says how to write it. */
    static long parse(String key, Object value) {
        String text = value.toString().trim().toLowerCase(Locale.ROOT);
        Matcher m = SIZE.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException(key + " is '" + value + "': write a size in bytes, or with k, m, g or t"
                    + " (binary units), such as 512m or 2g");
        }
        int shift = switch (m.group(2)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        try {
            long n = Long.parseLong(m.group(1));
            if (n > Long.MAX_VALUE >> shift) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " is '" + value + "': too large for a memory size");
        }
    }
}
