package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line's options, defaults, environment fallbacks and exit codes; no broker is started. */
class CommandLineTest {
    private static final Map<String, String> ENV = Map.of(
            ClusterOptions.ENV_BOOTSTRAP, "kafka-env:9092", ClusterOptions.ENV_DATA_DIR, "/var/lib/millrace");

    @TempDir
    Path dir;

    @Test
    void batchDefaults() {
        BatchCommand batch = Commands.parse(BatchCommand.class, "batch", "in.jsonl");
        assertThat(batch.input).isEqualTo(Path.of("in.jsonl"));
        assertThat(batch.output).isNull();
        assertThat(batch.errors).isNull();
        assertThat(batch.batchId).isNull();
        assertThat(batch.settings()).isEqualTo(new Settings(null, Path.of(".millrace"), 9092, 0, List.of(), null, -1, Map.of()));
    }

    @Test
    void batchReadsEveryOptionInBothForms() {
        BatchCommand batch = Commands.parse(BatchCommand.class, "batch", "--output", "o.jsonl", "in.jsonl", "--errors=e.jsonl",
                "--batch-id", "b1", "--model-dir", "a, b,", "--bootstrap-servers=k:9092", "--data-dir", "d",
                "--kafka-port", "9999", "--http-port=0", "--instance-id", "w1",
                "--set", "worker.engine=sequential", "--set", "consumer.max.poll.records = 8", "--set", "worker.engine=batch",
                "--set", "worker.ort.intra.threads=1");
        assertThat(batch.input).isEqualTo(Path.of("in.jsonl"));
        assertThat(batch.output).isEqualTo(Path.of("o.jsonl"));
        assertThat(batch.errors).isEqualTo(Path.of("e.jsonl"));
        assertThat(batch.batchId).isEqualTo("b1");
        assertThat(batch.settings()).isEqualTo(new Settings("k:9092", Path.of("d"), 9999, 0, List.of(Path.of("a"), Path.of("b")),
                "w1", -1, Map.of("worker.engine", "batch", "consumer.max.poll.records", "8", "worker.ort.intra.threads", "1")));
        assertThat(batch.settings().worker().session().intraOpThreads()).isEqualTo(1);
    }

    @Test
    void aConfigFileGivesModelsAliasesAndSettingsAndSetWinsOverIt() throws Exception {
        java.nio.file.Files.createDirectories(dir.resolve("models/m1"));
        Path config = dir.resolve("millrace.yaml");
        java.nio.file.Files.writeString(config, "models: [{directory: models/m1}]\naliases: {gpt-4o-mini: m1}\n"
                + "cache: {enabled: true, ttl: 2h}\nset: {worker.engine: sequential, worker.engine.max.batch.size: 8}\n");
        Settings s = Commands.parse(ServeCommand.class, "serve", "--config", config.toString(), "--set", "cache.enabled=false")
                .settings();
        assertThat(s.modelDirs()).containsExactly(dir.resolve("models/m1").toAbsolutePath().normalize());
        assertThat(s.deployment().aliases()).containsEntry("gpt-4o-mini", "m1");
        assertThat(s.workerSettings()).containsEntry("worker.engine", "sequential").containsEntry("cache.enabled", "false");
        assertThat(s.cache().enabled()).as("--set wins over the file").isFalse();
        assertThat(s.worker().batching().maxBatchSize()).as("an engine setting from the file's set: section").isEqualTo(8);
        assertThat(s.cache().ttl()).isEqualTo(Duration.ofHours(2));
        // --model-dir wins over the file's models.
        assertThat(Commands.parse(BatchCommand.class, "batch", "in.jsonl", "--config", config.toString(), "--model-dir", "x")
                .settings().modelDirs()).containsExactly(Path.of("x"));
    }

