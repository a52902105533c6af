package io.millrace.infra;

import io.millrace.ingest.BatchFile;
import io.millrace.ingest.BatchIngestor;
import io.millrace.ingest.BudgetRouting;
import io.millrace.protocol.BatchOutputLine;
import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.Ids;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.results.CancelPublisher;
import io.millrace.worker.WorkerService;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code millrace batch FILE.jsonl}: runs an OpenAI batch input file end to end and writes the
 * output and error files in OpenAI's batch output format.
 *
 * <p>Results already in the results topic for this batch id are not asked for again, so a re-run
 * of a finished batch generates nothing, and a re-run after a crash generates only what is missing.
 */
@Command(name = "batch",
        description = {"Run an OpenAI batch input file end to end.",
                "Writes the output and error files in OpenAI's batch output format; invalid lines go to the error file"
                        + " and do not fail the run. Results already stored for the batch id are not asked for again."})
final class BatchCommand extends BatchRunningCommand<BatchCommand.Outcome> {
    /** What a run did. */
    record Outcome(String batchId, long total, long completed, long failed, long generatedNow, boolean alreadyDone,
            Path output, Path errors) {}

    @Parameters(index = "0", paramLabel = "FILE.jsonl", description = "the batch input file, one request per line")
    Path input;

    @Option(names = "--output", paramLabel = "OUT.jsonl", description = "output file (default: FILE.output.jsonl)")
    Path output;

    @Option(names = "--errors", paramLabel = "ERR.jsonl", description = "error file (default: FILE.errors.jsonl)")
    Path errors;

    @Option(names = "--batch-id", paramLabel = "ID", description = "batch id (default: a hash of the file's content)")
    String batchId;

    @Option(names = "--budget-usd", paramLabel = "USD", description = "plan each line's model within this budget in US"
            + " dollars, among the --config models with a price and quality (README, \"Model routing\")")
    String budgetUsd;

    BatchCommand(PrintStream out, boolean terminal, Map<String, String> env) {
        super(out, terminal, env);
    }

    /** Runs the batch whose options picocli has set. */
    @Override
    Outcome run() throws IOException {
        if (!Files.isRegularFile(input)) {
            throw new NoSuchFileException(input.toString(), null, "no such file: give the path of an OpenAI batch input .jsonl file");
        }
        if (!Files.isReadable(input)) {
            throw new IOException("cannot read " + input + ": check its permissions");
        }
        // Options are resolved before the file is read: a wrong port fails at once, not after a scan of the file.
        Settings settings = settings();
        BatchFile file = new BatchFile(input);
        BatchFile.Summary summary = file.summarize();
        String id = Ids.checkBatchId(batchId != null ? batchId : summary.defaultBatchId());
        Path outputFile = output != null ? output : sibling(input, ".output.jsonl");
        Path errorsFile = errors != null ? errors : sibling(input, ".errors.jsonl");
        Set<Role> roles = localRoles(settings);
        out.println("batch " + id + ": " + summary.requests() + " requests from " + input);
        try (Deployment deployment = Deployment.connect(settings)) {
            return execute(deployment, () -> deployment.startRoles(roles), file, summary.requests(), id, outputFile, errorsFile);
        }
    }

    /**
     * Runs one batch file on a connected deployment: stored results first, then the rest submitted
     * and awaited. {@code startStages} runs only when something is left to generate ({@code eval run}
     * runs several batches on one deployment and starts its stages once).
     */
    Outcome execute(Deployment deployment, Runnable startStages, BatchFile file, long total, String batchId, Path output,
            Path errors) throws IOException {
        Counts counts = new Counts();
        try (BatchResultCollector collector = new BatchResultCollector(deployment.bootstrapServers(), batchId);
                BufferedWriter outWriter = Files.newBufferedWriter(output, StandardCharsets.UTF_8);
                BufferedWriter errWriter = Files.newBufferedWriter(errors, StandardCharsets.UTF_8)) {
            java.util.function.Consumer<ResultEvent> sink = r -> counts.write(r, r.succeeded() ? outWriter : errWriter);
            collector.catchUp(sink);
            long generatedBefore = counts.generated;
            boolean alreadyDone = counts.done() >= total;
            if (alreadyDone) {
                out.println("batch " + batchId + " already has all " + total + " results: returning the stored results, "
                        + "nothing generated");
            } else {
                if (counts.done() > 0) {
                    out.println("batch " + batchId + " already has " + counts.done() + " of " + total
                            + " results: asking only for the rest");
                }
                // Planned before any stage starts: a budget that cannot be planned costs nothing.
                BudgetRouting.Routes routes = budgetUsd == null ? null : plan(deployment, file, batchId);
                // Stages start only now: a finished batch needs none of them.
                startStages.run();
                submit(deployment, file, batchId, total, collector.seen(), routes);
                await(collector, sink, counts, total, deployment);
            }
            publishEnd(deployment, batchId);
            long generatedNow = counts.generated - generatedBefore;
            out.println("batch " + batchId + ": " + counts.completed + " completed, " + counts.failed + " failed"
                    + (alreadyDone ? "" : ", " + generatedNow + " generated now"));
            out.println("output: " + output);
            out.println("errors: " + errors);
            return new Outcome(batchId, total, counts.completed, counts.failed, generatedNow, alreadyDone, output, errors);
        }
    }

