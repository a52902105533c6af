package io.millrace.protocol;

import io.millrace.protocol.events.ApiKeyEvent;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shape of Millrace API keys: {@code mr-<key id>-<secret>}, where the key id
 * ({@code key_} and 12 characters) is public and names the stored record, and the secret (32
 * random base-62 characters, about 190 bits) is shown once and stored only as its SHA-256. A
 * secret that random needs no slow hash: nothing can be guessed from its digest.
 */
public final class ApiKeys {
    private static final String ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final Pattern KEY = Pattern.compile("mr-(key_[0-9A-Za-z]{12})-([0-9A-Za-z]{32})");
    private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeys() {}

    /** A new key and the event that stores it (its hash, never the key). */
    public record Issued(String key, ApiKeyEvent event) {}

    public static Issued issue(String tenant, long rpm, long tpm, long now) {
        checkTenant(tenant);
        if (rpm < 0 || tpm < 0) {
            throw new IllegalArgumentException("--rpm and --tpm must be 0 (no limit) or more, got " + rpm + " and " + tpm);
        }
        String keyId = "key_" + random(12);
        String secret = random(32);
        return new Issued("mr-" + keyId + "-" + secret, new ApiKeyEvent(keyId, tenant, hash(secret), rpm, tpm, now, null));
    }

    /** The tenant name as given, or an exception saying what a tenant name may hold. */
    public static String checkTenant(String tenant) {
        if (tenant == null || !TENANT.matcher(tenant).matches()) {
            throw new IllegalArgumentException("tenant '" + tenant
                    + "' is not a tenant name: use 1 to 64 letters, digits, '.', '_' or '-'");
        }
        return tenant;
    }

    /** The key id and secret of something shaped like a key, or empty. */
    public static Optional<String[]> split(String key) {
        Matcher m = key == null ? null : KEY.matcher(key);
        return m != null && m.matches() ? Optional.of(new String[] {m.group(1), m.group(2)}) : Optional.empty();
    }

    /** Whether {@code secret} is the one {@code stored} was issued with; in constant time. */
    public static boolean matches(ApiKeyEvent stored, String secret) {
        return MessageDigest.isEqual(stored.hash().getBytes(StandardCharsets.US_ASCII),
                hash(secret).getBytes(StandardCharsets.US_ASCII));
    }

    static String hash(String secret) {
        return Ids.sha256Hex(secret.getBytes(StandardCharsets.UTF_8));
    }

    private static String random(int length) {
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            s.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return s.toString();
    }
}
