package io.millrace.worker.model;

/**
 * The KV memory budget of one {@link BatchEngine} ({@link EngineConfig#kvMemoryBytes}), kept by
 * reservation: a request is admitted only when the whole context it may reach (prompt plus
 * maxNewTokens) fits beside those already running, so a running sequence never has to be stopped
 * or recomputed to let another grow, and greedy tokens cannot depend on the budget. The price is
 * that memory a request reserves but never uses (it stops early) waits idle; vLLM instead reserves
 * lazily and preempts, which packs more sequences but recomputes.
 *
 * <p>What a batch reserves ({@link Demand}), in tokens of KV (every layer, keys and values):
 * <ul>
 *   <li>the batch's buffers, {@code 2 × rows × longest context}: rows are right-aligned in one
 *       layout as wide as its longest row, and there are two buffers, the past a step reads and
 *       the present it writes;
 *   <li>{@code 2 × prompt} for each sequence still prefilling: the cache of its prompt so far, and
 *       the present a chunk's forward writes while that past is alive.
 * </ul>
 * The batch's buffers never shrink while sequences run (growing them is expensive), so what they
 * hold already counts when it is more than the reservation. The prefix cache gets what is left: it
 * gives way first, before a request has to wait.
 */
final class KvBudget {
    /** What the running sequences reserve: as {@link KvBudget} says. */
    record Demand(int rows, int longestContext, long prefillTokens) {
        static final Demand NONE = new Demand(0, 0, 0);

        /** With one more sequence of {@code prompt} tokens that may reach {@code context} tokens, still prefilling. */
        Demand plus(int prompt, int context) {
            return new Demand(rows + 1, Math.max(longestContext, context), prefillTokens + prompt);
        }
    }

    private final long budgetBytes;
    /** KV bytes of one token: every cache tensor's heads × head_dim numbers. */
    private final long tokenBytes;

    KvBudget(long budgetBytes, long tokenBytes) {
        this.budgetBytes = budgetBytes;
        this.tokenBytes = tokenBytes;
    }

    long budgetBytes() {
        return budgetBytes;
    }

    /** What the batch's buffers may hold: the reservation, or what they hold already if more. */
    long batchBytes(Demand d, long allocatedBatchBytes) {
        return Math.max(2L * d.rows() * d.longestContext() * tokenBytes, allocatedBatchBytes);
    }

    /** Bytes reserved, the prefix cache's aside. */
    long reservedBytes(Demand d, long allocatedBatchBytes) {
        return batchBytes(d, allocatedBatchBytes) + 2L * d.prefillTokens() * tokenBytes;
    }

    boolean fits(Demand d, long allocatedBatchBytes) {
        return reservedBytes(d, allocatedBatchBytes) <= budgetBytes;
    }

    /** What the prefix cache may hold beside the reservation. */
    long prefixCacheRoom(Demand d, long allocatedBatchBytes) {
        return Math.max(0, budgetBytes - reservedBytes(d, allocatedBatchBytes));
    }

    /**
     * Why a request could never run, even alone in an empty engine, or null if it can: the caller
     * fails it at once rather than letting it wait for room that will never come.
     */
    String neverFits(int prompt, int context) {
        long needed = reservedBytes(Demand.NONE.plus(prompt, context), 0);
        if (needed <= budgetBytes) {
            return null;
        }
        return "the request needs " + mib(needed) + " of KV cache (" + prompt + " prompt tokens, up to " + context
                + " in all) but the engine's KV budget is " + mib(budgetBytes)
                + ": raise worker.kv.memory, or ask for fewer tokens (max_tokens) or a shorter prompt";
    }

    private static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (double) (1 << 20));
    }
}
