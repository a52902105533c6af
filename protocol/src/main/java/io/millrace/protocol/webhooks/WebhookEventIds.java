package io.millrace.protocol.webhooks;

import io.millrace.protocol.Ids;
import java.nio.charset.StandardCharsets;

/**
 * Event ids derived from the state change they report, never drawn at random: the same change
 * always yields the same {@code evt_…}, whichever instance derives it and however often (a replay
 * after a crash, a batch event published again). That id is also the {@code webhook-id} header,
 * which receivers deduplicate on.
 */
public final class WebhookEventIds {
    private WebhookEventIds() {}

    /** A batch reaching a final state: one id per batch and type (a batch ends once). */
    public static String forBatch(String batchId, String type) {
        return id("batch", batchId, type);
    }

    /** A request's committed result: one id per request and type (a request has one result). */
    public static String forRequest(String requestId, String type) {
        return id("request", requestId, type);
    }

    private static String id(String kind, String subject, String type) {
        // Length-prefixed parts: no subject can be chosen to collide with another's (ids hold ':').
        String text = kind + "\n" + subject.length() + ":" + subject + "\n" + type;
        return "evt_" + Ids.sha256Hex(text.getBytes(StandardCharsets.UTF_8)).substring(0, 32);
    }
}
