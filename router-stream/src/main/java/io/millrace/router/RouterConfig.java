package io.millrace.router;

import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.Stores;
import java.time.Duration;
import java.util.List;
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
 * @param auto           how {@code "model": "auto"} chooses, when the catalog accepts it: normally
 *                       {@link AutoRouter#trained()}; {@link AutoRouter#RULE_ONLY} for the seed's rule alone
 * @param fallbacks      per served model, the served models to try in order when its circuit is open
 *                       (the deployment file's {@code fallbacks:}); a model with none has no fallback
 * @param health         when circuits open and close, and what happens when a whole chain is down
 * @param quotas         tokens per day per tenant ({@link QuotaPolicy}); tenants not named are not limited
 * @param quotaWindow    how long a quota lasts: a day ({@link QuotaPolicy#DAY}), or a divisor of a day
 *                       ({@code router.quota.window})
 */
public record RouterConfig(ModelCatalog catalog, Duration dedupRetention, Map<String, String> modelIdentity,
        CacheSettings cache, AutoRouter auto, Map<String, List<String>> fallbacks, HealthSettings health,
        Map<String, Long> quotas, Duration quotaWindow) {
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
        if (auto == null) {
            throw new IllegalArgumentException("auto is null: pass AutoRouter.trained() (or AutoRouter.RULE_ONLY for the seed's"
                    + " rule alone)");
        }
        fallbacks = Map.copyOf(fallbacks == null ? Map.of() : fallbacks);
        fallbacks.forEach((model, chain) -> {
            if (!catalog.names().contains(model)) {
                throw new IllegalArgumentException("fallbacks." + model + ": '" + model + "' is not a served model: use one of "
                        + catalog.names());
            }
            for (String next : chain) {
                if (!catalog.names().contains(next) || next.equals(model)) {
                    throw new IllegalArgumentException("fallbacks." + model + ": '" + next + "' is " + (next.equals(model)
                            ? "the model itself" : "not a served model") + ": list other served models of " + catalog.names());
                }
            }
        });
        fallbacks = fallbacks.entrySet().stream().collect(java.util.stream.Collectors.toUnmodifiableMap(
                Map.Entry::getKey, e -> List.copyOf(e.getValue())));
        if (health == null) {
            throw new IllegalArgumentException("health is null: pass HealthSettings.DEFAULT");
        }
        QuotaPolicy.checkWindow(quotaWindow);
    }

    /**
     * Checks a quota window before a config is built, as the deployment's settings are read.
     *
     * @throws IllegalArgumentException naming {@code router.quota.window} and what to write, unless it is
     *         from 1 s to a day and divides a day
     */
    public static void checkQuotaWindow(Duration window) {
        QuotaPolicy.checkWindow(window);
    }

    /** With daily quotas. */
    public RouterConfig(ModelCatalog catalog, Duration dedupRetention, Map<String, String> modelIdentity,
            CacheSettings cache, AutoRouter auto, Map<String, List<String>> fallbacks, HealthSettings health,
            Map<String, Long> quotas) {
        this(catalog, dedupRetention, modelIdentity, cache, auto, fallbacks, health, quotas, QuotaPolicy.DAY);
    }

    /** With the seed's rule alone for {@code auto}, no fallback chains, the default health settings and no quotas. */
    public RouterConfig(ModelCatalog catalog, Duration dedupRetention, Map<String, String> modelIdentity, CacheSettings cache) {
        this(catalog, dedupRetention, modelIdentity, cache, AutoRouter.RULE_ONLY, Map.of(), HealthSettings.DEFAULT, Map.of());
    }

    /** This config with {@code router} choosing for {@code auto}. */
    public RouterConfig withAuto(AutoRouter router) {
        return new RouterConfig(catalog, dedupRetention, modelIdentity, cache, router, fallbacks, health, quotas, quotaWindow);
    }

    /** This config with these fallback chains and health settings. */
    public RouterConfig withHealth(Map<String, List<String>> chains, HealthSettings settings) {
        return new RouterConfig(catalog, dedupRetention, modelIdentity, cache, auto, chains, settings, quotas, quotaWindow);
    }

    /** This config with these tokens per day per tenant. */
    public RouterConfig withQuotas(Map<String, Long> tokensPerDay) {
        return new RouterConfig(catalog, dedupRetention, modelIdentity, cache, auto, fallbacks, health, tokensPerDay, quotaWindow);
    }

    /** This config with quotas lasting {@code window} instead of a day. */
    public RouterConfig withQuotaWindow(Duration window) {
        return new RouterConfig(catalog, dedupRetention, modelIdentity, cache, auto, fallbacks, health, quotas, window);
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
