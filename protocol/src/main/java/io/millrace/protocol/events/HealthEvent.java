package io.millrace.protocol.events;

/**
 * One worker's report on one model it serves, on {@code millrace.health}, keyed by model name.
 * Workers publish one per model every {@code worker.health.interval} (2 s by default), at once
 * after a generation failure, and a last one with {@code live: false} when they stop. The router
 * folds them into each model's circuit state (see ARCHITECTURE, "Health and fallback chains").
 *
 * @param workerId   the worker instance ({@code --instance-id}, else a random id per process)
 * @param model      the served model reported on (the record key)
 * @param live       true while the worker serves the model; false in its last report, as it stops
 * @param running    requests in the model's running batch now
 * @param waiting    requests queued for the model's engine, not yet admitted (its load)
 * @param completed  requests the worker generated successfully for this model since its previous report
 * @param failures   generations of this model that failed since its previous report (retriable
 *                   engine failures, each retried or dead-lettered, and 5xx answers)
 * @param at         epoch milliseconds of the report, by the worker's clock
 * @param intervalMs how often the worker reports, so a reader can tell a late report from a lost worker
 */
public record HealthEvent(String workerId, String model, boolean live, int running, int waiting, long completed,
        long failures, long at, long intervalMs) {}
