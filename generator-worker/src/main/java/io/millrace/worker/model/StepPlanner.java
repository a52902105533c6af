package io.millrace.worker.model;

/**
 * What one engine step computes, vLLM's policy with chunked prefill: every decoding sequence gets
 * its one token first, so a burst of new prompts never stalls running requests; then prompts are
 * prefilled in the order given (interactive ones first, then admission order), each by at most
 * {@code prefillChunk} tokens, until the step's {@code maxBatchTokens} are spent.
 *
 * <p>Lanes: interactive prompts are admitted first and may take every row. Batch prompts may take
 * every row too while no interactive prompt waits, but the {@code interactiveRows} beyond
 * {@code maxBatchSize - interactiveRows} are only lent: an interactive prompt that arrives while
 * batch work fills the engine takes them back at the next step (the borrowers are preempted and
 * recomputed later), so it starts as promptly as if they had been kept empty.
 */
final class StepPlanner {
    private final EngineConfig config;

    StepPlanner(EngineConfig config) {
        this.config = config;
    }

    /** How many waiting requests join the running ones now: as many as {@code maxBatchSize} leaves room for. */
    int admissions(int running, int waiting) {
        return Math.max(0, Math.min(waiting, config.maxBatchSize() - running));
    }

    /**
     * How many waiting batch-lane requests join now, once no interactive prompt waits: as many as
     * the batch has rows for, the interactive rows included. Batch work borrows those while the
     * interactive lane is empty and gives them back when a prompt arrives there ({@link #preemptions}),
     * so the rows do not sit idle through a batch job.
     *
     * @param running sequences running, of both lanes
     */
    int batchAdmissions(int running, int waiting) {
        return admissions(running, waiting);
    }

    /**
     * How many batch sequences give up their rows to interactive prompts now: those running on rows
     * borrowed beyond {@code maxBatchSize - interactiveRows}, as many as the waiting interactive
     * prompts need beyond the rows free. An interactive prompt is then admitted as promptly as if
     * the rows had been kept empty for it.
     *
     * @param running            sequences running, of both lanes
     * @param batchRunning       those of them in the batch lane
     * @param interactiveWaiting interactive prompts waiting
     */
    int preemptions(int running, int batchRunning, int interactiveWaiting) {
        int borrowed = batchRunning - (config.maxBatchSize() - config.interactiveRows());
        int missing = interactiveWaiting - (config.maxBatchSize() - running);
        return Math.max(0, Math.min(borrowed, missing));
    }

    /**
     * @param decodes   sequences that decode one token this step
     * @param remaining prompt tokens each prefilling sequence has left, in admission order
     * @return the prompt tokens each prefilling sequence computes this step (0: none)
     */
    int[] chunks(int decodes, int[] remaining) {
        int budget = config.maxBatchTokens() - decodes;
        int[] chunks = new int[remaining.length];
        for (int i = 0; i < remaining.length && budget > 0; i++) {
            chunks[i] = Math.min(Math.min(remaining[i], config.prefillChunk()), budget);
            budget -= chunks[i];
        }
        return chunks;
    }
}
