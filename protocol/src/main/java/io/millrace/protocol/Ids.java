package io.millrace.protocol;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Stable ids and hashes. The same inputs give the same ids on every machine and every run. */
public final class Ids {
    private static final Pattern BATCH_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private Ids() {}

    /** Lower-case hex SHA-256 of the given bytes. */
    public static String sha256Hex(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** The default batch id of an input file: a hash of its content, so the same file is the same batch. */
    public static String batchIdForDigest(byte[] contentDigest) {
        return "batch_" + HexFormat.of().formatHex(contentDigest).substring(0, 32);
    }

    /** Throws with a message naming the fix when a caller-chosen batch id cannot be used. */
    public static String checkBatchId(String id) {
        if (id == null || !BATCH_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("batch id '" + id
                    + "' is invalid: use 1 to 64 letters, digits, '_' or '-'");
        }
        return id;
    }

    /** The request id (and record key) of a batch line that has a custom_id. */
    public static String requestId(String batchId, String customId) {
        return batchId + ":" + customId;
    }

    /**
     * The request id of a batch line that has no usable custom_id: answered by line number. No
     * custom_id can produce it: those ids have ':' right after the batch id, and batch ids have no '#'.
     */
    public static String requestIdForLine(String batchId, long line) {
        return batchId + "#line-" + line;
    }

    /** OpenAI's per-line id in batch output files, {@code batch_req_...}, derived from the request id. */
    public static String batchRequestId(String requestId) {
        return "batch_req_" + shortHash(requestId);
    }

    /** The {@code chatcmpl-...} id of a completion, derived from the request id. */
    public static String completionId(String requestId) {
        return "chatcmpl-" + shortHash(requestId);
    }

    /** The id of a legacy {@code text_completion}, as OpenAI spells it. */
    public static String textCompletionId(String requestId) {
        return "cmpl-" + shortHash(requestId);
    }

    private static String shortHash(String s) {
        return sha256Hex(s.getBytes(StandardCharsets.UTF_8)).substring(0, 24);
    }
}
