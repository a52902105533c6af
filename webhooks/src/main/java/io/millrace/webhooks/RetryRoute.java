package io.millrace.webhooks;

import io.millrace.protocol.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where a failed attempt goes next, spring-kafka's non-blocking retry layout: attempt 1 is read
 * from {@code millrace.webhook-deliveries}; when attempt {@code n} fails, attempt {@code n+1} waits
 * on the tier of the {@code n}-th delay ({@code ...-retry-<delayMs>}), due after that delay or the
 * endpoint's {@code Retry-After}, whichever is later; after the last tier, the dead-letter topic.
 */
record RetryRoute(List<Duration> delays) {
    RetryRoute {
        delays = List.copyOf(delays);
    }

    /** The next hop of a delivery whose attempt {@code attempt} failed. */
    record Hop(String topic, long dueAt, boolean deadLetter) {}

    Hop after(int attempt, Instant now, Optional<Instant> notBefore) {
        if (attempt < 1) {
            throw new IllegalArgumentException("attempts count from 1, not " + attempt);
        }
        if (attempt > delays.size()) {
            return new Hop(Topics.WEBHOOK_DELIVERIES_DLT.name(), now.toEpochMilli(), true);
        }
        Duration delay = delays.get(attempt - 1);
        long due = now.plus(delay).toEpochMilli();
        if (notBefore.isPresent() && notBefore.get().toEpochMilli() > due) {
            due = notBefore.get().toEpochMilli();
        }
        return new Hop(Topics.webhookRetry(delay.toMillis()).name(), due, false);
    }

    /** Every topic the dispatcher consumes: the first attempts, then each tier. */
    List<String> consumedTopics() {
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        out.add(Topics.WEBHOOK_DELIVERIES.name());
        delays.forEach(d -> out.add(Topics.webhookRetry(d.toMillis()).name()));
        return out;
    }
}
