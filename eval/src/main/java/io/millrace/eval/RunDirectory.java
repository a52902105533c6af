package io.millrace.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run directory: {@code manifest.json} (what ran, where, when), {@code items.jsonl} (one row per
 * item and model), {@code summary.json} (the estimates) and {@code report.html}.
 */
public record RunDirectory(Path dir, ObjectNode manifest, ObjectNode summary, List<ObjectNode> items) {
    public static final String MANIFEST = "manifest.json";
    public static final String ITEMS = "items.jsonl";
    public static final String SUMMARY = "summary.json";
    public static final String REPORT = "report.html";

    /** Writes the run's files; items.jsonl rows in the order given (models in spec order, items in dataset order). */
    public static RunDirectory write(Path dir, ObjectNode manifest, ObjectNode summary, List<ObjectNode> items) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(MANIFEST), pretty(manifest), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(SUMMARY), pretty(summary), StandardCharsets.UTF_8);
        StringBuilder lines = new StringBuilder();
        items.forEach(row -> lines.append(Json.write(row)).append('\n'));
        Files.writeString(dir.resolve(ITEMS), lines, StandardCharsets.UTF_8);
        RunDirectory run = new RunDirectory(dir, manifest, summary, items);
        Files.writeString(dir.resolve(REPORT), HtmlReport.run(run), StandardCharsets.UTF_8);
        return run;
    }

    public static RunDirectory read(Path dir) throws IOException {
        for (String f : List.of(MANIFEST, SUMMARY, ITEMS)) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                throw new NoSuchFileException(dir.resolve(f).toString(), null, "no such file: give a directory written by millrace eval run");
            }
        }
        List<ObjectNode> items = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve(ITEMS), StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                items.add((ObjectNode) Json.parse(line));
            }
        }
        return new RunDirectory(dir, (ObjectNode) Json.parse(Files.readString(dir.resolve(MANIFEST))),
                (ObjectNode) Json.parse(Files.readString(dir.resolve(SUMMARY))), items);
    }

    /** The models of the run, in the order of summary.json. */
    public List<String> models() {
        List<String> out = new ArrayList<>();
        summary.path("models").fieldNames().forEachRemaining(out::add);
        return out;
    }

    /** The metrics of the run, in the spec's order. */
    public List<String> metrics() {
        List<String> out = new ArrayList<>();
        for (String model : models()) {
            summary.path("models").path(model).path("metrics").fieldNames().forEachRemaining(m -> {
                if (!out.contains(m)) {
                    out.add(m);
                }
            });
        }
        return out;
    }

    /** A model's rows by item id, in dataset order. */
    public Map<String, ObjectNode> rows(String model) {
        Map<String, ObjectNode> out = new LinkedHashMap<>();
        for (ObjectNode row : items) {
            if (row.path("model").asText().equals(model)) {
                out.put(row.path("item").asText(), row);
            }
        }
        return out;
    }

    /** A model's per-item scores of one metric, in dataset order. */
    public double[] scores(String model, String metric) {
        return rows(model).values().stream().mapToDouble(r -> r.path("scores").path(metric).asDouble()).toArray();
    }

    static String pretty(JsonNode node) {
        try {
            return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
