package io.millrace.router;

import io.millrace.protocol.events.HealthEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The circuit of each model, LiteLLM's cooldowns made a plain policy: a pure function from reports
 * and a time to a state, so it is tested without Kafka or a clock, and every router instance that
 * read the same reports agrees.
 *
 * <ul>
 *   <li><b>Open, no live worker:</b> the model was seen live, and for {@code deadAfter} no worker has
 *       reported it live (silence, a crash, or a goodbye: a worker that stops says so, and the time
 *       still counts from that last report, so a quick restart does not flap the circuit).
 *   <li><b>Open, failures:</b> {@code failures} generation failures within {@code failureWindow}; open
 *       for {@code cooldown}, then half-open.
 *   <li><b>Half-open:</b> after the cooldown, or when a worker comes back after none was live: probes
 *       go to the model; a report of a successful generation closes the circuit, a report of a failure
 *       opens it again for another cooldown.
 *   <li><b>Closed</b> otherwise, and for a model no worker has reported on yet: no news is not bad news
 *       (workers may still be starting, or predate heartbeats), so a circuit opens only on evidence.
 * </ul>
 *
 * Only the times carried by reports ({@link HealthEvent#at()}) change the record, never the reader's
 * clock; {@link #status} alone reads the time, which it is given.
 */
final class CircuitBreaker {
    /** A worker silent this long is forgotten: it says nothing about now, and the record stays small. */
    static final long FORGET_AFTER_MS = 3600_000L;

    private final HealthSettings settings;

    CircuitBreaker(HealthSettings settings) {
        this.settings = settings;
    }

    /** The record after one more report; {@code current} null for a model not seen before. */
    ModelHealth apply(ModelHealth current, HealthEvent report) {
        ModelHealth h = current != null ? current : ModelHealth.unseen(report.model());
        long t = report.at();
        boolean wasDown = seen(h) && noLiveWorker(h, t);
        Map<String, ModelHealth.Worker> workers = new HashMap<>(h.workers());
        workers.put(report.workerId(), new ModelHealth.Worker(t, report.live(), report.running(), report.waiting()));
        workers.values().removeIf(w -> t - w.at() > FORGET_AFTER_MS);
        // A goodbye too proves the worker was live until it was written.
        long lastLiveAt = Math.max(h.lastLiveAt(), t);
        Long trippedAt = h.trippedAt();
        String tripReason = h.tripReason();
        Long recoveringSince = h.recoveringSince();
        if (report.live() && wasDown) {
            recoveringSince = t;
        }
        List<Long> failures = new ArrayList<>(h.failures());
        if (report.failures() > 0) {
            long window = settings.failureWindow().toMillis();
            for (long i = 0; i < Math.min(report.failures(), settings.failures()); i++) {
                failures.add(t);
            }
            failures.removeIf(f -> f <= t - window);
            while (failures.size() > settings.failures()) {
                failures.remove(0);
            }
            if (trippedAt != null && t >= trippedAt + settings.cooldown().toMillis()) {
                // A probe (or the work still running) failed while half-open: open for another cooldown.
                trippedAt = t;
                tripReason = "a generation failed again after the cooldown";
            } else if (trippedAt == null && failures.size() >= settings.failures()) {
                trippedAt = t;
                tripReason = failures.size() + " generation failures within " + text(settings.failureWindow());
            }
        } else if (report.completed() > 0) {
            if (trippedAt != null && t >= trippedAt + settings.cooldown().toMillis()) {
                trippedAt = null;
                tripReason = null;
                failures.clear();
            }
            recoveringSince = null;
        }
        return new ModelHealth(h.model(), workers, lastLiveAt, failures, trippedAt, tripReason, recoveringSince);
    }

    /** The circuit of the model whose record is {@code h} (null: never reported on) at {@code now}. */
    CircuitState status(ModelHealth h, long now) {
        if (h == null || !seen(h)) {
            return CircuitState.CLOSED;
        }
        if (noLiveWorker(h, now)) {
            return new CircuitState(CircuitState.State.OPEN, "no live worker for " + seconds(now - h.lastLiveAt()));
        }
        if (h.trippedAt() != null) {
            long until = h.trippedAt() + settings.cooldown().toMillis();
            if (now < until) {
                return new CircuitState(CircuitState.State.OPEN, h.tripReason() + ", cooling down for "
                        + seconds(until - now));
            }
            return new CircuitState(CircuitState.State.HALF_OPEN, "probing after " + h.tripReason());
        }
        if (h.recoveringSince() != null) {
            return new CircuitState(CircuitState.State.HALF_OPEN, "probing: a worker is back after none was live");
        }
        return CircuitState.CLOSED;
    }

    private static boolean seen(ModelHealth h) {
        return h.lastLiveAt() > 0;
    }

    /** No worker reported live within {@code deadAfter} of {@code now}, and the last live moment is that old. */
    private boolean noLiveWorker(ModelHealth h, long now) {
        long deadAfter = settings.deadAfter().toMillis();
        if (now - h.lastLiveAt() < deadAfter) {
            return false;
        }
        return h.workers().values().stream().noneMatch(w -> w.live() && now - w.at() < deadAfter);
    }

    /** Whole seconds, rounded up, so that "for 0s" is never said of a real wait. */
    private static String seconds(long ms) {
        return ((Math.max(0, ms) + 999) / 1000) + "s";
    }

    private static String text(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
