package io.millrace.infra;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code millrace serve}: runs the given stages until stopped. It returns only when the process is
 * told to stop (the shutdown hook closes the stages) or when the worker stops on its own, which is
 * a failure: the process then exits non-zero so that a supervisor restarts it.
 */
@Command(name = "serve",
        description = {"Run the stages until stopped (Ctrl-C).",
                "With --bootstrap-servers each process runs the roles it is given, so routers, workers and the API"
                        + " scale independently."})
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--roles", paramLabel = "ROLE", split = ",", converter = Role.Converter.class,
            description = "which stages this process runs: ingest, router, worker, api, webhooks, cdc, db-sink, remote (default: all;"
                    + " cdc and db-sink only with --cdc-jdbc-url)")
    Set<Role> roles;

    @Option(names = "--cdc-jdbc-url", paramLabel = "URL",
            description = "PostgreSQL database whose rows inserted into millrace_requests become requests (cdc role) and whose"
                    + " millrace_results gets their answers (db-sink role): jdbc:postgresql://HOST:PORT/DATABASE?user=USER&password=PASSWORD;"
                    + " prepare it with millrace db init")
    String cdcJdbcUrl;

    @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "8080",
            description = "results API port (default: ${DEFAULT-VALUE}; 0: any free port)")
    int httpPort;

    @Option(names = "--metrics-port", paramLabel = "PORT", defaultValue = "9464",
            description = "Prometheus /metrics port (default: ${DEFAULT-VALUE}; 0: any free port, -1: none)")
    int metricsPort;

    /** How the HTTP API checks callers. */
    enum Auth { keys, none }

    @Option(names = "--auth", paramLabel = "MODE", defaultValue = "keys",
            description = "keys: every /v1 request needs an API key (millrace keys create); none: no keys, for local"
                    + " development only (default: ${DEFAULT-VALUE})")
    Auth auth;

    @Option(names = "--request-timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "how long a synchronous HTTP request waits for its result before a 504 (default: ${DEFAULT-VALUE})")
    long requestTimeoutSeconds;

    @Mixin
    ClusterOptions cluster;

    @Mixin
    StageOptions stage;

    private final PrintStream out;
    private final Map<String, String> env;

    ServeCommand(PrintStream out, Map<String, String> env) {
        this.out = out;
        this.env = env;
    }

    /** The roles in their fixed order, however --roles listed them. */
    Set<Role> roles() {
        Set<Role> ordered = EnumSet.noneOf(Role.class);
        ordered.addAll(roles == null ? Role.defaults(cdcJdbcUrl != null) : roles);
        return ordered;
    }

    Settings settings() {
        Settings s = cluster.settings(env, httpPort, metricsPort, stage).withApi(auth == Auth.keys, Duration.ofSeconds(requestTimeoutSeconds));
        return cdcJdbcUrl == null ? s : s.withCdc(cdcJdbcUrl);
    }

    @Override
    public Integer call() throws IOException {
        Settings settings = settings();
        Set<Role> roles = roles();
        for (Role r : List.of(Role.CDC, Role.DB_SINK)) {
            if (roles.contains(r) && !settings.cdc().enabled()) {
                throw new UsageException("the " + r.cliName() + " role needs a database: give --cdc-jdbc-url"
                        + " jdbc:postgresql://HOST:PORT/DATABASE?user=USER&password=PASSWORD");
            }
        }
        CountDownLatch stopped = new CountDownLatch(1);
        if (!settings.requireKeys() && roles.contains(Role.API)) {
            out.println("WARNING: --auth none: the HTTP API on port " + settings.httpPort() + " answers anyone, without an API key,"
                    + " and every caller shares one tenant. For local development only: serve with keys (the default) anywhere"
                    + " others can reach.");
        }
        Deployment deployment = Deployment.start(settings, roles, env);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            deployment.close();
            stopped.countDown();
        }, "millrace-shutdown"));
        deployment.awaitRunning(Duration.ofMinutes(2));
        out.println("millrace serving " + roles + " on Kafka " + deployment.bootstrapServers()
                + deployment.api().map(a -> ", HTTP on http://localhost:" + a.httpPort() + "/v1").orElse("")
                + deployment.metrics().map(m -> ", metrics on http://localhost:" + m.port() + "/metrics").orElse("")
                + " (models " + deployment.catalog().names() + "); Ctrl-C stops");
        if (roles.contains(Role.CDC)) {
            out.println("cdc: rows inserted into millrace_requests on " + io.millrace.cdc.JdbcTarget.parse(settings.cdc().jdbcUrl())
                    + " become requests" + (roles.contains(Role.DB_SINK) ? "; their answers are written to millrace_results" : ""));
        }
        if (roles.contains(Role.INGEST)) {
            out.println("ingest: runs batches created with POST /v1/batches; submit batch files with: millrace batch FILE.jsonl --bootstrap-servers " + deployment.bootstrapServers()
                    + ", or produce request events to millrace.requests (README: Topic contract)");
        }
        try {
            while (!stopped.await(1, TimeUnit.SECONDS)) {
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
        return 0;
    }
}
