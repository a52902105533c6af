package io.millrace.eval;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * One model's scored items.
 *
 * @param rows   items.jsonl rows, in dataset order
 * @param scores per metric, the per-item scores in dataset order (what the bootstrap resamples)
 * @param errors items whose request failed: they score 0 and are counted, never dropped, so a
 *               failing model cannot look better by answering fewer items
 */
public record ModelScores(String model, List<ObjectNode> rows, Map<String, double[]> scores, int errors) {}
