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
    /**
     * The tokens to prefill: the prompt, or after a preemption the prompt and the tokens picked
     * before it but the last ({@link Decoding#contextBeforeLastToken}).
     */
    int[] context;
    /** Set by a preemption after the first token: the end of the prefill picks no token, the sequence decodes on from its last one. */
    boolean resumed;
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
        this.context = prompt;
    }

    boolean interactive() {
        return lane == Lane.INTERACTIVE;
    }

    /** Whether its prefill must score every prompt position: an echo request's, not again after a preemption. */
    boolean scoresPrompt() {
        return decoding.scoresPrompt() && !resumed;
    }

    boolean decoding() {
        return row != null;
    }

    int remainingPrompt() {
        return context.length - prefilled;
    }

    /**
     * Gives up the sequence's row and caches for a later recompute (vLLM's preemption by
     * recompute): its picked tokens and sampling state stay, so it goes on where it stopped.
     */
    void preempt() {
        releaseCache();
        row = null;
        prefilled = 0;
        lastBlock = null;
        cachedBlocks = 0;
        cachingStopped = false;
        if (decoding.generatedCount() == 0) {
            decoding.restartPromptScoring();
        } else {
            context = decoding.contextBeforeLastToken();
            resumed = true;
        }
    }

    void releaseCache() {
        if (cache != null) {
            cache.close();
            cache = null;
        }
    }
}
