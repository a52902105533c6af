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
 */
public final class ModelCatalog {
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

    public ModelCatalog(Collection<Entry> models) {
        this(models, Map.of());
    }

    /** @param aliases alias name to served model name */
    public ModelCatalog(Collection<Entry> models, Map<String, String> aliases) {
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
        this.aliases = Map.copyOf(aliases);
    }

    /** This catalog with these aliases (alias name to served model name) instead of its own. */
    public ModelCatalog withAliases(Map<String, String> newAliases) {
        return new ModelCatalog(entries.values(), newAliases);
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

    /** The served model named, directly or by an alias. */
    public Optional<Entry> find(String name) {
        return resolve(name).map(entries::get);
    }

    public Set<String> names() {
        return java.util.Collections.unmodifiableSet(entries.keySet());
    }

    public Collection<Entry> entries() {
        return entries.values();
    }
}
