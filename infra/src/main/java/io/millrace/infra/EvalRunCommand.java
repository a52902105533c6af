package io.millrace.infra;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.eval.EvalDataset;
import io.millrace.eval.EvalRequests;
import io.millrace.eval.EvalSpec;
import io.millrace.eval.InvalidEval;
import io.millrace.eval.ModelScores;
import io.millrace.eval.ResultScorer;
import io.millrace.eval.RunDirectory;
import io.millrace.eval.RunSummary;
import io.millrace.ingest.BatchFile;
import io.millrace.protocol.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code millrace eval run SPEC.yaml}: the spec's dataset against each of its models, one ordinary
 * batch per model through the whole pipeline, then scored into a run directory.
 *
 * <p>Reproducible by construction: request ids come from spec, item and model ({@link EvalRequests}),
 * so a rerun reads the stored results and generates nothing; on a fresh data dir, seeded sampling
 * and batch-invariant decoding give the same texts and logprobs; the statistics are seeded. The
 * manifest pins what the results depend on: spec, dataset hash, model content hashes, engine
 * settings, Millrace version and commit.
 */
@Command(name = "run", description = {"Run an eval spec: one batch per model through the pipeline, scored into a run directory",
        "(manifest.json, items.jsonl, summary.json, report.html). A rerun of the same spec generates nothing."})
final class EvalRunCommand extends BatchRunningCommand<EvalRunCommand.Outcome> {
    /** What a run wrote, and how many requests it generated (0 on a rerun). */
    record Outcome(RunDirectory run, long generatedNow) {}

    @Parameters(index = "0", paramLabel = "SPEC.yaml", description = "the eval spec (README, \"Evaluation runs\")")
    Path specFile;

    @Option(names = "--output-dir", paramLabel = "DIR", description = "the run directory (default: eval-runs/NAME)")
    Path outputDir;

    EvalRunCommand(PrintStream out, boolean terminal, Map<String, String> env) {
        super(out, terminal, env);
    }

    @Override
    Outcome run() throws IOException {
        // Spec and dataset are checked whole before any broker starts: a typo costs nothing.
        EvalSpec spec = EvalSpec.read(specFile);
        EvalDataset dataset = EvalDataset.read(spec.dataset(), spec.task());
        Path dir = outputDir != null ? outputDir : Path.of("eval-runs", spec.name());
        Settings settings = settings();
        Set<Role> roles = localRoles(settings);
        Instant started = Instant.now();
        out.println("eval " + spec.name() + ": " + dataset.items().size() + " " + spec.task().specName() + " items against "
                + String.join(", ", spec.models()));
        try (Deployment deployment = Deployment.connect(settings)) {
            List<String> served = servedModels(spec, deployment);
            Files.createDirectories(dir.resolve("batches"));
            BatchCommand batch = new BatchCommand(out, terminal, env);
            boolean[] stagesStarted = {false};
            Runnable startOnce = () -> {
                if (!stagesStarted[0]) {
                    stagesStarted[0] = true;
                    deployment.startRoles(roles);
                }
            };
            List<ModelScores> scores = new ArrayList<>();
            ObjectNode batches = Json.object();
            long generated = 0;
            for (String model : served) {
                EvalRequests requests = EvalRequests.of(spec, dataset, model);
                Path input = dir.resolve("batches").resolve(model + ".jsonl");
                Files.write(input, requests.lines(), StandardCharsets.UTF_8);
                Path output = dir.resolve("batches").resolve(model + ".output.jsonl");
                Path errors = dir.resolve("batches").resolve(model + ".errors.jsonl");
                out.println("model " + model + ":");
                BatchCommand.Outcome o = batch.execute(deployment, startOnce, new BatchFile(input), requests.lines().size(),
                        requests.batchId(), output, errors);
                generated += o.generatedNow();
                batches.put(model, requests.batchId());
                scores.add(new ResultScorer(spec).score(model, dataset.items(), results(output, errors)));
            }
            ObjectNode summary = RunSummary.of(spec, dataset, scores);
            ObjectNode manifest = manifest(spec, dataset, deployment, settings, served, batches, started);
            List<ObjectNode> rows = new ArrayList<>();
            scores.forEach(s -> rows.addAll(s.rows()));
            RunDirectory run = RunDirectory.write(dir, manifest, summary, rows);
            print(run);
            return new Outcome(run, generated);
        }
    }

