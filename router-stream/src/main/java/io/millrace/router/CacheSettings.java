package io.millrace.router;

import io.millrace.protocol.Topics;
import java.time.Duration;

/**
 * How the router's response cache behaves, validated when built so a bad value fails at start.
 *
 * @param enabled    answer repeated cacheable requests from the cache (on by default)
 * @param shared     one cache for every tenant; false (the default) scopes entries per tenant, so one
 *                   tenant never receives a completion another tenant's request produced
 * @param ttl        how long an entry is served after it was stored (default 24 h, at most 7 days,
 *                   the cache topic's retention)
 * @param maxEntries entries each router instance keeps in memory; the least recently used go first
 */
public record CacheSettings(boolean enabled, boolean shared, Duration ttl, int maxEntries) {
    public static final Duration DEFAULT_TTL = Duration.ofHours(24);
    public static final int DEFAULT_MAX_ENTRIES = 100_000;
    /** The production default: on, per tenant, 24 h, 100,000 entries. */
    public static final CacheSettings DEFAULT = new CacheSettings(true, false, DEFAULT_TTL, DEFAULT_MAX_ENTRIES);
    public static final CacheSettings DISABLED = new CacheSettings(false, false, DEFAULT_TTL, DEFAULT_MAX_ENTRIES);

    public CacheSettings {
        Duration max = Duration.ofMillis(Topics.RESPONSE_CACHE_MAX_TTL_MS);
        if (ttl == null || ttl.isNegative() || ttl.isZero() || ttl.compareTo(max) > 0) {
            throw new IllegalArgumentException("cache.ttl is " + ttl + ": use a duration above 0 and at most " + max.toDays()
                    + " days (the retention of " + Topics.RESPONSE_CACHE.name() + "), e.g. 24h");
        }
        if (maxEntries < 1) {
            throw new IllegalArgumentException("cache.max.entries is " + maxEntries
                    + ": use at least 1, or turn the cache off with cache.enabled=false");
        }
    }
}