    @Test
    void badRetryTiersAreAUsageErrorBeforeAnythingStarts() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Millrace.run(List.of("serve", "--set", "worker.retry.delays=10s,1s"), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err), Map.of());
        assertThat(code).isEqualTo(Millrace.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("worker.retry.delays").contains("increasing order");
    }

    @Test
    void aBadConfigFileIsAUsageErrorNamingTheKey() throws Exception {
        Path config = dir.resolve("bad.yaml");
        java.nio.file.Files.writeString(config, "cache: {ttl: forever}\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Millrace.run(List.of("serve", "--config", config.toString()), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err), Map.of());
        assertThat(code).isEqualTo(Millrace.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("cache.ttl=forever: 'forever' is not a duration");
        int missing = Millrace.run(List.of("serve", "--config", dir.resolve("none.yaml").toString()),
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err), Map.of());
        assertThat(missing).isEqualTo(Millrace.FAILED);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("no such config file");
    }

    @Test
    void aRepeatedOptionTakesTheLaterValue() {
        assertThat(Commands.parse(BatchCommand.class, "batch", "in.jsonl", "--output", "a", "--output", "b").output)
                .isEqualTo(Path.of("b"));
    }

    @Test
    void serveDefaultsAndOptions() {
        ServeCommand serve = Commands.parse(ServeCommand.class, "serve");
        assertThat(serve.roles()).isEqualTo(EnumSet.complementOf(EnumSet.of(Role.CDC, Role.DB_SINK)));
        // serve asks for API keys unless told --auth none.
        assertThat(serve.settings()).isEqualTo(new Settings(null, Path.of(".millrace"), 9092, 8080, List.of(), null, 9464, Map.of())
                .withApi(true, Duration.ofSeconds(60)));

        ServeCommand withDb = Commands.parse(ServeCommand.class, "serve", "--cdc-jdbc-url", "jdbc:postgresql://db/app?user=u");
        assertThat(withDb.roles()).isEqualTo(EnumSet.allOf(Role.class));
        assertThat(withDb.settings().cdc().jdbcUrl()).isEqualTo("jdbc:postgresql://db/app?user=u");
        assertThat(Commands.parse(ServeCommand.class, "serve", "--roles", "CDC, db-sink").roles()).containsExactly(Role.CDC, Role.DB_SINK);

        serve = Commands.parse(ServeCommand.class, "serve", "--roles", "worker, ROUTER", "--metrics-port", "-1",
                "--http-port", "0", "--instance-id", "w2", "--set=producer.linger.ms=5", "--auth", "none", "--request-timeout", "5");
        assertThat(serve.roles()).containsExactly(Role.ROUTER, Role.WORKER);
        assertThat(serve.settings()).isEqualTo(new Settings(null, Path.of(".millrace"), 9092, 0, List.of(), "w2", -1,
                Map.of("producer.linger.ms", "5")).withApi(false, Duration.ofSeconds(5)));
    }

    @Test
    void cancelTakesABatchIdAndTheClusterOptions() {
        CancelCommand cancel = Commands.parse(CancelCommand.class, "cancel", "b1", "--bootstrap-servers", "k:1",
                "--data-dir", "d", "--kafka-port", "1", "--model-dir", "m");
        assertThat(cancel.batchId).isEqualTo("b1");
        assertThat(cancel.settings()).isEqualTo(new Settings("k:1", Path.of("d"), 1, 0, List.of(Path.of("m")), null, -1, Map.of()));
    }

    @Test
    void theEnvironmentFillsInWhatTheOptionsLeaveOut() {
        assertThat(Commands.parse(CancelCommand.class, ENV, "cancel", "b1").settings())
                .extracting(Settings::bootstrapServers, Settings::dataDir)
                .containsExactly("kafka-env:9092", Path.of("/var/lib/millrace"));
        assertThat(Commands.parse(ServeCommand.class, ENV, "serve", "--bootstrap-servers", "k:1", "--data-dir", "d").settings())
                .extracting(Settings::bootstrapServers, Settings::dataDir)
                .containsExactly("k:1", Path.of("d"));
        // A blank variable is no cluster: the in-process broker runs.
        assertThat(Commands.parse(BatchCommand.class, Map.of(ClusterOptions.ENV_BOOTSTRAP, " "), "batch", "in.jsonl")
                .settings().bootstrapServers()).isNull();
    }

    @Test
    void noArgumentsPrintTheUsageAndExit2() {
        Result r = run();
        assertThat(r.code).isEqualTo(2);
        assertThat(r.out).contains("usage: millrace").contains("batch").contains("serve").contains("cancel").contains("model");
    }

    @Test
    void helpIsGeneratedForEveryCommandAndExits0() {
        for (List<String> argv : List.of(List.of("--help"), List.of("help"), List.of("-h"))) {
            Result r = run(argv.toArray(String[]::new));
            assertThat(r.code).as("%s", argv).isZero();
            assertThat(r.out).as("%s", argv).contains("usage: millrace").contains("batch").contains("serve")
                    .contains("cancel").contains("model");
        }
        Result batch = run("batch", "--help");
        assertThat(batch.code).isZero();
        assertThat(batch.out).contains("usage: millrace batch [OPTIONS] FILE.jsonl").contains("--output=OUT.jsonl")
                .contains("--bootstrap-servers=HOST:PORT").contains("MILLRACE_BOOTSTRAP_SERVERS").contains("--set=KEY=VALUE");
        assertThat(run("help", "serve").out).contains("usage: millrace serve").contains("--roles").contains("9464");
        assertThat(run("cancel", "--help").out).contains("usage: millrace cancel").contains("BATCH_ID")
                .doesNotContain("--set");
        assertThat(run("model", "init-tiny", "--help").out).contains("usage: millrace model init-tiny").contains("DIR");
    }

    @Test
    void versionPrintsTheProjectVersion() {
        Result r = run("--version");
        assertThat(r.code).isZero();
        assertThat(r.out.strip()).startsWith("millrace ").doesNotContain("${");
    }

    @Test
    void parseErrorsExit2WithTheMessageAndTheCommandsUsage() {
        assertUsageError(run("batch", "in.jsonl", "--kafka-port", "ninety"), "usage: millrace batch",
                "Invalid value for option '--kafka-port': 'ninety' is not an int");
        // picocli names the value too: "Unknown options: '--outptu', 'y'".
        assertUsageError(run("batch", "in.jsonl", "--outptu", "y"), "usage: millrace batch", "Unknown options: '--outptu'");
        assertUsageError(run("batch", "in.jsonl", "--output"), "usage: millrace batch", "Missing required parameter for option '--output'");
        assertUsageError(run("batch"), "usage: millrace batch", "Missing required parameter: 'FILE.jsonl'");
        assertUsageError(run("batch", "a.jsonl", "b.jsonl"), "usage: millrace batch", "Unmatched argument");
        assertUsageError(run("batch", "in.jsonl", "--metrics-port", "1"), "usage: millrace batch", "Unknown options: '--metrics-port'");
        assertUsageError(run("cancel"), "usage: millrace cancel", "Missing required parameter: 'BATCH_ID'");
        assertUsageError(run("cancel", "b1", "--set", "worker.engine=batch"), "usage: millrace cancel", "Unknown options: '--set'");
        assertUsageError(run("serve", "--roles", "router,gpu"), "usage: millrace serve", "unknown role 'gpu' in --roles");
        assertUsageError(run("serve", "--http-port", "8O80"), "usage: millrace serve", "'8O80' is not an int");
        assertUsageError(run("model"), "usage: millrace model", "Missing required subcommand");
        assertUsageError(run("model", "init-tiny"), "usage: millrace model init-tiny", "Missing required parameter: 'DIR'");
        assertUsageError(run("frob"), "usage: millrace", "Unmatched argument at index 0: 'frob'");
        assertUsageError(run("serve", "--auth", "maybe"), "usage: millrace serve", "Invalid value for option '--auth'");
        assertUsageError(run("keys", "create"), "usage: millrace keys create", "Missing required option: '--tenant=NAME'");
        assertUsageError(run("keys", "revoke"), "usage: millrace keys revoke", "Missing required parameter: 'KEY_ID'");
        assertUsageError(run("keys", "create", "--tenant", "a b"), "usage: millrace keys create", "is not a tenant name");
    }

    @Test
    void aTypoGetsASuggestion() {
        assertThat(run("batch", "in.jsonl", "--outptu", "y").err).contains("--output");
        assertThat(run("bacth", "in.jsonl").err).contains("batch");
    }

    @Test
    void settingsThatFailValidationExit2WithTheFix() throws Exception {
        // No stage starts: the settings are checked first.
        assertUsageError(run("serve", "--http-port", "70000"), "usage: millrace serve",
                "--http-port 70000 is not a TCP port: use 1-65535 (0 for any free port)");
        assertUsageError(run("serve", "--metrics-port", "-2"), "usage: millrace serve", "--metrics-port -2 is not a TCP port");
        assertUsageError(run("serve", "--set", "noequals"), "usage: millrace serve",
                "--set noequals is not key=value: write e.g. --set worker.engine=sequential");
        assertUsageError(run("serve", "--request-timeout", "0"), "usage: millrace serve", "--request-timeout 0 must be at least 1 second");
        assertUsageError(run("serve", "--set", "streams.x=1"), "usage: millrace serve",
                "--set streams.x: only worker.*, consumer.*, producer.*, model.NAME.variant, cache.*, router.*, webhooks.* and cdc.* settings can be set");
        assertUsageError(run("serve", "--roles", "router,db-sink"), "usage: millrace serve",
                "the db-sink role needs a database: give --cdc-jdbc-url jdbc:postgresql://HOST:PORT/DATABASE");
        assertUsageError(run("serve", "--cdc-jdbc-url", "jdbc:mysql://db/app"), "usage: millrace serve",
                "--cdc-jdbc-url 'jdbc:mysql://db/app' is not a PostgreSQL JDBC URL");
        assertUsageError(run("serve", "--cdc-jdbc-url", "jdbc:postgresql://db/app", "--set", "cdc.write.back=some"),
                "usage: millrace serve", "--set cdc.write.back is 'some': use table");
        assertUsageError(run("db", "init", "--jdbc-url", "postgres://db/app"), "usage: millrace db init",
                "--jdbc-url 'postgres://db/app' is not a PostgreSQL JDBC URL");
        assertUsageError(run("serve", "--set", "webhooks.retry.delays=1s,soon"), "usage: millrace serve",
                "--set webhooks.retry.delays: 'soon' is not a duration");
        assertUsageError(run("serve", "--set", "model.gpt2.variant=int4"), "usage: millrace serve",
                "--set model.gpt2.variant=int4: 'int4' is not a model variant: use one of fp32, fp16, q8");
        assertUsageError(run("serve", "--set", "model.gpt2.dtype=q8"), "usage: millrace serve",
                "--set model.gpt2.dtype: a model setting is model.NAME.variant");
        assertUsageError(run("serve", "--set", "worker.engine.max.batch.size=0"), "usage: millrace serve",
                "--set worker.engine.max.batch.size is 0: set it to at least 1");
        assertUsageError(run("serve", "--set", "worker.engine.prefill.chunk=big"), "usage: millrace serve",
                "--set worker.engine.prefill.chunk is 'big': it must be a whole number");
        assertUsageError(run("serve", "--set", "worker.ort.intra.threads=0"), "usage: millrace serve",
                "--set worker.ort.intra.threads is 0: set it from 1 to ");
        assertUsageError(run("serve", "--set", "worker.engine.batch.size=4"), "usage: millrace serve",
                "--set worker.engine.batch.size: the worker has no such setting; use one of [");
        assertUsageError(run("serve", "--set", "consumer.isolation.level=read_uncommitted"), "usage: millrace serve",
                "--set consumer.isolation.level=read_uncommitted is refused: it would break exactly-once results");
        assertUsageError(run("serve", "--set", "producer.transactional.id=t1"), "usage: millrace serve",
                "--set producer.transactional.id=t1 is refused");
        Path input = Files.writeString(dir.resolve("in.jsonl"), "");
        assertUsageError(run("batch", input.toString(), "--kafka-port", "70000"), "usage: millrace batch",
                "--kafka-port 70000 is not a TCP port");
    }

    @Test
    void aMissingInputFileIsAFailedRunInOneLine() {
        Result r = run("batch", dir.resolve("nope.jsonl").toString());
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err.strip()).startsWith("millrace: ").contains("nope.jsonl: no such file").doesNotContain("\n");
        assertThat(r.err).doesNotContain("usage:");
    }

    private static void assertUsageError(Result r, String usage, String message) {
        assertThat(r.code).as(r.err).isEqualTo(2);
        assertThat(r.err).startsWith("millrace: ").contains(message).contains(usage);
    }

    private record Result(int code, String out, String err) {}

    private Result run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Millrace.run(List.of(argv), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of(ClusterOptions.ENV_DATA_DIR, dir.toString()));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
