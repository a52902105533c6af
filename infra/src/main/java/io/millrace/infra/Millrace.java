package io.millrace.infra;

import io.millrace.worker.model.TinyModel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/** The {@code millrace} command line: {@code batch}, {@code serve} and {@code model init-tiny}. */
public final class Millrace {
    static final String USAGE = """
            usage: millrace batch FILE.jsonl [options]     run an OpenAI batch file end to end
                   millrace serve [--roles ingest,router,worker,api] [options]
                                                          run the stages until stopped
                   millrace cancel BATCH_ID               cancel a batch's queued and running requests
                   millrace model init-tiny DIR           write the built-in tiny model to DIR
            common options: --bootstrap-servers HOST:PORT (or MILLRACE_BOOTSTRAP_SERVERS; default: an in-process broker)
                            --data-dir DIR (default .millrace)  --kafka-port PORT (default 9092)
                            --model-dir DIR[,DIR...] (default: the built-in model)""";

    private Millrace() {}

    public static void main(String[] argv) {
        System.exit(run(Arrays.asList(argv), System.out, System.err));
    }

    /** Runs a command and returns the process exit code: 0 done, 1 failed, 2 wrong usage. */
    static int run(List<String> argv, PrintStream out, PrintStream err) {
        if (argv.isEmpty() || argv.get(0).equals("--help") || argv.get(0).equals("help")) {
            out.println(USAGE);
            return argv.isEmpty() ? 2 : 0;
        }
        List<String> rest = argv.subList(1, argv.size());
        try {
            switch (argv.get(0)) {
                case "batch" -> new BatchCommand(out, System.console() != null)
                        .run(Args.parse(rest, BatchCommand.OPTIONS, BatchCommand.USAGE));
                case "serve" -> serve(Args.parse(rest, SERVE_OPTIONS, USAGE), out);
                case "cancel" -> new CancelCommand(out).run(Args.parse(rest, CancelCommand.OPTIONS, CancelCommand.USAGE));
                case "model" -> model(rest, out);
                default -> throw new Args.UsageException("unknown command '" + argv.get(0) + "'\n" + USAGE);
            }
            return 0;
        } catch (Args.UsageException e) {
            err.println("millrace: " + e.getMessage());
            return 2;
        } catch (NoSuchFileException e) {
            err.println("millrace: " + e.getFile() + ": " + e.getReason());
            return 1;
        } catch (IOException | RuntimeException e) {
            // Some exceptions (a NullPointerException, say) have no message: never print "millrace: null".
            err.println("millrace: " + (e.getMessage() == null || e.getMessage().isBlank() ? e.toString() : e.getMessage()));
            return 1;
        }
    }

    private static final Set<String> SERVE_OPTIONS = Set.of("roles", "model-dir", "bootstrap-servers", "data-dir",
            "kafka-port", "http-port", "instance-id", "metrics-port", Args.SET);

    private static void serve(Args args, PrintStream out) throws IOException {
        Set<Role> roles = args.get("roles").map(Role::parse).orElse(EnumSet.allOf(Role.class));
        Settings settings = Settings.from(args, 8080, 9464);
        CountDownLatch stopped = new CountDownLatch(1);
        Deployment deployment = Deployment.start(settings, roles);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            deployment.close();
            stopped.countDown();
        }, "millrace-shutdown"));
        deployment.awaitRunning(Duration.ofMinutes(2));
        out.println("millrace serving " + roles + " on Kafka " + deployment.bootstrapServers()
                + deployment.api().map(a -> ", HTTP on http://localhost:" + a.httpPort() + "/v1").orElse("")
                + deployment.metrics().map(m -> ", metrics on http://localhost:" + m.port() + "/metrics").orElse("")
                + " (models " + deployment.catalog().names() + "); Ctrl-C stops");
        if (roles.contains(Role.INGEST)) {
            out.println("ingest: submit batch files with: millrace batch FILE.jsonl --bootstrap-servers " + deployment.bootstrapServers()
                    + ", or produce request events to millrace.requests (README: Topic contract)");
        }
        try {
            while (!stopped.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
                // A worker that stopped on its own serves nothing more: exit, so a supervisor restarts it.
                Optional<Throwable> failed = deployment.worker().flatMap(w -> w.failure());
                if (failed.isPresent()) {
                    throw new IllegalStateException("the worker stopped: " + failed.get()
                            + " (restart with the same --instance-id to resume)", failed.get());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void model(List<String> args, PrintStream out) throws IOException {
        if (args.size() != 2 || !args.get(0).equals("init-tiny")) {
            throw new Args.UsageException("usage: millrace model init-tiny DIR");
        }
        Path dir = Path.of(args.get(1));
        TinyModel.write(dir);
        out.println("wrote the built-in model to " + dir + " (seeded weights: its text is not meaningful); serve it with --model-dir "
                + dir + " and \"model\": \"" + dir.toAbsolutePath().normalize().getFileName() + "\" in requests");
    }
}
