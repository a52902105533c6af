package io.millrace.router;

import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.Stores;
import java.time.Duration;

/**
 * What the router needs to decide about a request, validated when built so a bad deployment fails
 * at start with a message naming the fix, not on the first record.
 *
 * @param catalog        the served models: requests naming another model get {@code model_not_found},
 *                       and each model's requests go to {@code millrace.gen.<model>}
 * @param dedupRetention how long a request id is remembered; duplicates within it are dropped.
 *                       Normally {@link Stores#DEDUP_RETENTION}; shorter only for tests
 */
public record RouterConfig(ModelCatalog catalog, Duration dedupRetention) {
    public RouterConfig {
        if (catalog == null) {
            throw new IllegalArgumentException("catalog is null: pass the ModelCatalog of the models this deployment serves");
        }
        if (catalog.names().isEmpty()) {
            throw new IllegalArgumentException("catalog is empty: a router with no models would reject every request;"
                    + " list at least one served model in the ModelCatalog");
        }
        if (dedupRetention == null || dedupRetention.isNegative() || dedupRetention.isZero()) {
            throw new IllegalArgumentException("dedupRetention is " + dedupRetention
                    + ": use a positive duration, normally Stores.DEDUP_RETENTION (" + Stores.DEDUP_RETENTION + ")");
        }
    }

    /** The production configuration: dedup for {@link Stores#DEDUP_RETENTION}. */
    public RouterConfig(ModelCatalog catalog) {
        this(catalog, Stores.DEDUP_RETENTION);
    }
}
