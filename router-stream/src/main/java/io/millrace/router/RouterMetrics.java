package io.millrace.router;

import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * What the router did with its records, per task, as Streams metrics
 * ({@code stream-millrace-router-metrics}: {@code <outcome>-total} and {@code <outcome>-rate}),
 * exported wherever the application's other Kafka metrics go.
 */
final class RouterMetrics implements AutoCloseable {
    static final String SCOPE = "millrace-router";
    static final String ROUTED = "routed";
    static final String REJECTED = "rejected";
    static final String DEAD_LETTERED = "dead-lettered";
    static final String DUPLICATES_DROPPED = "duplicates-dropped";

    private final ProcessorContext<?, ?> context;
    private final Sensor routed;
    private final Sensor rejected;
    private final Sensor deadLettered;
    private final Sensor duplicates;

    RouterMetrics(ProcessorContext<?, ?> context) {
        this.context = context;
        String task = context.taskId().toString();
        this.routed = sensor(task, ROUTED);
        this.rejected = sensor(task, REJECTED);
        this.deadLettered = sensor(task, DEAD_LETTERED);
        this.duplicates = sensor(task, DUPLICATES_DROPPED);
    }

    private Sensor sensor(String task, String outcome) {
        return context.metrics().addRateTotalSensor(SCOPE, task, outcome, Sensor.RecordingLevel.INFO);
    }

    void routed() {
        routed.record();
    }

    void rejected() {
        rejected.record();
    }

    void deadLettered() {
        deadLettered.record();
    }

    void duplicateDropped() {
        duplicates.record();
    }

    /** Sensors outlive a task unless removed: a task that moves away must not leave stale metrics. */
    @Override
    public void close() {
        for (Sensor s : new Sensor[] {routed, rejected, deadLettered, duplicates}) {
            context.metrics().removeSensor(s);
        }
    }
}
