package io.millrace.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores one model's batch results (OpenAI batch output lines, by custom id) item by item.
 *
 * <p>Only what the model answered goes into items.jsonl (texts, loglikelihoods), never the
 * response's id or creation time: a rerun's items.jsonl is then the same bytes.
 *
 * <p>A choice's loglikelihood is the sum of the echoed prompt's {@code token_logprobs} over the
 * tokens whose {@code text_offset} is at or past the end of the query: the tokens of the choice. A
 * token that straddles the boundary (the query's last characters merged with the choice's first)
 * counts with the query, so choices are best written with a leading space, as lm-eval's are.
 * Offsets count characters (code points), as OpenAI's and Millrace's {@code text_offset} do.
 */
public final class ResultScorer {
    private final EvalSpec spec;

    public ResultScorer(EvalSpec spec) {
        this.spec = spec;
    }

    public ModelScores score(String model, List<EvalItem> items, Map<String, JsonNode> results) {
        List<ObjectNode> rows = new ArrayList<>();
        Map<String, double[]> scores = new LinkedHashMap<>();
        spec.metrics().forEach(m -> scores.put(m, new double[items.size()]));
        int errors = 0;
        for (int i = 0; i < items.size(); i++) {
            EvalItem item = items.get(i);
            ObjectNode row = Json.object();
            row.put("item", item.id());
            row.put("model", model);
            Map<String, Double> itemScores = item instanceof EvalItem.Generate g ? generate(g, results, row)
                    : choice((EvalItem.Choice) item, results, row);
            if (row.has("error")) {
                errors++;
            }
            ObjectNode s = row.putObject("scores");
            for (String m : spec.metrics()) {
                double v = itemScores.getOrDefault(m, 0.0);
                scores.get(m)[i] = v;
                s.put(m, v);
            }
            rows.add(row);
        }
        return new ModelScores(model, rows, scores, errors);
    }

    private Map<String, Double> generate(EvalItem.Generate item, Map<String, JsonNode> results, ObjectNode row) {
        row.set("input", item.messages());
        ArrayNode ideal = row.putArray("ideal");
        item.ideals().forEach(ideal::add);
        JsonNode body = body(results.get(item.id()), item.id(), row);
        ArrayNode outputs = row.putArray("outputs");
        Map<String, Double> out = new LinkedHashMap<>();
        if (body == null) {
            return out;
        }
        List<String> texts = new ArrayList<>();
        for (JsonNode choice : body.path("choices")) {
            texts.add(choice.path("message").path("content").asText(""));
        }
        texts.forEach(outputs::add);
        if (texts.size() != spec.sampling().n()) {
            // Averaging over the samples that came back would score this item on fewer samples than
            // the others, silently: an answer short of samples is an error (scores 0, counted).
            row.put("error", "the response has " + texts.size() + " choices for sampling.n = " + spec.sampling().n());
            return out;
        }
        // n samples: the item's score is the mean over its samples (each sample scored alone), the
        // expected score of one sample (pass@1 estimated from n), not pass@n. The bootstrap resamples
        // items, each with all its samples, so the spread is over items, as it must be.
        for (TextMetric metric : spec.textMetrics()) {
            double sum = 0;
            for (String t : texts) {
                sum += metric.score(t, item.ideals());
            }
            out.put(metric.name(), sum / texts.size());
        }
        return out;
    }

    private Map<String, Double> choice(EvalItem.Choice item, Map<String, JsonNode> results, ObjectNode row) {
        row.put("query", item.query());
        ArrayNode choices = row.putArray("choices");
        item.choices().forEach(choices::add);
        row.put("gold", item.gold());
        double[] ll = new double[item.choices().size()];
        ArrayNode lls = row.putArray("loglikelihoods");
        ArrayNode counts = row.putArray("choice_tokens");
        for (int j = 0; j < ll.length; j++) {
            JsonNode body = body(results.get(EvalRequests.choiceId(item, j)), EvalRequests.choiceId(item, j), row);
            if (body == null) {
                row.remove(List.of("loglikelihoods", "choice_tokens"));
                return Map.of();
            }
            Loglikelihood l = loglikelihood(body, item.query().codePointCount(0, item.query().length()));
            if (l.tokens() == 0) {
                row.remove(List.of("loglikelihoods", "choice_tokens"));
                row.put("error", "choice " + j + " scored no tokens of its own: its first token merged with the end of the query;"
                        + " start the choices with a space");
                return Map.of();
            }
            ll[j] = l.sum();
            lls.add(l.sum());
            counts.add(l.tokens());
        }
        int predicted = MultipleChoice.predicted(ll);
        int predictedNorm = MultipleChoice.predictedNormalized(ll, item.choices());
        row.put("predicted", predicted);
        row.put("predicted_norm", predictedNorm);
        return Map.of("acc", predicted == item.gold() ? 1.0 : 0.0, "acc_norm", predictedNorm == item.gold() ? 1.0 : 0.0);
    }

    /**
     * The sum of the logprobs of the echoed tokens that start at or after {@code queryLength}
     * (characters, code points), and how many there are.
     */
    public record Loglikelihood(double sum, int tokens) {}

    public static Loglikelihood loglikelihood(JsonNode completion, int queryLength) {
        JsonNode lp = completion.path("choices").path(0).path("logprobs");
        JsonNode logprobs = lp.path("token_logprobs");
        JsonNode offsets = lp.path("text_offset");
        double sum = 0;
        int tokens = 0;
        for (int k = 0; k < logprobs.size(); k++) {
            if (offsets.path(k).asInt(-1) >= queryLength && !logprobs.get(k).isNull()) {
                sum += logprobs.get(k).asDouble();
                tokens++;
            }
        }
        return new Loglikelihood(sum, tokens);
    }

    /** The answer's body, or null with the row's error set. */
    private static JsonNode body(JsonNode line, String customId, ObjectNode row) {
        if (line == null) {
            row.put("error", "no result for " + customId);
            return null;
        }
        JsonNode body = line.path("response").path("body");
        if (!line.path("error").isNull() && !line.path("error").isMissingNode()) {
            row.put("error", line.path("error").path("message").asText(line.path("error").toString()));
            return null;
        }
        if (body.has("error")) {
            row.put("error", body.path("error").path("message").asText(body.path("error").toString()));
            return null;
        }
        return body;
    }
}
