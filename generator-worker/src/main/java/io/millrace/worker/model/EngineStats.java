package io.millrace.worker.model;

/**
 * Counters of a {@link CompletionEngine} (names in the spirit of vLLM's metrics).
 *
 * @param running            requests in the running batch
 * @param waiting            requests queued, not yet admitted
 * @param promptTokens       prompt tokens processed since start (prefix-cache hits excluded)
 * @param generatedTokens    completion tokens produced since start
 * @param prefixCacheQueries prompt tokens looked up in the prefix cache
 * @param prefixCacheHits    of those, tokens whose KV was reused
 * @param prefixCacheBytes   memory held by the prefix cache now
 */
public record EngineStats(int running, int waiting, long promptTokens, long generatedTokens, long prefixCacheQueries,
        long prefixCacheHits, long prefixCacheBytes) {}
