package io.millrace.protocol.webhooks;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * Standard Webhooks signing secrets: {@code whsec_} and the base64 of 24 to 64 random bytes, the
 * bytes being the HMAC key. Created by the API, read by the dispatcher.
 */
public final class WebhookSecrets {
    public static final String PREFIX = "whsec_";
    /** 32 bytes: the HMAC-SHA256 block's worth of key, inside Standard Webhooks' 24–64. */
    private static final int BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private WebhookSecrets() {}

    public static String generate() {
        byte[] key = new byte[BYTES];
        RANDOM.nextBytes(key);
        return PREFIX + Base64.getEncoder().encodeToString(key);
    }

    /** The HMAC key of a secret; throws naming the expected form when it is not one. */
    public static byte[] key(String secret) {
        if (secret == null || !secret.startsWith(PREFIX)) {
            throw new IllegalArgumentException("a webhook secret starts with '" + PREFIX + "'");
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(secret.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a webhook secret is '" + PREFIX + "' and base64: " + e.getMessage(), e);
        }
        if (key.length < 24 || key.length > 64) {
            throw new IllegalArgumentException("a webhook secret's key is 24 to 64 bytes, not " + key.length);
        }
        return key;
    }
}
