package io.millrace.worker.model;

/**
 * How a {@link BatchEngine} batches, named after vLLM's scheduler options. Validated at
 * construction, with messages that name the fix.
 *
 * @param maxBatchSize     sequences running at once, prefilling or decoding (vLLM's max_num_seqs)
 * @param maxBatchTokens   tokens one step computes, decodes and prompt chunks together (vLLM's
 *     max_num_batched_tokens): it bounds the time between two tokens of a running sequence
 * @param prefillChunk     prompt tokens of one sequence per step: a long prompt is prefilled over
 *     several steps, so it never stalls the sequences that are decoding
 * @param prefixCacheBytes memory for the KV of prompt prefixes that later requests reuse (vLLM's
 *     automatic prefix caching); 0 turns the prefix cache off
 */
public record EngineConfig(int maxBatchSize, int maxBatchTokens, int prefillChunk, long prefixCacheBytes) {
    public EngineConfig {
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("maxBatchSize is " + maxBatchSize + ": set it to at least 1 (16 suits a CPU)");
        }
        if (maxBatchTokens < maxBatchSize) {
            throw new IllegalArgumentException("maxBatchTokens is " + maxBatchTokens + " but maxBatchSize is " + maxBatchSize
                    + ": raise maxBatchTokens to at least maxBatchSize, so that every running sequence can decode each step");
        }
        if (prefillChunk < 1 || prefillChunk > maxBatchTokens) {
            throw new IllegalArgumentException("prefillChunk is " + prefillChunk + ": set it from 1 to maxBatchTokens ("
                    + maxBatchTokens + "); a chunk larger than a step's budget could never run whole");
        }
        if (prefixCacheBytes < 0) {
            throw new IllegalArgumentException("prefixCacheBytes is " + prefixCacheBytes + ": set it to 0 (off) or more");
        }
    }

    /** 16 sequences, 512 tokens a step, 256-token prompt chunks, a 256 MiB prefix cache. */
    public static EngineConfig defaults() {
        return new EngineConfig(16, 512, 256, 256L << 20);
    }
}