    /** The spec's models as served: each must be served here (an alias resolves to the model it names). */
    private static List<String> servedModels(EvalSpec spec, Deployment deployment) {
        List<String> served = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (String m : spec.models()) {
            var resolved = deployment.catalog().resolve(m).filter(deployment.catalog().names()::contains);
            if (resolved.isEmpty()) {
                problems.add("model '" + m + "' is not served here: serve it with --model-dir (served: "
                        + String.join(", ", deployment.catalog().names()) + ")");
            } else {
                served.add(resolved.get());
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidEval(String.join("; ", problems));
        }
        return served;
    }

    /** The batch's output and error lines by custom id. */
    private static Map<String, JsonNode> results(Path output, Path errors) throws IOException {
        Map<String, JsonNode> byId = new HashMap<>();
        for (Path file : List.of(output, errors)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    JsonNode node = Json.parse(line);
                    byId.put(node.path("custom_id").asText(), node);
                }
            }
        }
        return byId;
    }

    private ObjectNode manifest(EvalSpec spec, EvalDataset dataset, Deployment deployment, Settings settings, List<String> served,
            ObjectNode batches, Instant started) throws IOException {
        ObjectNode m = Json.object();
        m.set("spec", spec.json());
        m.put("spec_file", specFile.toAbsolutePath().normalize().toString());
        ObjectNode d = m.putObject("dataset");
        d.put("path", spec.dataset().toString());
        d.put("sha256", dataset.sha256());
        d.put("items", dataset.items().size());
        ObjectNode models = m.putObject("models");
        Map<String, Path> dirs = deployment.modelDirectories();
        Map<String, String> identities = deployment.modelIdentities();
        for (String model : served) {
            ObjectNode entry = models.putObject(model);
            Path modelDir = dirs.get(model);
            // With a cluster these are this machine's copies (--model-dir): the workers must serve the same files.
            entry.put("directory", modelDir.toAbsolutePath().toString());
            entry.put("identity", identities.get(model));
            Path config = modelDir.resolve("config.json");
            entry.set("config", Files.isRegularFile(config) ? Json.parse(Files.readString(config)) : null);
            entry.put("batch_id", batches.path(model).asText());
        }
        ObjectNode engine = m.putObject("engine");
        ObjectNode set = engine.putObject("set");
        new java.util.TreeMap<>(settings.workerSettings()).forEach((k, v) -> set.put(k, String.valueOf(v)));
        // This process's worker settings, defaults included; with a cluster, its workers run their own.
        engine.put("worker", String.valueOf(settings.worker()));
        m.put("seed", spec.sampling().seed());
        SourceVersion version = SourceVersion.current();
        ObjectNode millrace = m.putObject("millrace");
        millrace.put("version", version.version());
        millrace.put("git_commit", version.gitCommit());
        m.put("cluster", settings.bootstrapServers() == null ? "in-process" : settings.bootstrapServers());
        m.put("started_at", started.toString());
        m.put("ended_at", Instant.now().toString());
        return m;
    }

    private void print(RunDirectory run) {
        for (String model : run.models()) {
            JsonNode metrics = run.summary().path("models").path(model).path("metrics");
            StringBuilder line = new StringBuilder("  " + model + ":");
            metrics.fields().forEachRemaining(e -> line.append(String.format(Locale.ROOT, " %s %.4f [%.4f, %.4f]", e.getKey(),
                    e.getValue().path("mean").asDouble(), e.getValue().path("ci95_lower").asDouble(),
                    e.getValue().path("ci95_upper").asDouble())));
            int errors = run.summary().path("models").path(model).path("errors").asInt();
            out.println(line + (errors > 0 ? " (" + errors + " items failed and score 0: see items.jsonl)" : ""));
        }
        out.println("run: " + run.dir());
        out.println("report: " + run.dir().resolve(RunDirectory.REPORT));
    }
}
