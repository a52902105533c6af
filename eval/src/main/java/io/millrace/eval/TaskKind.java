package io.millrace.eval;

import java.util.List;

/** What an eval asks of a model, and the metrics that can score it. */
public enum TaskKind {
    /** Chat samples {@code {"input": [messages], "ideal": string or list}} answered by generation. */
    GENERATE("generate", List.of("exact_match", "includes", "regex", "f1"), List.of("exact_match", "f1")),
    /** {@code {"query", "choices", "gold"}} scored by each choice's loglikelihood after the query. */
    MULTIPLE_CHOICE("multiple_choice", List.of("acc", "acc_norm"), List.of("acc", "acc_norm"));

    private final String specName;
    private final List<String> metrics;
    private final List<String> defaultMetrics;

    TaskKind(String specName, List<String> metrics, List<String> defaultMetrics) {
        this.specName = specName;
        this.metrics = metrics;
        this.defaultMetrics = defaultMetrics;
    }

    public String specName() {
        return specName;
    }

    /** The metrics this kind can report, in report order. */
    public List<String> metrics() {
        return metrics;
    }

    public List<String> defaultMetrics() {
        return defaultMetrics;
    }

    public static TaskKind named(String name) {
        for (TaskKind k : values()) {
            if (k.specName.equals(name)) {
                return k;
            }
        }
        throw new IllegalArgumentException("task is '" + name + "': use generate or multiple_choice");
    }
}
