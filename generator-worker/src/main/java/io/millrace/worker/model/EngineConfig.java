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
 * @param kvMemoryBytes    memory for all of the engine's KV cache: the batch's buffers, the caches
 *     of prompts being prefilled, and the prefix cache, which gives way to running sequences
 *     ({@link KvBudget}); a request is admitted only once its whole context fits
 * @param interactiveRows  rows of the batch that {@link Lane#BATCH} prompts only borrow from
 *     {@link Lane#INTERACTIVE} ones: they use them while no interactive prompt waits, and give
 *     them back when one arrives (preempted, recomputed later), so that with the batch full of
 *     batch work an interactive prompt is admitted at the next step instead of after a batch
 *     sequence finishes (which may take hundreds of steps). 0 to {@code maxBatchSize - 1}; by
 *     default 1 when the batch has two rows or more
 */
public record EngineConfig(int maxBatchSize, int maxBatchTokens, int prefillChunk, long prefixCacheBytes,
        long kvMemoryBytes, int interactiveRows) {
    /** With the default {@link #interactiveRows}. */
    public EngineConfig(int maxBatchSize, int maxBatchTokens, int prefillChunk, long prefixCacheBytes, long kvMemoryBytes) {
        this(maxBatchSize, maxBatchTokens, prefillChunk, prefixCacheBytes, kvMemoryBytes, defaultInteractiveRows(maxBatchSize));
    }

    /** With the KV memory this machine's default ({@link #defaultKvMemoryBytes}). */
    public EngineConfig(int maxBatchSize, int maxBatchTokens, int prefillChunk, long prefixCacheBytes) {
        this(maxBatchSize, maxBatchTokens, prefillChunk, prefixCacheBytes, defaultKvMemoryBytes());
    }

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
        if (kvMemoryBytes < 1) {
            throw new IllegalArgumentException("kvMemoryBytes is " + kvMemoryBytes + ": set it to a positive size, such as 512m");
        }
        if (interactiveRows < 0 || interactiveRows >= maxBatchSize) {
            throw new IllegalArgumentException("interactiveRows is " + interactiveRows + ": set it from 0 to maxBatchSize - 1 ("
                    + (maxBatchSize - 1) + "), so that batch work keeps at least one row");
        }
    }

    /** One row kept for interactive prompts, where the batch has a row to spare. */
    public static int defaultInteractiveRows(int maxBatchSize) {
        return maxBatchSize > 1 ? 1 : 0;
    }

    public EngineConfig withKvMemoryBytes(long bytes) {
        return new EngineConfig(maxBatchSize, maxBatchTokens, prefillChunk, prefixCacheBytes, bytes, interactiveRows);
    }

    public EngineConfig withInteractiveRows(int rows) {
        return new EngineConfig(maxBatchSize, maxBatchTokens, prefillChunk, prefixCacheBytes, kvMemoryBytes, rows);
    }

    /**
     * Half the JVM's maximum heap (a quarter of physical memory if the heap is unbounded). The
     * batch's buffers are direct memory, which the JVM caps at the maximum heap unless
     * -XX:MaxDirectMemorySize says otherwise: half leaves the cap room for a buffer being replaced
     * while it grows. The prefix cache (at most its own budget, 256 MiB by default) lives on the
     * heap, which holds little else of size. Onnxruntime's weights and activations are native
     * memory outside both. With -Xmx2g (the benchmark's) that is 1 GiB: 16 GPT-2-small sequences of
     * up to about 450 tokens each, the benchmark's at full batch.
     */
    public static long defaultKvMemoryBytes() {
        long heap = Runtime.getRuntime().maxMemory();
        if (heap == Long.MAX_VALUE
                && java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize() / 4;
        }
        return heap / 2;
    }

    /** 16 sequences (one row kept for interactive prompts), 512 tokens a step, 256-token prompt chunks, a 256 MiB prefix cache. */
    public static EngineConfig defaults() {
        return new EngineConfig(16, 512, 256, 256L << 20);
    }
}
