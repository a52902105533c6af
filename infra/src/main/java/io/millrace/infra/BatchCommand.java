package io.millrace.infra;

import io.millrace.ingest.BatchFile;
import io.millrace.ingest.BatchIngestor;
import io.millrace.protocol.BatchOutputLine;
import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.Ids;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.ResultEvent;
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
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code millrace batch FILE.jsonl}: runs an OpenAI batch input file end to end and writes the
 * output and error files in OpenAI's batch output format.
 *
 * <p>Results already in the results topic for this batch id are not asked for again, so a re-run
 * of a finished batch generates nothing, and a re-run after a crash generates only what is missing.
 */
final class BatchCommand {
    static final String USAGE = """
            usage: millrace batch FILE.jsonl [--output OUT.jsonl] [--errors ERR.jsonl] [--batch-id ID]
                                  [--model-dir DIR[,DIR...]] [--bootstrap-servers HOST:PORT] [--data-dir DIR]
                                  [--kafka-port PORT] [--http-port PORT]""";
    static final Set<String> OPTIONS = Set.of("output", "errors", "batch-id", "model-dir", "bootstrap-servers",
            "data-dir", "kafka-port", "http-port", "instance-id", Args.SET);

    /** What a run did. */
    record Outcome(String batchId, long total, long completed, long failed, long generatedNow, boolean alreadyDone,
            Path output, Path errors) {}

    private final PrintStream out;
    private final boolean terminal;

    BatchCommand(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    Outcome run(Args args) throws IOException {
        if (args.positionals().size() != 1) {
            throw new Args.UsageException("millrace batch takes exactly one input file\n" + USAGE);
        }
        Path input = Path.of(args.positionals().get(0));
        if (!Files.isRegularFile(input)) {
            throw new NoSuchFileException(input.toString(), null, "no such file: give the path of an OpenAI batch input .jsonl file");
        }
        if (!Files.isReadable(input)) {
            throw new IOException("cannot read " + input + ": check its permissions");
        }
        BatchFile file = new BatchFile(input);
        BatchFile.Summary summary = file.summarize();
        String batchId = Ids.checkBatchId(args.get("batch-id").orElse(summary.defaultBatchId()));
        Path output = args.get("output").map(Path::of).orElse(sibling(input, ".output.jsonl"));
        Path errors = args.get("errors").map(Path::of).orElse(sibling(input, ".errors.jsonl"));
        Settings settings = Settings.from(args, 0);
        // With a cluster, its running stages do the work; alone, this process runs them all.
        Set<Role> roles = settings.bootstrapServers() == null ? EnumSet.allOf(Role.class) : EnumSet.noneOf(Role.class);
        out.println("batch " + batchId + ": " + summary.requests() + " requests from " + input);
        try (Deployment deployment = Deployment.connect(settings)) {
            return execute(deployment, roles, file, summary.requests(), batchId, output, errors);
        }
    }

    private Outcome execute(Deployment deployment, Set<Role> roles, BatchFile file, long total, String batchId, Path output,
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
                // Stages start only now: a finished batch needs none of them.
                deployment.startRoles(roles);
                submit(deployment, file, batchId, total, collector.seen());
                await(collector, sink, counts, total, deployment);
            }
            long generatedNow = counts.generated - generatedBefore;
            out.println("batch " + batchId + ": " + counts.completed + " completed, " + counts.failed + " failed"
                    + (alreadyDone ? "" : ", " + generatedNow + " generated now"));
            out.println("output: " + output);
            out.println("errors: " + errors);
            return new Outcome(batchId, total, counts.completed, counts.failed, generatedNow, alreadyDone, output, errors);
        }
    }

    private void submit(Deployment deployment, BatchFile file, String batchId, long total, Set<String> skip) throws IOException {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, deployment.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 10), new StringSerializer(), new ByteArraySerializer())) {
            BatchIngestor ingestor = new BatchIngestor(producer, new ChatRequestValidator(deployment.catalog()), Clock.systemUTC());
            ingestor.submit(file, batchId, total, Set.copyOf(skip));
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
