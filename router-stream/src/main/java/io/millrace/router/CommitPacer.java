package io.millrace.router;

import java.util.Arrays;

/**
 * Decides when the router asks Kafka Streams to commit a cache hit at once rather than at the next
 * commit interval. The answer is visible to read_committed readers only after the commit, so a lone
 * hit waited for the interval (p50 27 ms where its processing takes well under one;
 * benchmarks/router.sh). A commit per hit costs a transaction each (~6 ms on the in-process broker:
 * at most ~150 hits/s), so it asks only while hits are sparse: when at most {@code maxRecent} were
 * answered in the last {@code windowNanos}. A flood of hits (an evaluation run again, all cached)
 * fills the window, nothing is asked, and the interval batches the commits as before.
 *
 * <p>Only hits: asking for routed requests too was measured with the API benchmark and made 16
 * concurrent clients slower (p50 ~200 → ~300 ms): a transaction per request contended with the
 * worker's for the same 2 CPUs, and a routed request waits for generation anyway.
 */
final class CommitPacer {
    private final long windowNanos;
    private final long[] recent;
    private int next;

    /**
     * @param windowNanos the window; the commit interval (20 ms) suits it
     * @param maxRecent   hits per window up to which each asks for a commit
     */
    CommitPacer(long windowNanos, int maxRecent) {
        if (windowNanos <= 0 || maxRecent < 1) {
            throw new IllegalArgumentException("windowNanos must be positive and maxRecent at least 1, not "
                    + windowNanos + " and " + maxRecent);
        }
        this.windowNanos = windowNanos;
        this.recent = new long[maxRecent + 1];
        Arrays.fill(recent, Long.MIN_VALUE / 2);
    }

    /** Records one hit at {@code nowNanos} (a monotonic clock); true when it should be committed at once. */
    boolean commitNow(long nowNanos) {
        // A ring of the last maxRecent + 1 times; after the write, the oldest is at next.
        recent[next] = nowNanos;
        next = (next + 1) % recent.length;
        return nowNanos - recent[next] > windowNanos;
    }
}
