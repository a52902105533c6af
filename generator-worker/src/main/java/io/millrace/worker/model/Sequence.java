package io.millrace.worker.model;

import java.util.concurrent.CompletableFuture;

/**
 * One request inside a {@link BatchEngine}: waiting, then prefilling its prompt chunk by chunk on
 * a cache of its own, then decoding in a row of the batch.
 */
final class Sequence {
    final int[] prompt;
    final Decoding decoding;
    final CompletableFuture<Completion> future;
    final Lane lane;
    /** The sequence's own cache while it prefills; null before its first chunk and once it joined the batch. */
    KvCache cache;
    /** Prompt tokens in {@link #cache}, computed or found in the prefix cache. */
    int prefilled;
    /** The last prompt block in the prefix cache (found or stored), the parent of the next one to store. */
    PrefixCache.Block lastBlock;
    /** Prompt blocks in the prefix cache; storing stops at the first block that could not be stored. */
    int cachedBlocks;
    boolean cachingStopped;
    /** The sequence's row in the batch once its prompt is prefilled. */
    BatchKv.Row row;

    Sequence(int[] prompt, Decoding decoding, CompletableFuture<Completion> future, Lane lane) {
        this.prompt = prompt;
        this.decoding = decoding;
        this.future = future;
        this.lane = lane;
    }

    boolean interactive() {
        return lane == Lane.INTERACTIVE;
    }

    boolean decoding() {
        return row != null;
    }

    int remainingPrompt() {
        return prompt.length - prefilled;
    }

    void releaseCache() {
        if (cache != null) {
            cache.close();
            cache = null;
        }
    }
}
