package io.millrace.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * report.html of a run and of a comparison: one self-contained file (inline CSS and SVG, no script,
 * no font or image fetched) that opens anywhere, offline, and can be mailed as it is.
 */
public final class HtmlReport {
    /** At most this many disagreeing items are listed; the rest are counted. */
    static final int MAX_DISAGREEMENTS = 50;

    private static final String STYLE = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
            + "table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;"
            + "vertical-align:top}th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}"
            + ".warn{color:#8a4b00}.note{color:#666}code{background:#f6f6f6;padding:0 .2em}";

    private HtmlReport() {}

    public static String run(RunDirectory run) {
        ObjectNode s = run.summary();
        StringBuilder h = head("Eval run " + s.path("name").asText());
        h.append("<h1>Eval run <code>").append(esc(s.path("name").asText())).append("</code></h1>\n<p>Task <b>")
                .append(esc(s.path("task").asText())).append("</b>, ").append(s.path("items").asInt()).append(" items, dataset sha256 <code>")
                .append(esc(s.path("dataset_sha256").asText())).append("</code>. Intervals: 95% bootstrap percentile, ")
                .append(s.path("bootstrap").path("resamples").asInt()).append(" resamples, seed ")
                .append(s.path("bootstrap").path("seed").asLong()).append(".</p>\n");
        manifestTable(h, run.manifest());
        List<String> models = run.models();
        h.append("<h2>Summary</h2>\n");
        for (String metric : run.metrics()) {
            h.append("<h3>").append(esc(metric)).append("</h3>\n<table class=\"summary\"><tr><th>model</th><th>mean</th><th>stderr (bootstrap)</th>"
                    + "<th>stderr (analytic)</th><th>95% interval</th><th>items</th><th>errors</th></tr>\n");
            for (String model : models) {
                JsonNode e = s.path("models").path(model).path("metrics").path(metric);
                h.append("<tr><td>").append(esc(model)).append("</td><td class=\"num\">").append(num(e.path("mean")))
                        .append("</td><td class=\"num\">").append(num(e.path("stderr"))).append("</td><td class=\"num\">")
                        .append(num(e.path("stderr_analytic"))).append("</td><td class=\"num\">[")
                        .append(num(e.path("ci95_lower"))).append(", ").append(num(e.path("ci95_upper"))).append("]</td><td class=\"num\">")
                        .append(e.path("n").asInt()).append("</td><td class=\"num\">").append(s.path("models").path(model).path("errors").asInt())
                        .append("</td></tr>\n");
            }
            h.append("</table>\n");
        }
        h.append(barChart(run));
        disagreements(h, run);
        return h.append("</body></html>\n").toString();
    }

    public static String compare(RunComparison c) {
        ObjectNode json = c.json();
        StringBuilder h = head("Eval comparison");
        h.append("<h1>Eval comparison</h1>\n<p>A: <code>").append(esc(c.a().dir().toString())).append("</code> (")
                .append(esc(c.a().summary().path("name").asText())).append(")<br>B: <code>").append(esc(c.b().dir().toString()))
                .append("</code> (").append(esc(c.b().summary().path("name").asText())).append(")<br>Same dataset, sha256 <code>")
                .append(esc(json.path("dataset_sha256").asText())).append("</code>.</p>\n");
        for (String w : c.warnings()) {
            h.append("<p class=\"warn\">Warning: ").append(esc(w)).append("</p>\n");
        }
        h.append("<p class=\"note\">Difference = B - A over the same items; 95% paired bootstrap interval. McNemar: exact two-sided test"
                + " on the items only one model got right (right/wrong metrics only).</p>\n");
        h.append("<table class=\"summary\"><tr><th>metric</th><th>model A</th><th>model B</th><th>mean A</th><th>mean B</th>"
                + "<th>B - A</th><th>95% interval</th><th>only A right</th><th>only B right</th><th>McNemar p</th></tr>\n");
        for (JsonNode r : json.path("comparisons")) {
            JsonNode d = r.path("difference");
            JsonNode m = r.path("mcnemar");
            h.append("<tr><td>").append(esc(r.path("metric").asText())).append("</td><td>").append(esc(r.path("model_a").asText()))
                    .append("</td><td>").append(esc(r.path("model_b").asText())).append("</td><td class=\"num\">").append(num(r.path("mean_a")))
                    .append("</td><td class=\"num\">").append(num(r.path("mean_b"))).append("</td><td class=\"num\">").append(num(d.path("mean")))
                    .append("</td><td class=\"num\">[").append(num(d.path("ci95_lower"))).append(", ").append(num(d.path("ci95_upper")))
                    .append("]</td><td class=\"num\">").append(m.isMissingNode() ? "" : m.path("only_a_right").asText())
                    .append("</td><td class=\"num\">").append(m.isMissingNode() ? "" : m.path("only_b_right").asText())
                    .append("</td><td class=\"num\">").append(m.isMissingNode() ? "n/a" : num(m.path("p_value"))).append("</td></tr>\n");
        }
        return h.append("</table>\n</body></html>\n").toString();
    }

