package io.millrace.infra;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.eval.HtmlReport;
import io.millrace.eval.RunComparison;
import io.millrace.eval.RunDirectory;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code millrace eval compare RUN_A RUN_B}: B against A, item by item; reads run directories only, starts nothing. */
@Command(name = "compare", description = {"Compare two eval runs of the same dataset: per metric B - A with a paired bootstrap",
        "interval and, for right/wrong metrics, McNemar's test. Refuses runs of different datasets; warns when the specs differ."})
final class EvalCompareCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN_A", description = "a run directory written by eval run")
    Path runA;

    @Parameters(index = "1", paramLabel = "RUN_B", description = "another run directory of the same dataset")
    Path runB;

    @Option(names = "--output", paramLabel = "report.html", description = "the comparison report (default: compare.html)")
    Path output = Path.of("compare.html");

    private final PrintStream out;

    EvalCompareCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws IOException {
        compare();
        return 0;
    }

    RunComparison compare() throws IOException {
        RunComparison c = RunComparison.of(RunDirectory.read(runA), RunDirectory.read(runB));
        c.warnings().forEach(w -> out.println("WARNING: " + w));
        for (JsonNode r : c.json().path("comparisons")) {
            JsonNode d = r.path("difference");
            out.println(String.format(Locale.ROOT, "%s %s -> %s: %.4f -> %.4f, B - A %+.4f [%+.4f, %+.4f]%s", r.path("metric").asText(),
                    r.path("model_a").asText(), r.path("model_b").asText(), r.path("mean_a").asDouble(), r.path("mean_b").asDouble(),
                    d.path("mean").asDouble(), d.path("ci95_lower").asDouble(), d.path("ci95_upper").asDouble(),
                    r.has("mcnemar") ? String.format(Locale.ROOT, ", McNemar p %.4f", r.at("/mcnemar/p_value").asDouble()) : ""));
        }
        Path parent = output.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(output, HtmlReport.compare(c), StandardCharsets.UTF_8);
        out.println("report: " + output);
        return c;
    }
}
