package io.millrace.protocol.events;

import java.util.ArrayList;
import java.util.List;

/**
 * A tenant's webhook endpoint on {@code millrace.webhook-endpoints}, keyed by endpoint id;
 * compacted, so the latest event per id is the endpoint's state, and a delete is a tombstone.
 *
 * <p>The signing secrets are stored as they are (not hashed, unlike API keys): the dispatcher must
 * compute HMACs with them, so it needs the secret itself. Who can read the topic can forge
 * deliveries to these endpoints; ARCHITECTURE says who that is.
 *
 * @param id          {@code whep_…}
 * @param tenant      the owner: only its key sees the endpoint, only its events are delivered there
 * @param url         where events are POSTed (checked against the server-side request forgery guard)
 * @param events      the event types delivered ({@code batch.completed}, {@code request.failed}, ...)
 * @param description free text from the tenant, or null
 * @param secrets     the current secret first; older ones sign too until their {@code expiresAt}
 * @param createdAt   epoch milliseconds
 * @param disabledAt  epoch milliseconds when deliveries stopped (the endpoint answered 410), or null
 * @param disabledReason why, for the endpoint object
 */
public record WebhookEndpoint(
        String id,
        String tenant,
        String url,
        List<String> events,
        String description,
        List<Secret> secrets,
        long createdAt,
        Long disabledAt,
        String disabledReason) {

    /**
     * One signing secret, {@code whsec_<base64>}.
     *
     * @param expiresAt epoch milliseconds after which it no longer signs, or null for the current one
     */
    public record Secret(String value, Long expiresAt) {}

    public WebhookEndpoint {
        events = List.copyOf(events);
        secrets = List.copyOf(secrets);
    }

    public boolean disabled() {
        return disabledAt != null;
    }

    /** Whether events of this type go to this endpoint. */
    public boolean subscribes(String type) {
        return !disabled() && events.contains(type);
    }

    /** The secrets that sign a delivery made at {@code now}: the current one and those in their grace period. */
    public List<String> signingSecrets(long now) {
        return secrets.stream().filter(s -> s.expiresAt() == null || s.expiresAt() > now).map(Secret::value).toList();
    }

    /** This endpoint with a new current secret; the others keep signing until {@code now + graceMs}. */
    public WebhookEndpoint rotate(String newSecret, long now, long graceMs) {
        List<Secret> next = new ArrayList<>();
        next.add(new Secret(newSecret, null));
        for (Secret s : secrets) {
            Long expires = s.expiresAt() == null ? Long.valueOf(now + graceMs) : s.expiresAt();
            if (expires > now) {
                next.add(new Secret(s.value(), expires));
            }
        }
        return new WebhookEndpoint(id, tenant, url, events, description, next, createdAt, disabledAt, disabledReason);
    }

    public WebhookEndpoint disable(String reason, long at) {
        return disabled() ? this : new WebhookEndpoint(id, tenant, url, events, description, secrets, createdAt, at, reason);
    }
}
