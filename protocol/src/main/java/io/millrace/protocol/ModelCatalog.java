package io.millrace.protocol;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The models a deployment serves and their context lengths: what validation at ingest and the
 * router checks requests against. The generator workers own the models themselves.
 *
 * <p>Aliases are other names clients may send (say {@code gpt-4o-mini}) for a served model: every
 * entry point accepts them ({@link #find} resolves them), and the router routes the request to the
 * served model ({@link #resolve}). {@link #names()} are the served models only.
 *
 * <p>{@value #AUTO}, when the deployment turns it on ({@link #withAuto}), is accepted by every entry
 * point too: the router picks one of two served models for it by the prompt's complexity. It is
 * checked against the stricter of the two ({@link #find}), so a request valid for {@code auto} is
 * valid for whichever model it gets. {@link #resolve} does not resolve it: only the router chooses.
 */
public final class ModelCatalog {
    /** The model name that asks the router to choose by the prompt's complexity. */
    public static final String AUTO = "auto";

    /** What {@value #AUTO} chooses between: a model for easy prompts and one for the rest. */
    public record AutoModels(String small, String large) {}

    /**
     * A served model. {@code contextLength} is 0 when unknown (then only workers check lengths);
     * {@code vocabSize} is 0 when unknown (then only workers check the token ids of a prompt).
     */
    public record Entry(String name, int contextLength, int vocabSize) {
        public Entry(String name, int contextLength) {
            this(name, contextLength, 0);
        }
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, String> aliases;
    private final AutoModels auto;

    public ModelCatalog(Collection<Entry> models) {
        this(models, Map.of());
    }

    /** @param aliases alias name to served model name */
    public ModelCatalog(Collection<Entry> models, Map<String, String> aliases) {
        this(models, aliases, null);
    }

    private ModelCatalog(Collection<Entry> models, Map<String, String> aliases, AutoModels auto) {
        for (Entry e : models) {
            Topics.generation(e.name()); // rejects names that cannot name a topic
            if (entries.putIfAbsent(e.name(), e) != null) {
                throw new IllegalArgumentException("model '" + e.name() + "' is listed twice: each served model needs its own name");
            }
        }
        for (Map.Entry<String, String> a : aliases.entrySet()) {
            if (a.getKey() == null || a.getKey().isBlank()) {
                throw new IllegalArgumentException("an alias has no name: give each alias the model name clients send");
            }
            if (entries.containsKey(a.getKey())) {
                throw new IllegalArgumentException("alias '" + a.getKey() + "' is the name of a served model: an alias"
                        + " may not hide one; remove the alias or rename it");
            }
            if (!entries.containsKey(a.getValue())) {
                throw new IllegalArgumentException("alias '" + a.getKey() + "' points at '" + a.getValue()
                        + "', which is not served: point it at one of " + entries.keySet());
            }
        }
        if (auto != null) {
            if (aliases.containsKey(AUTO) || entries.containsKey(AUTO)) {
                throw new IllegalArgumentException("'" + AUTO + "' names a model or an alias, but with auto routing on clients"
                        + " send \"" + AUTO + "\" to let the router choose: rename that model or alias");
            }
            for (String m : new String[] {auto.small(), auto.large()}) {
                if (!entries.containsKey(m)) {
                    throw new IllegalArgumentException("auto routing names '" + m + "', which is not served: use one of "
                            + entries.keySet());
                }
            }
        }
        this.aliases = Map.copyOf(aliases);
        this.auto = auto;
    }

    /** This catalog with these aliases (alias name to served model name) instead of its own. */
    public ModelCatalog withAliases(Map<String, String> newAliases) {
        return new ModelCatalog(entries.values(), newAliases, auto);
    }

    /** This catalog accepting {@value #AUTO}, routed to one of {@code models} (both served); null: not accepted. */
    public ModelCatalog withAuto(AutoModels models) {
        return new ModelCatalog(entries.values(), aliases, models);
    }

    /** What {@value #AUTO} chooses between, or empty when this deployment does not accept it. */
    public Optional<AutoModels> auto() {
        return Optional.ofNullable(auto);
    }

    /** The served model a requested name stands for: itself when served, its target when an alias, else empty. */
    public Optional<String> resolve(String requested) {
        if (requested == null) {
            return Optional.empty();
        }
        if (entries.containsKey(requested)) {
            return Optional.of(requested);
        }
        return Optional.ofNullable(aliases.get(requested));
    }

    public Map<String, String> aliases() {
        return aliases;
    }

    public static ModelCatalog of(Entry... models) {
        return new ModelCatalog(java.util.List.of(models));
    }

    /**
     * The served model named, directly or by an alias; for {@value #AUTO} (when accepted) an entry
     * named {@value #AUTO} with the smaller known context and vocabulary of its two models, so that
     * what is checked against it holds for either.
     */
    public Optional<Entry> find(String name) {
        if (auto != null && AUTO.equals(name)) {
            Entry small = entries.get(auto.small());
            Entry large = entries.get(auto.large());
            return Optional.of(new Entry(AUTO, smallerKnown(small.contextLength(), large.contextLength()),
                    smallerKnown(small.vocabSize(), large.vocabSize())));
        }
        return resolve(name).map(entries::get);
    }

    /** 0 means unknown: the smaller of two sizes, or the one known. */
    private static int smallerKnown(int a, int b) {
        return a == 0 ? b : b == 0 ? a : Math.min(a, b);
    }

    public Set<String> names() {
        return java.util.Collections.unmodifiableSet(entries.keySet());
    }

    public Collection<Entry> entries() {
        return entries.values();
    }
}
