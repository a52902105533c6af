package io.millrace.router;

import io.millrace.protocol.Stores;
import io.millrace.protocol.events.CacheEntry;

/**
 * Keeps the global {@link ResponseCache} store in step with {@code millrace.response-cache}
 * ({@link GlobalStoreMirror}): an entry past its expiry is removed rather than kept.
 */
final class CacheStoreUpdater extends GlobalStoreMirror {
    CacheStoreUpdater() {
        super(Stores.ROUTER_RESPONSE_CACHE, "a cache entry");
    }

    @Override
    Entry judge(byte[] value, long now) {
        CacheEntry entry = ResponseCache.decode(value);
        return entry == null ? Entry.NOT_AN_ENTRY : entry.liveAt(now) ? Entry.LIVE : Entry.EXPIRED;
    }
}
