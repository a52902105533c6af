package io.millrace.router;

import java.util.HashMap;
import java.util.Map;

/**
 * Lets at most one probe per interval through to each half-open model. Kept per router task in
 * memory, not shared: the circuit's state is shared (the health store), but how many probes it takes
 * to learn that a model is back is not worth a store; N tasks send at most N probes per interval.
 */
final class ProbeGate {
    private final long intervalMs;
    private final Map<String, Long> lastProbe = new HashMap<>();

    ProbeGate(long intervalMs) {
        this.intervalMs = intervalMs;
    }

    /** Whether a request may probe {@code model} at {@code now}; if so, the next waits an interval. */
    boolean admit(String model, long now) {
        Long last = lastProbe.get(model);
        if (last != null && now - last < intervalMs) {
            return false;
        }
        lastProbe.put(model, now);
        return true;
    }
}
