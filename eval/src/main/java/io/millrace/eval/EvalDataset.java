package io.millrace.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.millrace.protocol.Ids;
import io.millrace.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A dataset file, JSONL, read whole and checked line by line: a bad line stops the run before any
 * request is sent, with its line number and the fix (an eval over part of its items would report
 * numbers that look right and are not).
 *
 * @param sha256 the hex SHA-256 of the file's bytes: what compare checks, and the manifest records
 */
public record EvalDataset(List<EvalItem> items, String sha256) {

    public static EvalDataset read(Path file, TaskKind task) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        List<String> lines = new String(bytes, StandardCharsets.UTF_8).lines().toList();
        List<EvalItem> items = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            String id = String.format("i%04d", i + 1);
            try {
                JsonNode node = Json.parse(line);
                items.add(task == TaskKind.GENERATE ? generate(id, node) : choice(id, node));
            } catch (InvalidEval e) {
                problems.add("line " + (i + 1) + ": " + e.getMessage());
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                problems.add("line " + (i + 1) + " is not valid JSON: " + e.getOriginalMessage());
            }
            if (problems.size() == 10) {
                problems.add("(more lines not checked)");
                break;
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidEval(file + ": " + String.join("; ", problems));
        }
        if (items.isEmpty()) {
            throw new InvalidEval(file + " has no items: write one JSON object per line");
        }
        return new EvalDataset(List.copyOf(items), Ids.sha256Hex(bytes));
    }

    static EvalItem.Generate generate(String id, JsonNode node) {
        String shape = "a generate item is {\"input\": [{\"role\": \"user\", \"content\": \"...\"}], \"ideal\": \"...\" or [\"...\"]}";
        if (!node.isObject()) {
            throw new InvalidEval(shape);
        }
        JsonNode input = node.get("input");
        ArrayNode messages;
        if (input != null && input.isTextual()) {
            // A bare string is one user message: shorter datasets, same requests.
            messages = Json.MAPPER.createArrayNode();
            messages.addObject().put("role", "user").put("content", input.asText());
        } else if (input != null && input.isArray() && !input.isEmpty()) {
            for (JsonNode m : input) {
                if (!m.isObject() || !m.path("role").isTextual() || !m.path("content").isTextual()) {
                    throw new InvalidEval("input has " + m + ": each message must be {\"role\": \"...\", \"content\": \"...\"}");
                }
            }
            messages = (ArrayNode) input;
        } else {
            throw new InvalidEval("input is " + (input == null ? "missing" : input.toString()) + ": " + shape);
        }
        JsonNode ideal = node.get("ideal");
        List<String> ideals = new ArrayList<>();
        if (ideal != null && ideal.isTextual()) {
            ideals.add(ideal.asText());
        } else if (ideal != null && ideal.isArray() && !ideal.isEmpty()) {
            for (JsonNode i : ideal) {
                if (!i.isTextual()) {
                    throw new InvalidEval("ideal has " + i + ": every ideal answer must be a string");
                }
                ideals.add(i.asText());
            }
        } else {
            throw new InvalidEval("ideal is " + (ideal == null ? "missing" : ideal.toString()) + ": " + shape);
        }
        return new EvalItem.Generate(id, messages, List.copyOf(ideals));
    }

    static EvalItem.Choice choice(String id, JsonNode node) {
        String shape = "a multiple-choice item is {\"query\": \"...\", \"choices\": [\" a\", \" b\"], \"gold\": 0}";
        if (!node.isObject()) {
            throw new InvalidEval(shape);
        }
        JsonNode query = node.get("query");
        if (query == null || !query.isTextual() || query.asText().isEmpty()) {
            throw new InvalidEval("query is " + (query == null ? "missing" : query.toString()) + ": " + shape);
        }
        JsonNode choices = node.get("choices");
        if (choices == null || !choices.isArray() || choices.size() < 2) {
            throw new InvalidEval("choices is " + (choices == null ? "missing" : choices.toString()) + ": give at least two; " + shape);
        }
        List<String> texts = new ArrayList<>();
        for (JsonNode c : choices) {
            if (!c.isTextual() || c.asText().isEmpty()) {
                throw new InvalidEval("choices has " + c + ": each choice must be a non-empty string (usually starting with a space,"
                        + " as the continuation of the query)");
            }
            texts.add(c.asText());
        }
        JsonNode gold = node.get("gold");
        if (gold == null || !gold.isIntegralNumber() || gold.asInt() < 0 || gold.asInt() >= texts.size()) {
            throw new InvalidEval("gold is " + (gold == null ? "missing" : gold.toString()) + ": it must be the index of the right choice, 0 to "
                    + (texts.size() - 1));
        }
        return new EvalItem.Choice(id, query.asText(), List.copyOf(texts), gold.asInt());
    }
}
