package io.millrace.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.Json;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Run B against run A, item by item: for each model of A and model of B and each metric both runs
 * have, the difference B - A with a paired bootstrap interval, and for right/wrong metrics McNemar's
 * exact test. Paired because both runs scored the same items: the per-item differences carry far
 * less noise than two independent means.
 *
 * @param warnings what differs between the specs besides models (sampling, metrics, normalization)
 */
public record RunComparison(RunDirectory a, RunDirectory b, List<String> warnings, ObjectNode json) {

    public static RunComparison of(RunDirectory a, RunDirectory b) {
        String shaA = a.manifest().path("dataset").path("sha256").asText();
        String shaB = b.manifest().path("dataset").path("sha256").asText();
        if (!shaA.equals(shaB)) {
            throw new InvalidEval("the runs scored different datasets (" + a.dir() + ": sha256 " + shaA + ", " + b.dir() + ": sha256 "
                    + shaB + "): a comparison item by item needs the same dataset file; rerun one spec on the other's dataset");
        }
        List<String> warnings = specDifferences(a.manifest().path("spec"), b.manifest().path("spec"));
        JsonNode bootstrapSpec = a.summary().path("bootstrap");
        Bootstrap bootstrap = new Bootstrap(bootstrapSpec.path("resamples").asInt(Bootstrap.DEFAULT_RESAMPLES),
                bootstrapSpec.path("seed").asLong(Bootstrap.DEFAULT_SEED));
        ObjectNode out = Json.object();
        out.put("run_a", a.dir().toString());
        out.put("run_b", b.dir().toString());
        out.put("dataset_sha256", shaA);
        ArrayNode w = out.putArray("warnings");
        warnings.forEach(w::add);
        ArrayNode rows = out.putArray("comparisons");
        List<String> metrics = new ArrayList<>(a.metrics());
        metrics.retainAll(b.metrics());
        for (String modelA : a.models()) {
            for (String modelB : b.models()) {
                for (String metric : metrics) {
                    double[] sa = a.scores(modelA, metric);
                    double[] sb = b.scores(modelB, metric);
                    ObjectNode row = rows.addObject();
                    row.put("metric", metric);
                    row.put("model_a", modelA);
                    row.put("model_b", modelB);
                    row.put("mean_a", Bootstrap.mean(sa));
                    row.put("mean_b", Bootstrap.mean(sb));
                    row.set("difference", RunSummary.json(bootstrap.paired(sa, sb)));
                    if (binary(sa) && binary(sb)) {
                        McNemar m = McNemar.of(sa, sb);
                        ObjectNode mc = row.putObject("mcnemar");
                        mc.put("only_a_right", m.onlyA());
                        mc.put("only_b_right", m.onlyB());
                        mc.put("p_value", m.pValue());
                    }
                }
            }
        }
        return new RunComparison(a, b, List.copyOf(warnings), out);
    }

    private static boolean binary(double[] scores) {
        for (double s : scores) {
            if (!McNemar.binary(s)) {
                return false;
            }
        }
        return true;
    }

    /** The spec fields that differ, models aside (comparing models is the point). */
    static List<String> specDifferences(JsonNode a, JsonNode b) {
        List<String> out = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        for (Iterator<String> it = a.fieldNames(); it.hasNext();) {
            fields.add(it.next());
        }
        b.fieldNames().forEachRemaining(f -> {
            if (!fields.contains(f)) {
                fields.add(f);
            }
        });
        for (String f : fields) {
            if (f.equals("models") || f.equals("name") || f.equals("dataset")) {
                continue;
            }
            if (!a.path(f).equals(b.path(f))) {
                out.add("the specs differ in " + f + ": " + show(a.path(f)) + " against " + show(b.path(f))
                        + "; differences may come from that, not from the models");
            }
        }
        return out;
    }

    private static String show(JsonNode n) {
        return n.isMissingNode() ? "(not set)" : n.toString();
    }
}
