package io.millrace.worker.model;

/**
 * What one engine step computes, vLLM's policy with chunked prefill: every decoding sequence gets
 * its one token first, so a burst of new prompts never stalls running requests; then prompts are
 * prefilled in the order given (interactive ones first, then admission order), each by at most
 * {@code prefillChunk} tokens, until the step's {@code maxBatchTokens} are spent.
 *
 * <p>Lanes: interactive prompts are admitted first and may take every row; batch prompts only
 * while fewer than {@code maxBatchSize - interactiveRows} batch sequences run, so rows stay free for
 * an interactive prompt that arrives while batch work fills the engine.
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
     * How many waiting batch-lane requests join now, after the interactive ones were admitted:
     * as many as the batch has rows for, leaving {@code interactiveRows} rows to interactive prompts.
     *
     * @param running      sequences running, of both lanes
     * @param batchRunning those of them in the batch lane
     */
    int batchAdmissions(int running, int batchRunning, int waiting) {
        int rows = Math.min(config.maxBatchSize() - running, config.maxBatchSize() - config.interactiveRows() - batchRunning);
        return Math.max(0, Math.min(waiting, rows));
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
