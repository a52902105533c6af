package io.millrace.protocol.events;

/**
 * One event owed to one endpoint, on {@code millrace.webhook-deliveries} and its retry tiers, keyed
 * by endpoint id (so one endpoint's deliveries share a partition and a dead endpoint's backlog sits
 * apart from the others').
 *
 * @param attempt the attempt this record asks for, from 1
 * @param dueAt   epoch milliseconds before which it is not attempted (its tier's delay, or the
 *                endpoint's {@code Retry-After} when later)
 */
public record WebhookDelivery(String endpointId, WebhookEvent event, int attempt, long dueAt) {
    public WebhookDelivery next(long due) {
        return new WebhookDelivery(endpointId, event, attempt + 1, due);
    }
}
