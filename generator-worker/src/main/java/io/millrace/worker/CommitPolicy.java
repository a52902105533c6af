package io.millrace.worker;

import java.time.Duration;

/**
 * When the worker opens a transaction: a transaction costs a few round trips to the broker
 * whatever it holds, so batch results are committed together, at most every {@code interval}
 * while they keep coming, or as soon as {@code maxResults} are ready. A result that finds the
 * worker idle (nothing committed for an interval) is committed at once, so low load sees no added
 * latency.
 *
 * <p>A result that a client is waiting for (an interactive request, {@code RequestEvent.interactive()}) is committed at
 * once, whatever the interval: holding it for company put ~60 ms on the median of a synchronous
 * HTTP call (benchmarks/api-latency.sh). Under interactive load the commits still batch
 * themselves: the loop commits while results keep arriving, and each commit takes what became
 * ready during the one before (group commit).
 */
final class CommitPolicy {
    private final long intervalMillis;
    private final int maxResults;
    private long lastCommitMillis = Long.MIN_VALUE / 2;

    CommitPolicy(Duration interval, int maxResults) {
        if (interval.isNegative() || maxResults < 1) {
            throw new IllegalArgumentException("commit interval must be 0 or more and max results at least 1");
        }
        this.intervalMillis = interval.toMillis();
        this.maxResults = maxResults;
    }

    boolean due(int readyResults, long nowMillis) {
        return due(readyResults, false, nowMillis);
    }

    /** @param interactiveReady whether a ready result answers a waiting client */
    boolean due(int readyResults, boolean interactiveReady, long nowMillis) {
        return readyResults > 0 && (interactiveReady || readyResults >= maxResults
                || nowMillis - lastCommitMillis >= intervalMillis);
    }

    void committed(long nowMillis) {
        lastCommitMillis = nowMillis;
    }
}
