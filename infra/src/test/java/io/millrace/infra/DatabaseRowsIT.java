package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.millrace.cdc.CdcConfig;
import io.millrace.cdc.DbInit;
import io.millrace.cdc.ThrowawayPostgres;
import io.millrace.protocol.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Database in, database out, on a real PostgreSQL (a cluster of the test's own, wal_level=logical)
 * and the whole pipeline: rows inserted into millrace_requests become requests (Debezium, pgoutput,
 * initial snapshot), and their answers come back as rows of millrace_results, exactly one per row.
 *
 * <pre>
 *   INSERT ─▶ millrace_requests ─▶ cdc ─▶ millrace.requests ─▶ router ─▶ worker ─▶ millrace.results ─▶ db-sink ─▶ millrace_results
 * </pre>
 */
class DatabaseRowsIT {
    private static final String CHAT = "{\"model\": \"millrace-tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"row %d\"}],"
            + " \"max_tokens\": 1, \"temperature\": 0}";

    static ThrowawayPostgres pg;

    @TempDir
    Path dir;

    @BeforeAll
    static void startPostgres() throws Exception {
        pg = ThrowawayPostgres.start(Path.of("target", "pg-database-rows-it"));
    }

    @AfterAll
    static void dropSlotsAndStop() throws Exception {
        if (pg == null) {
            return;
        }
        try {
            // Capture's slots would hold WAL forever: the tests leave none behind.
            List<String> dropped = pg.dropReplicationSlots();
            assertThat(pg.query("postgres", "SELECT count(*) FROM pg_replication_slots")).isEqualTo("0");
            assertThat(dropped).isNotEmpty();
        } finally {
            pg.close();
        }
    }

    @Test
    void aThousandRowsGetExactlyAThousandResultRowsAndBadRowsGetErrorRows() throws Exception {
        String url = pg.createDatabase("thousand");
        DbInit.run(url);
        // Rows there before capture first starts are taken by the initial snapshot.
        List<UUID> good = insert(url, 0, 200, "nightly");
        UUID notARequest = insertBody(url, "[1, 2, 3]");
        UUID unknownModel = insertBody(url, "{\"model\": \"no-such-model\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}");
        UUID oversized = insertBody(url, "{\"model\": \"millrace-tiny\", \"messages\": [{\"role\": \"user\", \"content\": \""
                + "x".repeat(950 * 1024) + "\"}]}");
        try (TestKafka kafka = TestKafka.start(dir.resolve("broker"));
                Deployment d = Deployment.start(settings(kafka.bootstrapServers(), url, "it_thousand"),
                        EnumSet.of(Role.ROUTER, Role.WORKER, Role.CDC, Role.DB_SINK))) {
            d.awaitRunning(Duration.ofSeconds(60));
            // And rows inserted while it runs are streamed.
            good.addAll(insert(url, 200, 800, null));

            awaitResultRows("thousand", 1003, Duration.ofMinutes(4));

            assertThat(pg.query("thousand", "SELECT count(DISTINCT request_id) FROM millrace_results")).isEqualTo("1003");
            assertThat(pg.query("thousand", "SELECT count(*) FROM millrace_results s JOIN millrace_requests r ON r.id = s.request_id"
                    + " WHERE s.status_code = 200 AND s.response->>'object' = 'chat.completion' AND s.usage IS NOT NULL"))
                    .isEqualTo("1000");
            assertThat(errorCode("thousand", notARequest)).isEqualTo("400 invalid_body");
            assertThat(errorCode("thousand", unknownModel)).isEqualTo("400 model_not_found");
            assertThat(errorCode("thousand", oversized)).isEqualTo("400 request_too_large");
            assertThat(pg.query("thousand", "SELECT requests || '/' || completed || '/' || failed FROM millrace_batches"
                    + " WHERE batch_id = 'nightly'")).isEqualTo("200/200/0");
            assertThat(resultKeysOnKafka(kafka.bootstrapServers(), 1003)).as("results on millrace.results, one per row")
                    .hasSize(1003).doesNotHaveDuplicates();
        }
    }

    @Test
    void killingTheProcessOfCaptureAndSinkLosesAndDuplicatesNoRow() throws Exception {
        Path jar = Path.of("target", "millrace.jar").toAbsolutePath();
        if (!Files.exists(jar)) {
            fail(jar + " is missing: the chaos test runs the shaded jar, built by mvn package (mvn verify builds it first)");
        }
        String url = pg.createDatabase("chaos");
        DbInit.run(url);
        List<UUID> rows = insert(url, 0, 300, null);
        // Router and worker run here; capture and write-back in a process of their own, killed mid-stream.
        try (TestKafka kafka = TestKafka.start(dir.resolve("broker"));
                Deployment d = Deployment.start(new Settings(kafka.bootstrapServers(), dir.resolve("pipeline"), 0, 0, List.of(),
                        "cdc-chaos-it", -1, Map.of()), EnumSet.of(Role.ROUTER, Role.WORKER))) {
            d.awaitRunning(Duration.ofSeconds(60));
            Process a = startCaptureAndSink(jar, kafka.bootstrapServers(), url, "a");
            Process b = null;
            try {
                for (int i = 0; i < 10; i++) {
                    rows.addAll(insert(url, 300 + i * 50, 50, null));
                    Thread.sleep(100);
                }
                awaitResultRows("chaos", 250, Duration.ofMinutes(3));
                a.destroyForcibly(); // SIGKILL: no offset flush, no leave-group, the slot's connection cut
                a.waitFor();
                // Mid-stream: the 800 rows inserted so far were not all answered (the sink writes 50 a transaction).
                assertThat(count("chaos")).as("result rows when the process was killed").isLessThan(800);
                // Rows inserted while nothing captures are answered once it is back.
                rows.addAll(insert(url, 800, 200, null));
                b = startCaptureAndSink(jar, kafka.bootstrapServers(), url, "b");

                awaitResultRows("chaos", 1000, Duration.ofMinutes(4));

                assertThat(pg.query("chaos", "SELECT count(*) FROM millrace_results s JOIN millrace_requests r ON r.id = s.request_id"
                        + " WHERE s.status_code = 200")).isEqualTo("1000");
                assertThat(resultKeysOnKafka(kafka.bootstrapServers(), 1000)).as("one result per row on millrace.results")
                        .hasSize(1000).doesNotHaveDuplicates()
                        .containsExactlyInAnyOrderElementsOf(rows.stream().map(UUID::toString).toList());
            } finally {
                a.destroyForcibly();
                if (b != null) {
                    b.destroyForcibly();
                    b.waitFor();
                }
            }
        }
    }

    @Test
    void captureAndSinkRideOutTheDatabaseGoingAway() throws Exception {
        String url = pg.createDatabase("outage");
        DbInit.run(url);
        try (TestKafka kafka = TestKafka.start(dir.resolve("broker"));
                Deployment d = Deployment.start(settings(kafka.bootstrapServers(), url, "it_outage"),
                        EnumSet.of(Role.ROUTER, Role.WORKER, Role.CDC, Role.DB_SINK))) {
            d.awaitRunning(Duration.ofSeconds(60));
            List<UUID> rows = insert(url, 0, 50, null);
            awaitResultRows("outage", 50, Duration.ofMinutes(2));
            // The server goes away under running capture and write-back, and comes back on the same port.
            pg.stopServer();
            Thread.sleep(3_000);
            pg.startServer();
            rows.addAll(insert(url, 50, 50, null));

            awaitResultRows("outage", 100, Duration.ofMinutes(3));

            assertThat(pg.query("outage", "SELECT count(*) FROM millrace_results s JOIN millrace_requests r ON r.id = s.request_id"
                    + " WHERE s.status_code = 200")).isEqualTo("100");
            assertThat(resultKeysOnKafka(kafka.bootstrapServers(), 100)).hasSize(100).doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(rows.stream().map(UUID::toString).toList());
        }
    }

    private Process startCaptureAndSink(Path jar, String bootstrap, String url, String name) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-jar", jar.toString(), "serve", "--roles", "cdc,db-sink", "--bootstrap-servers", bootstrap,
                "--cdc-jdbc-url", url, "--set", "cdc.slot=it_chaos", "--set", "cdc.offset.flush.ms=1000", "--set", "cdc.sink.batch=50",
                "--data-dir", dir.resolve("capture").toString(), "--metrics-port", "-1", "--http-port", "0")
                .redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
    }

    static Settings settings(String bootstrap, String url, String slot) {
        return new Settings(bootstrap, Path.of("target", "cdc-it-data-" + slot), 0, 0, List.of(), "cdc-it-" + slot, -1,
                Map.of(CdcConfig.JDBC_URL, url, CdcConfig.SLOT, slot));
    }

    /** Inserts {@code n} chat rows numbered from {@code from}, as a user would, and returns their ids. */
    static List<UUID> insert(String url, int from, int n, String batchId) throws SQLException {
        List<UUID> ids = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url);
                PreparedStatement p = c.prepareStatement("INSERT INTO millrace_requests (id, batch_id, custom_id, body)"
                        + " VALUES (?, ?, ?, ?::jsonb)")) {
            for (int i = from; i < from + n; i++) {
                UUID id = UUID.randomUUID();
                p.setObject(1, id);
                p.setString(2, batchId);
                p.setString(3, "row-" + i);
                p.setString(4, CHAT.formatted(i));
                p.addBatch();
                ids.add(id);
            }
            p.executeBatch();
        }
        return ids;
    }

    private static UUID insertBody(String url, String body) throws SQLException {
        UUID id = UUID.randomUUID();
        try (Connection c = DriverManager.getConnection(url);
                PreparedStatement p = c.prepareStatement("INSERT INTO millrace_requests (id, body) VALUES (?, ?::jsonb)")) {
            p.setObject(1, id);
            p.setString(2, body);
            p.executeUpdate();
        }
        return id;
    }

    private static String errorCode(String db, UUID id) throws SQLException {
        return pg.query(db, "SELECT status_code || ' ' || coalesce(response->'error'->>'code', error->>'code')"
                + " FROM millrace_results WHERE request_id = '" + id + "'");
    }

    static long count(String db) throws SQLException {
        return Long.parseLong(pg.query(db, "SELECT count(*) FROM millrace_results"));
    }

    static void awaitResultRows(String db, long expected, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        long n = 0;
        while (System.nanoTime() < deadline) {
            n = count(db);
            if (n >= expected) {
                return;
            }
            Thread.sleep(200);
        }
        fail("millrace_results has " + n + " rows after " + timeout.toSeconds() + " s, not " + expected);
    }

    /** Every key on millrace.results, read_committed, from the beginning, once {@code expected} have arrived. */
    static List<String> resultKeysOnKafka(String bootstrap, int expected) {
        List<String> keys = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID()), new StringDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(Topics.RESULTS.name()));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            Set<Integer> quiet = new HashSet<>();
            while (System.nanoTime() < deadline && (keys.size() < expected || quiet.size() < 3)) {
                var records = c.poll(Duration.ofMillis(500));
                if (records.isEmpty()) {
                    quiet.add(quiet.size()); // a few empty polls after the last: nothing more (no duplicate) is on its way
                }
                for (ConsumerRecord<String, byte[]> r : records) {
                    keys.add(r.key());
                    quiet.clear();
                }
            }
        }
        return keys;
    }
}