    /**
     * Every line has its result: the batch's end goes on {@code millrace.batches} (finalizing, and
     * completed unless it was cancelled), as the API's finalizer publishes it for a batch of a stored
     * file, so the webhooks role derives {@code batch.completed} (or {@code batch.cancelled}) for this
     * batch too. Published again on a rerun of a finished batch only if it is missing (a crash between
     * the last result and this write): the event's id is stable, so it is delivered once either way.
     */
    private void publishEnd(Deployment deployment, String batchId) {
        CancelCommand.latest(deployment.bootstrapServers(), batchId).filter(b -> !b.finalized()).ifPresent(b -> {
            long now = Clock.systemUTC().millis();
            try (CancelPublisher publisher = new CancelPublisher(deployment.bootstrapServers())) {
                publisher.publish(b.finalized(null, null, now, now));
            }
        });
    }

    /**
     * The plan of {@code --budget-usd} over the whole file. A re-run plans the same lines the same
     * way, so the lines it still submits get the routes the first run gave them.
     */
    private BudgetRouting.Routes plan(Deployment deployment, BatchFile file, String batchId) throws IOException {
        BudgetRouting.Result result = new BudgetRouting(deployment.budgetOffers(), new ChatRequestValidator(deployment.catalog()),
                Clock.systemUTC()).plan(file::forEachLine, batchId, null, budgetUsd);
        if (result instanceof BudgetRouting.Refused refused) {
            throw new UsageException("--budget-usd: " + refused.error().message().replace("metadata.budget_usd", "the budget")
                    .replace("budget_usd", "--budget-usd"));
        }
        BudgetRouting.Routes routes = ((BudgetRouting.Planned) result).routes();
        out.println("budget " + routes.summary());
        return routes;
    }

    private void submit(Deployment deployment, BatchFile file, String batchId, long total, Set<String> skip,
            BudgetRouting.Routes routes) throws IOException {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, deployment.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 10), new StringSerializer(), new ByteArraySerializer())) {
            BatchIngestor ingestor = new BatchIngestor(producer, new ChatRequestValidator(deployment.catalog()), Clock.systemUTC());
            ingestor.submit(file, batchId, total, Set.copyOf(skip),
                    budgetUsd == null ? Map.of() : Map.of(BudgetRouting.METADATA_KEY, budgetUsd), routes);
        }
    }

    private void await(BatchResultCollector collector, java.util.function.Consumer<ResultEvent> sink, Counts counts,
            long total, Deployment deployment) {
        Progress progress = new Progress(out, terminal, total);
        long lastChange = System.currentTimeMillis();
        long lastDone = counts.done();
        while (counts.done() < total) {
            deployment.worker().flatMap(WorkerService::failure).ifPresent(e -> {
                throw new IllegalStateException("the worker stopped (" + e + "): " + counts.done() + " of " + total
                        + " results are stored; run the same command again to finish the rest", e);
            });
            collector.poll(Duration.ofMillis(250), sink);
            progress.update(counts.done(), counts.completionTokens, false);
            if (counts.done() != lastDone) {
                lastDone = counts.done();
                lastChange = System.currentTimeMillis();
            } else if (System.currentTimeMillis() - lastChange > 60_000) {
                out.println("no result for 60 s: " + (deployment.worker().isPresent() ? "the worker is busy or stuck"
                        : "is a worker (millrace serve --roles worker) running against " + deployment.bootstrapServers() + "?"));
                lastChange = System.currentTimeMillis();
            }
        }
        progress.update(counts.done(), counts.completionTokens, true);
    }

    private static Path sibling(Path input, String suffix) {
        String name = input.getFileName().toString();
        String base = name.endsWith(".jsonl") ? name.substring(0, name.length() - 6) : name;
        Path parent = input.toAbsolutePath().getParent();
        return parent.resolve(base + suffix);
    }

    /** Results written so far. */
    private static final class Counts {
        long completed;
        long failed;
        long completionTokens;
        /** Results that cost generation (not errors, not cache answers). */
        long generated;

        long done() {
            return completed + failed;
        }

        void write(ResultEvent r, BufferedWriter writer) {
            try {
                writer.write(Json.write(BatchOutputLine.of(r)));
                writer.newLine();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot write the results file: " + e.getMessage(), e);
            }
            if (r.generated()) {
                generated++;
            }
            if (r.succeeded()) {
                completed++;
                completionTokens += r.body().path("usage").path("completion_tokens").asLong();
            } else {
                failed++;
            }
        }
    }
}