    private static StringBuilder head(String title) {
        return new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(title))
                .append("</title><style>").append(STYLE).append("</style></head><body>\n");
    }

    private static void manifestTable(StringBuilder h, ObjectNode m) {
        h.append("<table class=\"manifest\">");
        row(h, "Millrace", m.path("millrace").path("version").asText() + " (commit " + m.path("millrace").path("git_commit").asText() + ")");
        row(h, "started / ended", m.path("started_at").asText() + " / " + m.path("ended_at").asText());
        row(h, "sampling", m.path("spec").path("sampling").toString());
        for (Map.Entry<String, JsonNode> e : iterable(m.path("models"))) {
            row(h, "model " + e.getKey(), e.getValue().path("identity").asText());
        }
        h.append("</table>\n");
    }

    private static void row(StringBuilder h, String key, String value) {
        h.append("<tr><th>").append(esc(key)).append("</th><td><code>").append(esc(value)).append("</code></td></tr>");
    }

    /** One group of bars per metric, one bar per model, its 95% interval drawn as a whisker. Scores are in [0, 1]. */
    static String barChart(RunDirectory run) {
        List<String> metrics = run.metrics();
        List<String> models = run.models();
        int barWidth = 28;
        int gap = 24;
        int plotHeight = 200;
        int left = 40;
        int groupWidth = models.size() * barWidth + gap;
        int width = left + metrics.size() * groupWidth + 160;
        int height = plotHeight + 50;
        String[] colors = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7"};
        StringBuilder svg = new StringBuilder("<h2>Chart</h2>\n<svg role=\"img\" width=\"")
                .append(width).append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(width).append(' ').append(height)
                .append("\"><title>mean per metric and model, with 95% intervals</title>\n");
        for (int t = 0; t <= 4; t++) {
            double y = 10 + plotHeight - plotHeight * t / 4.0;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%.2f</text>\n", left, y, width - 160, y, left - 4, y + 3, t / 4.0));
        }
        for (int mi = 0; mi < metrics.size(); mi++) {
            int x0 = left + gap / 2 + mi * groupWidth;
            for (int k = 0; k < models.size(); k++) {
                JsonNode e = run.summary().path("models").path(models.get(k)).path("metrics").path(metrics.get(mi));
                double mean = clamp(e.path("mean").asDouble());
                double lo = clamp(e.path("ci95_lower").asDouble());
                double hi = clamp(e.path("ci95_upper").asDouble());
                int x = x0 + k * barWidth;
                double yTop = 10 + plotHeight * (1 - mean);
                svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"><title>%s %s: %.4f"
                        + " [%.4f, %.4f]</title></rect>", x, yTop, barWidth - 4, plotHeight * mean, colors[k % colors.length],
                        esc(models.get(k)), esc(metrics.get(mi)), mean, lo, hi));
                double cx = x + (barWidth - 4) / 2.0;
                svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#222\"/>\n", cx,
                        10 + plotHeight * (1 - hi), cx, 10 + plotHeight * (1 - lo)));
            }
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>\n", x0, plotHeight + 28,
                    esc(metrics.get(mi))));
        }
        for (int k = 0; k < models.size(); k++) {
            int y = 20 + k * 18;
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"%d\""
                    + " font-size=\"12\">%s</text>\n", width - 150, y, colors[k % colors.length], width - 132, y + 10, esc(models.get(k))));
        }
        return svg.append("</svg>\n").toString();
    }

    /** Items where the models' scores differ on some metric: where to look first. */
    private static void disagreements(StringBuilder h, RunDirectory run) {
        List<String> models = run.models();
        h.append("<h2>Items where the models disagree</h2>\n");
        if (models.size() < 2) {
            h.append("<p class=\"note\">One model in this run: nothing to disagree with (compare two runs with"
                    + " <code>millrace eval compare</code>).</p>\n");
            return;
        }
        List<Map<String, ObjectNode>> byModel = new ArrayList<>();
        models.forEach(m -> byModel.add(run.rows(m)));
        List<String> metrics = run.metrics();
        int shown = 0;
        int total = 0;
        StringBuilder rows = new StringBuilder();
        for (String item : byModel.get(0).keySet()) {
            boolean differ = false;
            for (String metric : metrics) {
                double first = byModel.get(0).get(item).path("scores").path(metric).asDouble();
                for (Map<String, ObjectNode> other : byModel) {
                    ObjectNode r = other.get(item);
                    differ |= r == null || r.path("scores").path(metric).asDouble() != first;
                }
            }
            if (!differ) {
                continue;
            }
            total++;
            if (shown++ >= MAX_DISAGREEMENTS) {
                continue;
            }
            ObjectNode firstRow = byModel.get(0).get(item);
            rows.append("<tr><td>").append(esc(item)).append("</td><td>").append(esc(question(firstRow))).append("</td>");
            for (Map<String, ObjectNode> other : byModel) {
                ObjectNode r = other.get(item);
                rows.append("<td>").append(r == null ? "" : esc(answer(r))).append("<br><span class=\"note\">")
                        .append(r == null ? "" : esc(r.path("scores").toString())).append("</span></td>");
            }
            rows.append("</tr>\n");
        }
        if (total == 0) {
            h.append("<p>The models agree on every item.</p>\n");
            return;
        }
        h.append("<p>").append(total).append(" items").append(total > MAX_DISAGREEMENTS ? ", the first " + MAX_DISAGREEMENTS + " shown" : "")
                .append(".</p>\n<table class=\"disagreements\"><tr><th>item</th><th>question</th>");
        models.forEach(m -> h.append("<th>").append(esc(m)).append("</th>"));
        h.append("</tr>\n").append(rows).append("</table>\n");
    }

    private static String question(ObjectNode row) {
        if (row.has("query")) {
            return row.path("query").asText() + " | gold: " + row.path("choices").path(row.path("gold").asInt()).asText();
        }
        JsonNode input = row.path("input");
        return input.path(input.size() - 1).path("content").asText() + " | ideal: " + row.path("ideal").toString();
    }

    private static String answer(ObjectNode row) {
        if (row.has("error")) {
            return "error: " + row.path("error").asText();
        }
        if (row.has("query")) {
            return "picked: " + row.path("choices").path(row.path("predicted").asInt()).asText();
        }
        return String.join(" / ", iterableText(row.path("outputs")));
    }

    private static List<String> iterableText(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode node) {
        return node::fields;
    }

    private static double clamp(double v) {
        return Double.isNaN(v) ? 0 : Math.max(0, Math.min(1, v));
    }

    private static String num(JsonNode n) {
        return n.isNumber() ? String.format(Locale.ROOT, "%.4f", n.asDouble()) : "";
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
