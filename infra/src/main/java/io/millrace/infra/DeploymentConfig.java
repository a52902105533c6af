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
 * <p>Aliases, the cache and quotas are in force. Fallback chains and {@code auto} routing are read
 * and checked now, so a file written for them is right when they land, but they do nothing yet:
 * {@link #inactive()} says so at start.
 *
 * @param source    the file, named in every message about it
 * @param models    served models, in order; empty: {@code --model-dir} or the built-in model
 * @param aliases   names clients may send, to served model names
 * @param fallbacks per model, the models to try, in order, when it is down (not active yet)
 * @param auto      how {@code "model": "auto"} chooses (not active yet)
 * @param quotas    tokens per day per tenant, enforced by the router (its {@code QuotaGate})
 * @param settings  {@code --set} keys (the {@code set:} section and the {@code cache:} section's keys);
 *                  {@code --set} on the command line wins over them
 */
record DeploymentConfig(Path source, List<ModelSpec> models, Map<String, String> aliases, Map<String, List<String>> fallbacks,
        AutoRouting auto, Map<String, Long> quotas, Map<String, Object> settings) {
    static final DeploymentConfig EMPTY = new DeploymentConfig(null, List.of(), Map.of(), Map.of(), AutoRouting.OFF, Map.of(),
            Map.of());

    /** A served model: its directory (served under the directory's name) and its price in USD per million tokens. */
    record ModelSpec(Path directory, Price price) {
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
        aliases = Map.copyOf(aliases);
        fallbacks = Map.copyOf(fallbacks);
        quotas = Map.copyOf(quotas);
        settings = Map.copyOf(settings);
    }

    /** What the file asks for that this version does not do yet, one line each, to be shown at start. */
    List<String> inactive() {
        List<String> lines = new ArrayList<>();
        if (!fallbacks.isEmpty()) {
            lines.add(source + ": fallbacks are read and checked but NOT ACTIVE yet: a model that is down is not replaced");
        }
        if (auto.enabled()) {
            lines.add(source + ": auto routing is read and checked but NOT ACTIVE yet: \"model\": \"auto\" is answered model_not_found");
        }
        return lines;
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
