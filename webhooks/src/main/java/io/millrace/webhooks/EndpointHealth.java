package io.millrace.webhooks;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which endpoints are not answering at all (a timeout, a refused connection), so that their new
 * events do not hold up a poll: while an endpoint is in its cooldown, a first attempt for it is not
 * made on the delivery topic but moved, unattempted and uncounted, to the first retry tier, where
 * waiting costs only that tier. Any answer with a status, even 503, closes it: a quick refusal
 * delays no one. Per dispatcher instance, in memory; a restart forgets it, which costs at most one
 * timeout per partition.
 */
final class EndpointHealth {
    private final Map<String, Long> coolingUntil = new ConcurrentHashMap<>();
    private final long cooldownMs;

    EndpointHealth(Duration cooldown) {
        this.cooldownMs = cooldown.toMillis();
    }

    /** Records an attempt's end: {@code answered} is whether any HTTP status came back. */
    void record(String endpointId, boolean answered, long now) {
        if (answered) {
            coolingUntil.remove(endpointId);
        } else {
            coolingUntil.put(endpointId, now + cooldownMs);
        }
    }

    /** Whether a first attempt for this endpoint should wait on the first tier instead. */
    boolean cooling(String endpointId, long now) {
        Long until = coolingUntil.get(endpointId);
        if (until == null) {
            return false;
        }
        if (until <= now) {
            coolingUntil.remove(endpointId, until);
            return false;
        }
        return true;
    }
}
