package io.millrace.router;

import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.Stores;
import java.time.Duration;
import java.util.Map;

/**
 * What the router needs to decide about a request, validated when built so a bad deployment fails
 * at start with a message naming the fix, not on the first record.
 *
 * @param catalog        the served models: requests naming another model get {@code model_not_found},
 *                       and each model's requests go to {@code millrace.gen.<model>}
 * @param dedupRetention how long a request id is remembered; duplicates within it are dropped.
 *                       Normally {@link Stores#DEDUP_RETENTION}; shorter only for tests
 * @param modelIdentity  each served model's identity (a hash of its directory's content), which the
 *                       response cache keys on: a model re-exported under the same name never answers
 *                       with the old one's completions. Needed for every model when the cache is on
 * @param cache          the response cache's settings
 * @param quotas         tokens per day per tenant ({@link QuotaPolicy}); tenants not named are not limited
 */
public record RouterConfig(ModelCatalog catalog, Duration dedupRetention, Map<String, String> modelIdentity,
        CacheSettings cache, Map<String, Long> quotas) {
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
        modelIdentity = Map.copyOf(modelIdentity == null ? Map.of() : modelIdentity);
        if (cache == null) {
            throw new IllegalArgumentException("cache is null: pass CacheSettings.DEFAULT, or CacheSettings.DISABLED for no cache");
        }
        quotas = Map.copyOf(quotas == null ? Map.of() : quotas);
        quotas.forEach((tenant, n) -> {
            if (tenant.isBlank() || n < 1) {
                throw new IllegalArgumentException("quota of tenant '" + tenant + "' is " + n
                        + " tokens per day: name the tenant and give it at least 1 token per day");
            }
        });
        if (cache.enabled()) {
            for (String model : catalog.names()) {
                String id = modelIdentity.get(model);
                if (id == null || id.isBlank()) {
                    throw new IllegalArgumentException("model '" + model + "' has no identity, which the response cache keys"
                            + " on: pass the content hash of its directory in modelIdentity, or disable the cache");
                }
            }
        }
    }

    /** A router without quotas. */
    public RouterConfig(ModelCatalog catalog, Duration dedupRetention, Map<String, String> modelIdentity, CacheSettings cache) {
        this(catalog, dedupRetention, modelIdentity, cache, Map.of());
    }

    /** A router without a response cache. */
    public RouterConfig(ModelCatalog catalog, Duration dedupRetention) {
        this(catalog, dedupRetention, Map.of(), CacheSettings.DISABLED);
    }

    /** A router without a response cache, with dedup for {@link Stores#DEDUP_RETENTION}. */
    public RouterConfig(ModelCatalog catalog) {
        this(catalog, Stores.DEDUP_RETENTION);
    }
}
