package io.millrace.webhooks;

import io.millrace.protocol.webhooks.WebhookSecrets;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks 1.0 signatures, as OpenAI signs its webhooks: HMAC-SHA256 keyed by the
 * secret's bytes over {@code <webhook-id>.<webhook-timestamp>.<raw body>}, sent as
 * {@code v1,<base64>}. During a secret's rotation grace every live secret signs, space-separated
 * in one {@code webhook-signature} header, so a receiver holding either secret verifies.
 */
public final class WebhookSigner {
    public static final String ID = "webhook-id";
    public static final String TIMESTAMP = "webhook-timestamp";
    public static final String SIGNATURE = "webhook-signature";

    private WebhookSigner() {}

    /** One {@code v1,<base64>} signature. */
    public static String sign(String secret, String msgId, long timestampSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(WebhookSecrets.key(secret), "HmacSHA256"));
            mac.update((msgId + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("every Java runtime has HmacSHA256", e);
        }
    }

    /** The {@code webhook-signature} header: one signature per secret, space-separated. */
    public static String header(List<String> secrets, String msgId, long timestampSeconds, byte[] body) {
        if (secrets.isEmpty()) {
            throw new IllegalArgumentException("an endpoint with no live secret cannot be signed for: rotate its secret");
        }
        return secrets.stream().map(s -> sign(s, msgId, timestampSeconds, body)).collect(Collectors.joining(" "));
    }
}
