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

    /**
     * The id of a file Millrace writes for something that already has an id (a batch's output):
     * always the same for the same seed, so writing it again after a crash or restart finds or
     * replaces the one file rather than making a second. The time part is the owner's creation
     * time, so it sorts among uploads as that owner does.
     */
    static String derived(String seed, long ownerCreatedAtMillis) {
        byte[] digest;
        try {
            digest = java.security.MessageDigest.getInstance("SHA-256").digest(seed.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
        return String.format("file-%012x", ownerCreatedAtMillis) + HexFormat.of().formatHex(digest, 0, 6);
    }

    /** False for anything no file of this API can be called: looked up without asking Kafka. */
    static boolean wellFormed(String id) {
        return id != null && ID.matcher(id).matches();
    }
}
