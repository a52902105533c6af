package io.millrace.results.files;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * File ids, {@code file-} and 24 hex digits: the creation time in milliseconds (12 digits) then
 * 48 random bits. Ids sort as the files were created, which makes them cursors for paging that
 * survive the deletion of the file they name; the random part keeps them unguessable enough and
 * unique across API instances without coordination.
 */
final class FileIds {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern ID = Pattern.compile("file-[0-9a-f]{24}");

    private FileIds() {}

    static String newId(long createdAtMillis) {
        byte[] random = new byte[6];
        RANDOM.nextBytes(random);
        return String.format("file-%012x", createdAtMillis) + HexFormat.of().formatHex(random);
    }

    /** False for anything no file of this API can be called: looked up without asking Kafka. */
    static boolean wellFormed(String id) {
        return id != null && ID.matcher(id).matches();
    }
}
