package io.millrace.results.webhooks;

import io.millrace.protocol.Topics;
import io.millrace.protocol.events.WebhookEndpoint;
import io.millrace.results.TopicFollower;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Every webhook endpoint, {@code millrace.webhook-endpoints} followed from its beginning, so an
 * endpoint registered on one instance (or disabled by the dispatcher) is known to all.
 */
final class EndpointDirectory implements AutoCloseable {
    private final Map<String, WebhookEndpoint> byId = new ConcurrentHashMap<>();
    private final TopicFollower follower;

    EndpointDirectory(String bootstrapServers) {
        follower = new TopicFollower(bootstrapServers, Topics.WEBHOOK_ENDPOINTS.name(), TopicFollower.From.BEGINNING, r -> {
            if (r.key() == null) {
                return;
            }
            if (r.value() == null) {
                byId.remove(r.key()); // a tombstone: deleted
            } else {
                byId.put(r.key(), Topics.WEBHOOK_ENDPOINT_SERDE.deserializer().deserialize(r.topic(), r.value()));
            }
        });
    }

    /** Waits until everything written before this call is read: a client sees its own writes. */
    void sync(Duration timeout) {
        try {
            follower.sync().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading " + Topics.WEBHOOK_ENDPOINTS.name(), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new io.millrace.results.NotReadyException("cannot read " + Topics.WEBHOOK_ENDPOINTS.name() + " within " + timeout.toSeconds() + " s", e);
        }
    }

    /** The tenant's endpoint of this id; another tenant's is not found, as if it did not exist. */
    Optional<WebhookEndpoint> find(String tenant, String id) {
        WebhookEndpoint e = byId.get(id);
        return e != null && Objects.equals(e.tenant(), tenant) ? Optional.of(e) : Optional.empty();
    }

    /** The tenant's endpoints, oldest first. */
    List<WebhookEndpoint> of(String tenant) {
        return byId.values().stream().filter(e -> Objects.equals(e.tenant(), tenant))
                .sorted(Comparator.comparingLong(WebhookEndpoint::createdAt).thenComparing(WebhookEndpoint::id)).toList();
    }

    boolean ready() {
        return follower.caughtUp() && follower.running();
    }

    @Override
    public void close() {
        follower.close();
    }
}
