package io.millrace.worker;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The lone requests whose clients gave up ({@code millrace.cancels}), as this worker has read them:
 * filled by the cancellation reader's thread, read by the poll loop. Bounded: a cancel matters only
 * while its request may still be queued or running, so the oldest are forgotten first.
 */
final class CancelledRequests {
    static final int CAPACITY = 100_000;

    private final Map<String, Boolean> ids = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > CAPACITY;
        }
    };
    private final List<String> newlyCancelled = new ArrayList<>();

    synchronized void cancel(String requestId) {
        if (requestId != null && ids.put(requestId, Boolean.TRUE) == null) {
            newlyCancelled.add(requestId);
        }
    }

    synchronized boolean contains(String requestId) {
        return requestId != null && ids.containsKey(requestId);
    }

    /** The requests cancelled since the last call, for the poll loop to stop where they are in flight. */
    synchronized List<String> takeNewlyCancelled() {
        List<String> taken = List.copyOf(newlyCancelled);
        newlyCancelled.clear();
        return taken;
    }
}
