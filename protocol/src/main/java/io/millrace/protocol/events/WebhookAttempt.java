package io.millrace.protocol.events;

/**
 * The delivery log: one record per attempt on {@code millrace.webhook-attempts}, keyed by endpoint
 * id, read back by {@code GET /v1/webhooks/{id}/deliveries}.
 *
 * @param statusCode    the endpoint's HTTP status, or null when none came (then {@code error} says why)
 * @param error         why the attempt failed without a status (timeout, refused address), or null
 * @param nextAttemptAt epoch milliseconds of the next attempt, or null (delivered, dead-lettered,
 *                      endpoint disabled)
 */
public record WebhookAttempt(String endpointId, String eventId, String eventType, int attempt, long at, Integer statusCode,
        String error, Long nextAttemptAt) {}
