package io.millrace.worker.model;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The KV of prompt prefixes, kept for later requests that start the same way (vLLM's automatic
 * prefix caching): requests that share a system prompt compute it once.
 *
 * <p>Prompts are cut into blocks of {@link #BLOCK_TOKENS} tokens. A block is keyed by a hash of its
 * parent block's hash and its own tokens, so one key stands for the whole prefix up to the block's
 * end, and a lookup walks a prompt's blocks from the first until one is missing. A hash collision
 * cannot hand a request another prompt's KV: a found block must also hold the same tokens and hang
 * off the block matched before it.
 *
 * <p>Memory stays within the budget: storing evicts the least recently used block that has no
 * cached children (a child without its parent could never be reached again, so leaves go first).
 *
 * <p>Not thread-safe: the engine's inference thread owns it.
 */
final class PrefixCache {
    static final int BLOCK_TOKENS = 16;

    /** The KV of one block: per cache tensor, [heads, BLOCK_TOKENS, head_dim] row-major, as raw numbers of the model's cache type. */
    static final class Block {
        private final long hash;
        private final int[] tokens;
        private final Block parent;
        private final byte[][] kv;
        private int children;
        private boolean evicted;

        private Block(long hash, int[] tokens, Block parent, byte[][] kv) {
            this.hash = hash;
            this.tokens = tokens;
            this.parent = parent;
            this.kv = kv;
        }

        byte[] kv(int tensor) {
            return kv[tensor];
        }
    }

    private final long budgetBytes;
    /** The budget, or less while the engine's KV budget needs the memory for running sequences. */
    private long limitBytes;
    private final int tensors;
    private final int heads;
    private final int headDim;
    /** Bytes per cached number: 4 for float32, 2 for float16. */
    private final int bytesPerNumber;
    private final long blockBytes;
    /** Access-ordered: iteration starts at the least recently used block. */
    private final LinkedHashMap<Long, Block> blocks = new LinkedHashMap<>(16, 0.75f, true);
    private long queries;
    private long hits;

    PrefixCache(long budgetBytes, int tensors, int heads, int headDim, int bytesPerNumber) {
        this.budgetBytes = budgetBytes;
        this.limitBytes = budgetBytes;
        this.tensors = tensors;
        this.heads = heads;
        this.headDim = headDim;
        this.bytesPerNumber = bytesPerNumber;
        this.blockBytes = (long) tensors * heads * BLOCK_TOKENS * headDim * bytesPerNumber;
    }

    /**
     * The cached blocks that begin {@code prompt}, in order, covering at most {@code maxTokens}
     * tokens; counted in {@link #queries} and {@link #hits} (tokens).
     */
    List<Block> match(int[] prompt, int maxTokens) {
        List<Block> found = new ArrayList<>();
        Block parent = null;
        for (int i = 0; (i + 1) * BLOCK_TOKENS <= maxTokens; i++) {
            int[] tokens = blockTokens(prompt, i);
            Block b = blocks.get(hash(parent, tokens));
            if (b == null || b.parent != parent || !Arrays.equals(b.tokens, tokens)) {
                break;
            }
            found.add(b);
            parent = b;
        }
        queries += prompt.length;
        hits += (long) found.size() * BLOCK_TOKENS;
        return found;
    }

    /**
     * Caches block {@code index} of {@code prompt}, its KV copied from {@code kv} (per tensor
     * [1, heads, length, head_dim], as {@link KvCache#read} gives it).
     *
     * @param parent the block before it (null for the first)
     * @return the cached block (an equal one may have been there already), or null when it cannot be
     *     cached: its parent was evicted, another prefix holds its hash, or it exceeds the budget
     */
    Block store(int[] prompt, int index, Block parent, ByteBuffer[] kv, int length) {
        if (blockBytes > limitBytes || (parent != null && parent.evicted)) {
            return null;
        }
        int[] tokens = blockTokens(prompt, index);
        long hash = hash(parent, tokens);
        Block existing = blocks.get(hash);
        if (existing != null) {
            return existing.parent == parent && Arrays.equals(existing.tokens, tokens) ? existing : null;
        }
        int headBytes = BLOCK_TOKENS * headDim * bytesPerNumber;
        byte[][] data = new byte[tensors][heads * headBytes];
        for (int t = 0; t < tensors; t++) {
            for (int h = 0; h < heads; h++) {
                kv[t].get((h * length + index * BLOCK_TOKENS) * headDim * bytesPerNumber, data[t], h * headBytes, headBytes);
            }
        }
        Block block = new Block(hash, tokens, parent, data);
        if (parent != null) {
            parent.children++;
        }
        blocks.put(hash, block);
        evictOverBudget();
        return block.evicted ? null : block;
    }

    /**
     * Holds at most {@code room} bytes (never more than the budget) from now on, evicting at once
     * what is over: the engine's running sequences come before cached prefixes.
     */
    void limit(long room) {
        limitBytes = Math.min(budgetBytes, room);
        evictOverBudget();
    }

    /** Memory held now. */
    long bytes() {
        return blocks.size() * blockBytes;
    }

    /** Prompt tokens looked up so far. */
    long queries() {
        return queries;
    }

    /** Of those, tokens whose KV was found. */
    long hits() {
        return hits;
    }

    private void evictOverBudget() {
        while (bytes() > limitBytes) {
            Iterator<Block> lru = blocks.values().iterator();
            while (true) {
                Block b = lru.next(); // a chain always ends in a leaf, so one is found
                if (b.children == 0) {
                    lru.remove();
                    b.evicted = true;
                    if (b.parent != null) {
                        b.parent.children--;
                    }
                    break;
                }
            }
        }
    }

    private static int[] blockTokens(int[] prompt, int index) {
        return Arrays.copyOfRange(prompt, index * BLOCK_TOKENS, (index + 1) * BLOCK_TOKENS);
    }

    /** FNV-1a over the parent's hash and the block's tokens. */
    private static long hash(Block parent, int[] tokens) {
        long h = 0xcbf29ce484222325L;
        h = (h ^ (parent == null ? 0 : parent.hash)) * 0x100000001b3L;
        for (int t : tokens) {
            h = (h ^ t) * 0x100000001b3L;
        }
        return h;
    }
}
