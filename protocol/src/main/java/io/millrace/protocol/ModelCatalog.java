package io.millrace.protocol;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The models a deployment serves and their context lengths: what validation at ingest and the
 * router checks requests against. The generator workers own the models themselves.
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

    public ModelCatalog(Collection<Entry> models) {
        for (Entry e : models) {
            Topics.generation(e.name()); // rejects names that cannot name a topic
            if (entries.putIfAbsent(e.name(), e) != null) {
                throw new IllegalArgumentException("model '" + e.name() + "' is listed twice: each served model needs its own name");
            }
        }
    }

    public static ModelCatalog of(Entry... models) {
        return new ModelCatalog(java.util.List.of(models));
    }

    public Optional<Entry> find(String name) {
        return Optional.ofNullable(entries.get(name));
    }

    public Set<String> names() {
        return java.util.Collections.unmodifiableSet(entries.keySet());
    }

    public Collection<Entry> entries() {
        return entries.values();
    }
}
