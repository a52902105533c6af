package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class PrefixCacheTest {
    private static final int B = PrefixCache.BLOCK_TOKENS;
    private static final int TENSORS = 2;
    private static final int HEADS = 2;
    private static final int HEAD_DIM = 3;
    private static final long BLOCK_BYTES = (long) TENSORS * HEADS * B * HEAD_DIM * Float.BYTES;

    @Test
    void findsTheLongestCachedBlockPrefix() {
        PrefixCache cache = new PrefixCache(10 * BLOCK_BYTES, TENSORS, HEADS, HEAD_DIM, Float.BYTES);
        int[] prompt = prompt(3 * B, 0);
        storeAll(cache, prompt, 2);

        assertThat(cache.match(prompt, prompt.length)).hasSize(2);
        assertThat(cache.match(prompt, 2 * B - 1)).as("capped by maxTokens").hasSize(1);
        int[] otherSecondBlock = prompt.clone();
        otherSecondBlock[B + 3] = 999;
        assertThat(cache.match(otherSecondBlock, prompt.length)).hasSize(1);
        int[] otherFirstBlock = prompt.clone();
        otherFirstBlock[0] = 999;
        assertThat(cache.match(otherFirstBlock, prompt.length)).as("a block stands for its whole prefix").isEmpty();

        assertThat(cache.queries()).isEqualTo(4L * prompt.length);
        assertThat(cache.hits()).isEqualTo((2 + 1 + 1 + 0) * (long) B);
    }

    @Test
    void blocksHoldTheirSliceOfEachHead() {
        PrefixCache cache = new PrefixCache(10 * BLOCK_BYTES, TENSORS, HEADS, HEAD_DIM, Float.BYTES);
        int[] prompt = prompt(2 * B + 5, 0);
        ByteBuffer[] kv = kv(prompt.length);
        PrefixCache.Block first = cache.store(prompt, 0, null, kv, prompt.length);
        PrefixCache.Block second = cache.store(prompt, 1, first, kv, prompt.length);
        for (int t = 0; t < TENSORS; t++) {
            for (int h = 0; h < HEADS; h++) {
                for (int p = 0; p < B; p++) {
                    for (int d = 0; d < HEAD_DIM; d++) {
                        assertThat(ByteBuffer.wrap(second.kv(t)).order(ByteOrder.nativeOrder()).getFloat(((h * B + p) * HEAD_DIM + d) * Float.BYTES)).isEqualTo(value(t, h, B + p, d));
                    }
                }
            }
        }
        assertThat(cache.store(prompt, 1, first, kv, prompt.length)).as("stored once").isSameAs(second);
    }

    @Test
    void evictsLeastRecentlyUsedLeavesWithinTheBudget() {
        PrefixCache cache = new PrefixCache(3 * BLOCK_BYTES, TENSORS, HEADS, HEAD_DIM, Float.BYTES);
        int[] a = prompt(2 * B, 0);
        int[] b = prompt(2 * B, 100);
        storeAll(cache, a, 2);
        storeAll(cache, b, 2); // a's second block is the least recent leaf; a's first still has a child then
        assertThat(cache.bytes()).isEqualTo(3 * BLOCK_BYTES);
        assertThat(cache.match(a, a.length)).hasSize(1);
        assertThat(cache.match(b, b.length)).hasSize(2);

        int[] c = prompt(B, 200);
        storeAll(cache, c, 1); // a's first block is now a leaf, and the least recently used
        assertThat(cache.match(a, a.length)).isEmpty();
        assertThat(cache.match(b, b.length)).hasSize(2);
        assertThat(cache.bytes()).isEqualTo(3 * BLOCK_BYTES);
    }

    @Test
    void givesWayToALowerLimitAndNeverRisesAboveItsBudget() {
        PrefixCache cache = new PrefixCache(3 * BLOCK_BYTES, TENSORS, HEADS, HEAD_DIM, Float.BYTES);
        int[] a = prompt(3 * B, 0);
        storeAll(cache, a, 3);
        cache.limit(BLOCK_BYTES);
        assertThat(cache.bytes()).as("evicted at once, leaves first").isEqualTo(BLOCK_BYTES);
        assertThat(cache.match(a, a.length)).hasSize(1);
        int[] b = prompt(B, 100);
        ByteBuffer[] kv = kv(b.length);
        assertThat(cache.store(b, 0, null, kv, b.length)).isNotNull();
        assertThat(cache.bytes()).as("a store stays within the limit").isEqualTo(BLOCK_BYTES);

        cache.limit(0);
        assertThat(cache.bytes()).isZero();
        assertThat(cache.store(b, 0, null, kv, b.length)).isNull();
        cache.limit(Long.MAX_VALUE);
        storeAll(cache, prompt(5 * B, 200), 3);
        assertThat(cache.bytes()).as("the budget still bounds it").isEqualTo(3 * BLOCK_BYTES);
    }

    @Test
    void doesNotStoreWhatCouldNeverBeFound() {
        PrefixCache tooSmall = new PrefixCache(BLOCK_BYTES - 1, TENSORS, HEADS, HEAD_DIM, Float.BYTES);
        int[] prompt = prompt(2 * B, 0);
        assertThat(tooSmall.store(prompt, 0, null, kv(prompt.length), prompt.length)).isNull();
        assertThat(tooSmall.bytes()).isZero();

        PrefixCache one = new PrefixCache(BLOCK_BYTES, TENSORS, HEADS, HEAD_DIM, Float.BYTES);
        PrefixCache.Block first = one.store(prompt, 0, null, kv(prompt.length), prompt.length);
        assertThat(one.store(prompt, 1, first, kv(prompt.length), prompt.length)).as("over budget").isNull();
        assertThat(one.match(prompt, prompt.length)).containsExactly(first);

        int[] other = prompt(B, 50);
        one.store(other, 0, null, kv(other.length), other.length); // evicts first
        assertThat(one.store(prompt, 1, first, kv(prompt.length), prompt.length)).as("parent evicted").isNull();
    }

    private static void storeAll(PrefixCache cache, int[] prompt, int blocks) {
        ByteBuffer[] kv = kv(prompt.length);
        PrefixCache.Block parent = null;
        for (int i = 0; i < blocks; i++) {
            parent = cache.store(prompt, i, parent, kv, prompt.length);
            assertThat(parent).isNotNull();
        }
    }

    private static int[] prompt(int length, int offset) {
        int[] p = new int[length];
        for (int i = 0; i < length; i++) {
            p[i] = offset + i;
        }
        return p;
    }

    /** Float32 tensors [1, heads, length, head_dim], as KvCache#read gives them, whose every value names its place. */
    private static ByteBuffer[] kv(int length) {
        ByteBuffer[] kv = new ByteBuffer[TENSORS];
        for (int t = 0; t < TENSORS; t++) {
            kv[t] = ByteBuffer.allocate(HEADS * length * HEAD_DIM * Float.BYTES).order(ByteOrder.nativeOrder());
            for (int h = 0; h < HEADS; h++) {
                for (int p = 0; p < length; p++) {
                    for (int d = 0; d < HEAD_DIM; d++) {
                        kv[t].putFloat(((h * length + p) * HEAD_DIM + d) * Float.BYTES, value(t, h, p, d));
                    }
                }
            }
        }
        return kv;
    }

    private static float value(int t, int h, int p, int d) {
        return t * 100_000 + h * 10_000 + p * 10 + d;
    }
}
