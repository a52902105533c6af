package io.millrace.router;

import io.millrace.protocol.Json;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * What the router knows of one model, folded from its workers' heartbeats by {@link CircuitBreaker#apply}
 * and kept in the global store {@code router-model-health} (as JSON). Only the times reports carry
 * are used, never the router's clock, so every instance that read the same reports holds the same
 * record; {@link CircuitBreaker#status} then reads it against the clock.
 *
 * @param workers         each worker's last report, by worker id
 * @param lastLiveAt      the last moment any worker was known live (its report's time), 0 if never
 * @param failures        times of recent generation failures, oldest first, at most the threshold
 * @param trippedAt       when failures opened the circuit, null when they did not; the circuit is open
 *                        for the cooldown after it, then half-open until a report of success closes it
 * @param tripReason      what opened it, e.g. {@code 5 generation failures within 30s}
 * @param recoveringSince when a worker came back after none was live; half-open from then until a
 *                        report of success; null otherwise
 */
record ModelHealth(String model, Map<String, Worker> workers, long lastLiveAt, List<Long> failures, Long trippedAt,
        String tripReason, Long recoveringSince) {

    /** A worker's last report. */
    record Worker(long at, boolean live, int running, int waiting) {}

    ModelHealth {
        workers = workers == null ? Map.of() : Map.copyOf(workers);
        failures = failures == null ? List.of() : List.copyOf(failures);
    }

    static ModelHealth unseen(String model) {
        return new ModelHealth(model, Map.of(), 0, List.of(), null, null, null);
    }

    byte[] toBytes() {
        return Json.writeBytes(this);
    }

    /** The record stored under a model, or null for bytes that are not one (never written by this router). */
    static ModelHealth fromBytes(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            return Json.MAPPER.readValue(bytes, ModelHealth.class);
        } catch (IOException e) {
            return null;
        }
    }
}
