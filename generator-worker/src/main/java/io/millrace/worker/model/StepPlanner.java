package io.millrace.worker.model;

/**
 * What one engine step computes, vLLM's policy with chunked prefill: every decoding sequence gets
 * its one token first, so a burst of new prompts never stalls running requests; then prompts are
 * prefilled in admission order, each by at most {@code prefillChunk} tokens, until the step's
 * {@code maxBatchTokens} are spent.
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
