package io.millrace.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * An evaluation spec (YAML), validated as a whole when read: every mistake is named with its field
 * and the fix, before anything runs.
 *
 * <pre>
 * name: capitals
 * task: generate                 # or multiple_choice
 * dataset: capitals.jsonl        # relative to the spec file
 * models: [millrace-tiny]
 * sampling: {temperature: 0, max_tokens: 16, seed: 1234, n: 1}
 * metrics: [exact_match, includes, regex, f1]
 * normalization: {ignore_case: true, ignore_whitespace: true, ignore_punctuation: true}
 * regex: "answer: (\\w+)"         # only with the regex metric
 * bootstrap: {resamples: 1000, seed: 1234}
 * </pre>
 *
 * @param json the spec as read, kept for the manifest and for compare's "specs differ" warning
 */
public record EvalSpec(String name, TaskKind task, Path dataset, List<String> models, Sampling sampling, List<String> metrics,
        Normalization normalization, Pattern regex, int resamples, long bootstrapSeed, ObjectNode json) {

    /** The sampling every request of the run is made with. {@code n} samples per generate item. */
    public record Sampling(double temperature, int maxTokens, long seed, int n) {}

    private static final Set<String> FIELDS = Set.of("name", "task", "dataset", "models", "sampling", "metrics", "normalization",
            "regex", "bootstrap");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    public static EvalSpec read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such file: give the path of an eval spec (.yaml)");
        }
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
        } catch (IOException e) {
            throw new InvalidEval(file + " is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isObject()) {
            throw new InvalidEval(file + ": a spec is a YAML mapping with task, dataset, models (see README, \"Evaluation runs\")");
        }
        return parse((ObjectNode) root, file.toAbsolutePath().getParent(), file.toString());
    }

    /** Reads a spec tree; {@code where} names it in messages, {@code base} resolves the dataset path. */
    static EvalSpec parse(ObjectNode root, Path base, String where) {
        List<String> problems = new ArrayList<>();
        for (Iterator<String> it = root.fieldNames(); it.hasNext();) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                problems.add("unknown field '" + f + "': the fields are " + String.join(", ", FIELDS.stream().sorted().toList()));
            }
        }
        String name = text(root, "name", problems);
        if (name != null && !NAME.matcher(name).matches()) {
            problems.add("name '" + name + "': use 1 to 64 letters, digits, '.', '_' or '-'");
        }
        TaskKind task = null;
        String taskName = text(root, "task", problems);
        if (taskName != null) {
            try {
                task = TaskKind.named(taskName);
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        String datasetName = text(root, "dataset", problems);
        Path dataset = datasetName == null ? null : base.resolve(datasetName).normalize();
        if (dataset != null && !Files.isRegularFile(dataset)) {
            problems.add("dataset '" + datasetName + "': no such file (" + dataset + "); paths are relative to the spec file");
        }
        List<String> models = strings(root, "models", problems);
        if (models != null && models.isEmpty()) {
            problems.add("models is empty: name at least one served model");
        }
        if (models != null && new LinkedHashSet<>(models).size() != models.size()) {
            problems.add("models " + models + " names a model twice: list each once");
        }
        JsonNode s = root.path("sampling");
        if (!s.isMissingNode() && !s.isObject()) {
            problems.add("sampling must be a mapping {temperature, max_tokens, seed, n}");
        }
        double temperature = number(s, "sampling.temperature", 0, 0, 2, problems);
        int maxTokens = (int) number(s, "sampling.max_tokens", 32, 1, 4096, problems);
        long seed = (long) number(s, "sampling.seed", 1234, 0, Long.MAX_VALUE, problems);
        int n = (int) number(s, "sampling.n", 1, 1, 16, problems);
        if (task == TaskKind.MULTIPLE_CHOICE && n != 1) {
            problems.add("sampling.n is " + n + ": a multiple-choice item is scored, not sampled; remove n");
        }
        if (n > 1 && temperature == 0) {
            problems.add("sampling.n is " + n + " with temperature 0: greedy samples are all the same; raise temperature or remove n");
        }
        List<String> metrics = root.has("metrics") ? strings(root, "metrics", problems) : task == null ? List.of() : task.defaultMetrics();
        if (task != null && metrics != null) {
            for (String m : metrics) {
                if (!task.metrics().contains(m)) {
                    problems.add("metric '" + m + "' does not score a " + task.specName() + " task: use " + String.join(", ", task.metrics()));
                }
            }
            if (metrics.isEmpty()) {
                problems.add("metrics is empty: use some of " + String.join(", ", task.metrics()));
            }
        }
        JsonNode norm = root.path("normalization");
        Normalization normalization = new Normalization(flag(norm, "ignore_case", problems), flag(norm, "ignore_whitespace", problems),
                flag(norm, "ignore_punctuation", problems));
        Pattern regex = null;
        if (root.has("regex")) {
            String r = text(root, "regex", problems);
            try {
                regex = r == null ? null : Pattern.compile(r);
            } catch (PatternSyntaxException e) {
                problems.add("regex '" + r + "' is not a valid pattern: " + e.getDescription() + " near index " + e.getIndex());
            }
        }
        if (metrics != null && metrics.contains("regex") && regex == null && !root.has("regex")) {
            problems.add("the regex metric needs a pattern: add regex: \"...\" (group 1, if any, is compared with the ideal)");
        }
        JsonNode b = root.path("bootstrap");
        int resamples = (int) number(b, "bootstrap.resamples", Bootstrap.DEFAULT_RESAMPLES, 2, 100_000, problems);
        long bootstrapSeed = (long) number(b, "bootstrap.seed", Bootstrap.DEFAULT_SEED, 0, Long.MAX_VALUE, problems);
        if (!problems.isEmpty()) {
            throw new InvalidEval(where + ": " + String.join("; ", problems));
        }
        return new EvalSpec(name, task, dataset, List.copyOf(models), new Sampling(temperature, maxTokens, seed, n), List.copyOf(metrics),
                normalization, regex, resamples, bootstrapSeed, root.deepCopy());
    }

    /** The text metrics of a generate spec, in the spec's order. */
    public List<TextMetric> textMetrics() {
        List<TextMetric> out = new ArrayList<>();
        for (String m : metrics) {
            switch (m) {
                case "exact_match" -> out.add(new TextMetric.ExactMatch(normalization));
                case "includes" -> out.add(new TextMetric.Includes(normalization));
                case "regex" -> out.add(new TextMetric.RegexMatch(regex, normalization));
                case "f1" -> out.add(new TextMetric.TokenF1(normalization));
                default -> { } // acc and acc_norm: not text metrics
            }
        }
        return out;
    }

    public Bootstrap bootstrap() {
        return new Bootstrap(resamples, bootstrapSeed);
    }

    private static String text(JsonNode root, String field, List<String> problems) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            problems.add(field + " is missing");
            return null;
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            problems.add(field + " must be a non-empty string");
            return null;
        }
        return v.asText();
    }

    private static List<String> strings(JsonNode root, String field, List<String> problems) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            problems.add(field + " is missing");
            return null;
        }
        if (v.isTextual()) {
            return List.of(v.asText());
        }
        List<String> out = new ArrayList<>();
        if (!v.isArray()) {
            problems.add(field + " must be a list of names, e.g. [a, b]");
            return null;
        }
        for (JsonNode e : v) {
            if (!e.isTextual() || e.asText().isBlank()) {
                problems.add(field + " has " + e + ": each entry must be a name");
                return null;
            }
            out.add(e.asText());
        }
        return out;
    }

    private static double number(JsonNode parent, String path, double fallback, double min, double max, List<String> problems) {
        JsonNode v = parent.get(path.substring(path.indexOf('.') + 1));
        if (v == null || v.isNull()) {
            return fallback;
        }
        boolean whole = !path.endsWith("temperature");
        if (!v.isNumber() || (whole && !v.isIntegralNumber())) {
            problems.add(path + " is " + v + ": it must be a " + (whole ? "whole number" : "number"));
            return fallback;
        }
        double d = v.asDouble();
        if (d < min || d > max) {
            problems.add(path + " is " + v + ": it must be from " + fmt(min) + " to " + fmt(max));
            return fallback;
        }
        return whole ? v.asLong() : d;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : d == Long.MAX_VALUE ? "2^63-1" : Double.toString(d);
    }

    private static boolean flag(JsonNode parent, String field, List<String> problems) {
        JsonNode v = parent.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            problems.add("normalization." + field + " is " + v + ": it must be true or false");
            return false;
        }
        return v.asBoolean();
    }
}
