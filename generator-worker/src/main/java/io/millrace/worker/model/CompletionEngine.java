package io.millrace.worker.model;

import java.util.concurrent.CompletableFuture;

/**
 * Generates completions for one model. The batching contract (as djl-serving's BatchAggregator
 * states its own): every submitted prompt gets exactly one outcome, its future completed with a
 * {@link Completion}, or exceptionally with the reason it could not run; cancelling the future
 * stops the request's generation at the next step. Outputs do not depend on what else runs.
 */
public interface CompletionEngine extends AutoCloseable {
    /**
     * Thread-safe; returns at once. A prompt of no lane is served as {@link Lane#INTERACTIVE}: ahead
     * of batch work, with every row of the batch (what every prompt had before lanes).
     */
    CompletableFuture<Completion> submit(int[] promptIds, SamplingParams params);

    /**
     * The same in {@code lane}. Engines without lanes (the sequential baseline) serve every prompt in
     * arrival order, whatever its lane.
     */
    default CompletableFuture<Completion> submit(int[] promptIds, SamplingParams params, Lane lane) {
        return submit(promptIds, params);
    }

    /** A consistent snapshot of the engine's counters. */
    EngineStats stats();

    /** Fails what is still queued or running, then releases the engine's threads (not the model). */
    @Override
    void close();
}
