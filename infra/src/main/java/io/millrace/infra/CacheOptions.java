package io.millrace.infra;

import io.millrace.router.CacheSettings;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * The response cache's keys among the {@code --set} settings (and the config file's {@code cache:}
 * section, which becomes the same keys): {@code cache.enabled}, {@code cache.shared},
 * {@code cache.ttl}, {@code cache.max.entries}. Read and checked once, at start.
 */
final class CacheOptions {
    static final String ENABLED = "cache.enabled";
    static final String SHARED = "cache.shared";
    static final String TTL = "cache.ttl";
    static final String MAX_ENTRIES = "cache.max.entries";
    static final Set<String> KEYS = Set.of(ENABLED, SHARED, TTL, MAX_ENTRIES);

    private CacheOptions() {}

    /** @throws UsageException naming the key, the value and what to write instead */
    static CacheSettings from(Map<String, Object> settings) {
        for (String key : settings.keySet()) {
            if (key.startsWith("cache.") && !KEYS.contains(key)) {
                throw new UsageException("--set " + key + ": the cache has no such setting; use one of "
                        + new java.util.TreeSet<>(KEYS));
            }
        }
        boolean enabled = bool(settings, ENABLED, CacheSettings.DEFAULT.enabled());
        boolean shared = bool(settings, SHARED, CacheSettings.DEFAULT.shared());
        Duration ttl = CacheSettings.DEFAULT_TTL;
        Object t = settings.get(TTL);
        if (t != null) {
            try {
                ttl = DurationText.parse(t.toString());
            } catch (IllegalArgumentException e) {
                throw new UsageException("--set " + TTL + "=" + t + ": " + e.getMessage());
            }
        }
        int max = CacheSettings.DEFAULT_MAX_ENTRIES;
        Object m = settings.get(MAX_ENTRIES);
        if (m != null) {
            try {
                max = Integer.parseInt(m.toString().trim());
            } catch (NumberFormatException e) {
                throw new UsageException("--set " + MAX_ENTRIES + "=" + m + ": use a whole number of entries, e.g. 100000");
            }
        }
        try {
            return new CacheSettings(enabled, shared, ttl, max);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--set " + e.getMessage());
        }
    }

    private static boolean bool(Map<String, Object> settings, String key, boolean dflt) {
        Object v = settings.get(key);
        if (v == null) {
            return dflt;
        }
        String s = v.toString().trim().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("true") || s.equals("false")) {
            return Boolean.parseBoolean(s);
        }
        throw new UsageException("--set " + key + "=" + v + ": use true or false");
    }
}
