package io.millrace.infra;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A deployment file ({@code --config millrace.yaml}), read and checked by {@link DeploymentFile}.
 * Everything a deployment decides besides where it runs: the models and their prices, the names
 * clients may use for them, and the stage settings that {@code --set} also takes.
 *
 * <p>Everything in the file is in force: aliases, the cache, {@code auto} routing, the models' prices
 * and quality (budget routing), fallback chains and quotas.
 *
 * @param source    the file, named in every message about it
 * @param models    served models, in order; empty: {@code --model-dir} or the built-in model
 * @param remotes   models served by OpenAI-compatible servers elsewhere ({@code kind: remote}), answered by
 *                  the {@code remote} role; served beside the local ones, under their own names
 * @param aliases   names clients may send, to served model names
 * @param fallbacks per model, the models to try, in order, when its circuit is open (passed to the router)
 * @param auto      how {@code "model": "auto"} chooses
 * @param quotas    tokens per day per tenant, enforced by the router (its {@code QuotaGate})
 * @param settings  {@code --set} keys (the {@code set:} section and the {@code cache:} section's keys);
 *                  {@code --set} on the command line wins over them
 */
record DeploymentConfig(Path source, List<ModelSpec> models, List<RemoteSpec> remotes, Map<String, String> aliases,
        Map<String, List<String>> fallbacks, AutoRouting auto, Map<String, Long> quotas, Map<String, Object> settings) {
    static final DeploymentConfig EMPTY = new DeploymentConfig(null, List.of(), Map.of(), Map.of(), AutoRouting.OFF, Map.of(),
            Map.of());

    /** A deployment of local models only. */
    DeploymentConfig(Path source, List<ModelSpec> models, Map<String, String> aliases, Map<String, List<String>> fallbacks,
            AutoRouting auto, Map<String, Long> quotas, Map<String, Object> settings) {
        this(source, models, List.of(), aliases, fallbacks, auto, quotas, settings);
    }

    /**
     * A remote model ({@code kind: remote}) and the deployment's estimate of its quality (null when
     * not given), which puts it among budget routing's choices as for a local model.
     */
    record RemoteSpec(io.millrace.remote.RemoteModel model, Double quality) {
        String name() {
            return model.name();
        }
    }

    /**
     * A served model: its directory (served under the directory's name), its price in USD per million
     * tokens, and the deployment's estimate of its quality (0 to 1; null when not given). Budget
     * routing chooses among the models that have a quality (the file requires a price with it).
     */
    record ModelSpec(Path directory, Price price, Double quality) {
        ModelSpec(Path directory, Price price) {
            this(directory, price, null);
        }

        String name() {
            return directory.toAbsolutePath().normalize().getFileName().toString();
        }
    }

    record Price(double inputPerMillion, double outputPerMillion) {}

    /** {@code auto:}: a model for easy prompts and one for the rest. */
    record AutoRouting(boolean enabled, String small, String large) {
        static final AutoRouting OFF = new AutoRouting(false, null, null);
    }

    DeploymentConfig {
        models = List.copyOf(models);
        remotes = List.copyOf(remotes);
        aliases = Map.copyOf(aliases);
        fallbacks = Map.copyOf(fallbacks);
        quotas = Map.copyOf(quotas);
        settings = Map.copyOf(settings);
    }

    /**
     * Checks every model name the file uses against the models actually served (which may come from
     * {@code --model-dir} rather than the file), with the key path of the first that is not.
     */
    void checkNames(Set<String> served) {
        aliases.forEach((alias, target) -> {
            if (served.contains(alias)) {
                throw problem("aliases." + alias, "is the name of a served model; an alias may not hide one: rename the alias");
            }
            require(served, target, "aliases." + alias);
        });
        fallbacks.forEach((model, chain) -> {
            require(served, model, "fallbacks." + model);
            for (int i = 0; i < chain.size(); i++) {
                require(served, chain.get(i), "fallbacks." + model + "[" + i + "]");
            }
        });
        if (auto.enabled()) {
            require(served, auto.small(), "auto.small");
            require(served, auto.large(), "auto.large");
            if (served.contains("auto") || aliases.containsKey("auto")) {
                throw problem("auto", "a served model or an alias is named 'auto', which clients send to let the router"
                        + " choose: rename it, or turn auto routing off");
            }
        }
    }

    private void require(Set<String> served, String name, String path) {
        if (!served.contains(name)) {
            throw problem(path, "'" + name + "' is not a served model: use one of " + served
                    + " (a model is served under its directory's name)");
        }
    }

    UsageException problem(String path, String what) {
        return new UsageException((source == null ? "config" : source.toString()) + ": " + path + ": " + what);
    }
}
