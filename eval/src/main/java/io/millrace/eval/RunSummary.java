package io.millrace.eval;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.Json;
import java.util.List;
import java.util.Map;

/**
 * summary.json: per model and metric, the mean with its bootstrap standard error and 95% interval,
 * and lm-evaluation-harness's analytic standard error beside it ({@link Bootstrap#analyticStderr}).
 * Nothing in it depends on when or where the run happened (no times, no hosts), so the same spec,
 * dataset and models give the same file.
 */
public final class RunSummary {
    private RunSummary() {}

    public static ObjectNode of(EvalSpec spec, EvalDataset dataset, List<ModelScores> models) {
        ObjectNode out = Json.object();
        out.put("name", spec.name());
        out.put("task", spec.task().specName());
        out.put("dataset_sha256", dataset.sha256());
        out.put("items", dataset.items().size());
        ObjectNode b = out.putObject("bootstrap");
        b.put("resamples", spec.resamples());
        b.put("seed", spec.bootstrapSeed());
        ObjectNode byModel = out.putObject("models");
        Bootstrap bootstrap = spec.bootstrap();
        for (ModelScores m : models) {
            ObjectNode model = byModel.putObject(m.model());
            model.put("errors", m.errors());
            ObjectNode metrics = model.putObject("metrics");
            for (Map.Entry<String, double[]> e : m.scores().entrySet()) {
                ObjectNode metric = json(bootstrap.estimate(e.getValue()));
                double analytic = Bootstrap.analyticStderr(e.getValue());
                if (Double.isNaN(analytic)) {
                    metric.putNull("stderr_analytic");
                } else {
                    metric.put("stderr_analytic", analytic);
                }
                metrics.set(e.getKey(), metric);
            }
        }
        return out;
    }

    public static ObjectNode json(Estimate e) {
        ObjectNode o = Json.object();
        o.put("mean", e.mean());
        o.put("stderr", e.stderr());
        o.put("ci95_lower", e.lower());
        o.put("ci95_upper", e.upper());
        o.put("n", e.n());
        return o;
    }
}
