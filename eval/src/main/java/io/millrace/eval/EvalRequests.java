package io.millrace.eval;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.Ids;
import io.millrace.protocol.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The batch one model's share of a run becomes: ordinary OpenAI batch lines, so the run goes through
 * the whole pipeline (validation, dedup, caches, routing, workers) like any batch.
 *
 * <p>The batch id is a hash of the lines, and each custom id is the item's (plus the choice's), so
 * the request ids ({@code batch:custom}) are derived from spec, dataset and model alone: running the
 * same spec again finds every result already stored and generates nothing. Anything that changes a
 * request (a sampling parameter, an item, the model) changes the batch id, so a stale answer is never
 * reused for a different question.
 *
 * <p>A multiple-choice item is one {@code /v1/completions} request per choice, prompt = query +
 * choice, {@code echo} with {@code max_tokens: 0}: the engine only scores the prompt, as
 * lm-evaluation-harness's loglikelihood requests do; the choices of one item share the query's
 * tokens, which the worker's prefix cache computes once.
 *
 * @param lines the batch input file's lines, in dataset order
 */
public record EvalRequests(String model, String batchId, List<String> lines) {

    public static EvalRequests of(EvalSpec spec, EvalDataset dataset, String model) {
        List<String> lines = new ArrayList<>();
        for (EvalItem item : dataset.items()) {
            if (item instanceof EvalItem.Generate g) {
                ObjectNode body = Json.object();
                body.put("model", model);
                body.set("messages", g.messages());
                body.put("temperature", spec.sampling().temperature());
                body.put("max_tokens", spec.sampling().maxTokens());
                body.put("seed", spec.sampling().seed());
                if (spec.sampling().n() > 1) {
                    body.put("n", spec.sampling().n());
                }
                lines.add(line(g.id(), "/v1/chat/completions", body));
            } else if (item instanceof EvalItem.Choice c) {
                for (int j = 0; j < c.choices().size(); j++) {
                    ObjectNode body = Json.object();
                    body.put("model", model);
                    body.put("prompt", c.query() + c.choices().get(j));
                    body.put("max_tokens", 0);
                    body.put("echo", true);
                    body.put("logprobs", 0);
                    body.put("temperature", 0);
                    body.put("seed", spec.sampling().seed());
                    lines.add(line(choiceId(c, j), "/v1/completions", body));
                }
            }
        }
        String digest = Ids.sha256Hex(String.join("\n", lines).getBytes(StandardCharsets.UTF_8));
        return new EvalRequests(model, "eval-" + digest.substring(0, 40), List.copyOf(lines));
    }

    /** The custom id of one choice of a multiple-choice item. */
    public static String choiceId(EvalItem.Choice item, int choice) {
        return item.id() + "-c" + choice;
    }

    private static String line(String customId, String url, ObjectNode body) {
        ObjectNode line = Json.object();
        line.put("custom_id", customId);
        line.put("method", "POST");
        line.put("url", url);
        line.set("body", body);
        return Json.write(line);
    }
}
