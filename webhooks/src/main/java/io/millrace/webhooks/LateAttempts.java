package io.millrace.webhooks;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Attempts a poll stopped waiting for ({@link WebhookDispatcher#POLL_BUDGET}): each was counted as
 * failed and its retry written before the poll's commit, while its HTTP call goes on in the
 * background. Two things are kept about them, in memory:
 * <ul>
 *   <li>how many are in flight per endpoint, bounded ({@link #MAX_PER_ENDPOINT}): past it, a record
 *       of that endpoint is not attempted but moved on unattempted, so a dead endpoint holds a
 *       bounded number of connections, not one per event;</li>
 *   <li>which (endpoint, event) pairs one of them delivered after all, so the retry written for it
 *       is dropped instead of delivered again. Forgotten on restart or past {@link #REMEMBERED}
 *       entries: then the retry delivers a second time, which at-least-once allows (receivers
 *       dedup on {@code webhook-id}).</li>
 * </ul>
 */
final class LateAttempts {
    /** Background attempts per endpoint at most; more records of it wait on a tier unattempted. */
    static final int MAX_PER_ENDPOINT = 8;
    static final int REMEMBERED = 100_000;

    private final Map<String, Integer> inFlight = new ConcurrentHashMap<>();
    private final Map<String, Boolean> delivered = new LinkedHashMap<>() {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED;
        }
    };

    /** Whether another attempt for this endpoint may start now (false: it has too many in the background). */
    boolean mayAttempt(String endpointId) {
        return inFlight.getOrDefault(endpointId, 0) < MAX_PER_ENDPOINT;
    }

    /** An attempt the poll stopped waiting for: it runs on. */
    void started(String endpointId) {
        inFlight.merge(endpointId, 1, Integer::sum);
    }

    /** A background attempt ended; {@code ok}: it delivered the event. */
    void ended(String endpointId, String eventId, boolean ok) {
        inFlight.computeIfPresent(endpointId, (k, n) -> n <= 1 ? null : n - 1);
        if (ok) {
            synchronized (delivered) {
                delivered.put(key(endpointId, eventId), Boolean.TRUE);
            }
        }
    }

    /** Whether a background attempt delivered this event to this endpoint after its retry was written. */
    boolean alreadyDelivered(String endpointId, String eventId) {
        synchronized (delivered) {
            return delivered.containsKey(key(endpointId, eventId));
        }
    }

    private static String key(String endpointId, String eventId) {
        return endpointId + ' ' + eventId;
    }
}
