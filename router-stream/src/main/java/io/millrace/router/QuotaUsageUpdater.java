package io.millrace.router;

import io.millrace.protocol.Stores;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.QuotaUsage;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Keeps the global store {@link Stores#ROUTER_QUOTA_USAGE} in step with {@code millrace.quota-usage}
 * ({@link GlobalStoreMirror}). Entries never expire here: {@link QuotaLedger} counts only the
 * current window of each.
 */
final class QuotaUsageUpdater extends GlobalStoreMirror {
    QuotaUsageUpdater() {
        super(Stores.ROUTER_QUOTA_USAGE, "a quota usage entry");
    }

    @Override
    Entry judge(byte[] value, long now) {
        return decode(value) == null ? Entry.NOT_AN_ENTRY : Entry.LIVE;
    }

    static QuotaUsage decode(byte[] value) {
        if (value == null) {
            return null;
        }
        try {
            QuotaUsage u = Topics.QUOTA_USAGE_SERDE.deserializer().deserialize(Topics.QUOTA_USAGE.name(), value);
            return u == null || u.tenant() == null ? null : u;
        } catch (SerializationException e) {
            return null;
        }
    }
}
