package io.millrace.infra;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.cdc.CaptureService;
import io.millrace.cdc.CapturedRow;
import io.millrace.cdc.CdcConfig;
import io.millrace.cdc.DbInit;
import io.millrace.cdc.DbSinkService;
import io.millrace.cdc.RowRequests;
import io.millrace.cdc.ThrowawayPostgres;
import io.millrace.protocol.Json;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.RequestOutcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Database in, database out, measured (docs/BENCHMARKS.md; run by benchmarks/cdc.sh) on a PostgreSQL
 * cluster of its own and the in-process broker, with router and worker (the built-in tiny model,
 * one token per answer, so generation weighs little) and a db-sink per database:
 *
 * <ol>
 *   <li><b>Throughput</b>, rows/s from INSERT to result row: N rows inserted into a database that
 *       capture reads, timed from the first INSERT to the N-th row of millrace_results. Baseline in
 *       the same run: the same N requests written straight to millrace.requests by a Kafka producer
 *       (their rows inserted beforehand, untimed, into a second database that no capture reads, so its
 *       sink writes them back), timed from the first send to the N-th result row. Two rounds of each,
 *       alternating; the rates are over both.
 *   <li><b>Latency of the capture hop</b>, one row at a time on an idle pipeline: from the INSERT's
 *       commit to its request on millrace.requests (read_committed), against a Kafka send of the
 *       same event to the same topic; and end to end, to the result row, against the same send.
 * </ol>
 *
 * <p>usage: CdcBenchmark WORK_DIR [--rows 2000] [--samples 50] [--out FILE.json]
 */
public final class CdcBenchmark {
    private static final int ROUNDS = 2;
    private static final String CHAT = "{\"model\": \"millrace-tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"row %d\"}],"
            + " \"max_tokens\": 1, \"temperature\": 0}";

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]).toAbsolutePath();
        int rows = 2000;
        int samples = 50;
        Path out = null;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--rows" -> rows = Integer.parseInt(args[++i]);
                case "--samples" -> samples = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (see benchmarks/cdc.sh --help)");
            }
        }
        try (ThrowawayPostgres pg = ThrowawayPostgres.start(work.resolve("pg"));
                EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(work.resolve("broker"), 0)) {
            String bootstrap = broker.bootstrapServers();
            String base = pg.createDatabase("bench_base");
            String cdc = pg.createDatabase("bench_cdc");
            DbInit.run(base);
            DbInit.run(cdc);
            Settings settings = new Settings(bootstrap, work.resolve("data"), 0, 0, List.of(), "cdc-bench", -1, Map.of());
            try (Deployment d = Deployment.start(settings, EnumSet.of(Role.ROUTER, Role.WORKER));
                    DbSinkService baseSink = sink(bootstrap, base, "bench-base-sink");
                    DbSinkService cdcSink = sink(bootstrap, cdc, "bench-cdc-sink");
                    CaptureService capture = new CaptureService(bootstrap, CdcConfig.from(Map.of(CdcConfig.JDBC_URL, cdc,
                            CdcConfig.SLOT, "bench")), Clock.systemUTC());
                    KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                            bootstrap, ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 5),
                            new StringSerializer(), new ByteArraySerializer())) {
                d.awaitRunning(Duration.ofSeconds(120));
                baseSink.start();
                cdcSink.start();
                capture.start();
                awaitSlotActive(pg);
                // Warm-up, untimed: the JIT, the router's and worker's first batches, both sinks' first writes.
                direct(producer, base, rows(base, 0, 100));
                awaitRows(base, 100);
                insert(cdc, 0, 100);
                awaitRows(cdc, 100);

                // Two rounds, alternating, so neither side has the machine's quiet (or busy) minute to itself.
                double directSeconds = 0;
                double cdcSeconds = 0;
                int done = 100;
                for (int round = 0; round < ROUNDS; round++) {
                    List<UUID> ids = rows(base, done, rows);
                    long t0 = System.nanoTime();
                    direct(producer, base, ids);
                    awaitRows(base, done + rows);
                    double d1 = (System.nanoTime() - t0) / 1e9;

                    List<UUID> cdcIds = new ArrayList<>();
                    for (int i = 0; i < rows; i++) {
                        cdcIds.add(UUID.randomUUID());
                    }
                    double inserted;
                    double captured;
                    try (KafkaConsumer<String, byte[]> requests = requestsReader(bootstrap)) {
                        t0 = System.nanoTime();
                        insert(cdc, done, cdcIds);
                        inserted = (System.nanoTime() - t0) / 1e9;
                        awaitKeys(requests, cdcIds);
                        captured = (System.nanoTime() - t0) / 1e9;
                    }
                    awaitRows(cdc, done + rows);
                    double d2 = (System.nanoTime() - t0) / 1e9;
                    System.out.printf("round %d: cdc %.0f rows/s, baseline %.0f rows/s; of the cdc side's %.1f s, INSERTs took %.1f,"
                            + " the last request was on millrace.requests at %.1f%n", round + 1, rows / d2, rows / d1, d2, inserted,
                            captured);
                    directSeconds += d1;
                    cdcSeconds += d2;
                    done += rows;
                }
                int timed = rows * ROUNDS;

                List<Long> hopDirect = new ArrayList<>();
                List<Long> hopCdc = new ArrayList<>();
                List<Long> e2eDirect = new ArrayList<>();
                List<Long> e2eCdc = new ArrayList<>();
                try (KafkaConsumer<String, byte[]> requests = requestsReader(bootstrap)) {
                    for (int i = 0; i < samples; i++) {
                        UUID id = rows(base, done + i, 1).get(0);
                        long s = System.nanoTime();
                        direct(producer, base, List.of(id));
                        hopDirect.add(awaitKey(requests, id.toString()) - s);
                        awaitResult(base, id);
                        e2eDirect.add(System.nanoTime() - s);

                        UUID row = UUID.randomUUID();
                        s = System.nanoTime();
                        insertOne(cdc, row, done + i);
                        hopCdc.add(awaitKey(requests, row.toString()) - s);
                        awaitResult(cdc, row);
                        e2eCdc.add(System.nanoTime() - s);
                    }
                }
                report(out, timed, samples, directSeconds, cdcSeconds, hopDirect, hopCdc, e2eDirect, e2eCdc);
            } finally {
                pg.dropReplicationSlots();
            }
        }
    }

    private static void report(Path out, int rows, int samples, double directSeconds, double cdcSeconds, List<Long> hopDirect,
            List<Long> hopCdc, List<Long> e2eDirect, List<Long> e2eCdc) throws Exception {
        double directRate = rows / directSeconds;
        double cdcRate = rows / cdcSeconds;
        System.out.printf("throughput, %d rows, INSERT -> result row: cdc %.0f rows/s, baseline (Kafka send -> result row) %.0f rows/s;"
                + " ratio cdc / baseline %.2f%n", rows, cdcRate, directRate, cdcRate / directRate);
        System.out.printf("capture hop, %d rows one at a time (ms p50 / p95): INSERT -> millrace.requests %.1f / %.1f;"
                + " Kafka send -> millrace.requests %.1f / %.1f; added by capture %.1f ms at p50%n", samples,
                ms(hopCdc, 50), ms(hopCdc, 95), ms(hopDirect, 50), ms(hopDirect, 95), ms(hopCdc, 50) - ms(hopDirect, 50));
        System.out.printf("end to end (ms p50 / p95): INSERT -> result row %.1f / %.1f; Kafka send -> result row %.1f / %.1f;"
                + " ratio p50 %.2f%n", ms(e2eCdc, 50), ms(e2eCdc, 95), ms(e2eDirect, 50), ms(e2eDirect, 95),
                ms(e2eCdc, 50) / ms(e2eDirect, 50));
        if (out != null) {
            ObjectNode json = Json.object();
            json.put("date", Instant.now().toString());
            json.put("cpus", Runtime.getRuntime().availableProcessors());
            json.put("rows", rows);
            json.put("cdc_rows_per_s", cdcRate);
            json.put("baseline_rows_per_s", directRate);
            json.put("throughput_ratio", cdcRate / directRate);
            json.put("capture_hop_p50_ms", ms(hopCdc, 50));
            json.put("capture_hop_p95_ms", ms(hopCdc, 95));
            json.put("kafka_send_hop_p50_ms", ms(hopDirect, 50));
            json.put("kafka_send_hop_p95_ms", ms(hopDirect, 95));
            json.put("end_to_end_cdc_p50_ms", ms(e2eCdc, 50));
            json.put("end_to_end_baseline_p50_ms", ms(e2eDirect, 50));
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json));
            System.out.println("written to " + out);
        }
    }

    private static double ms(List<Long> nanos, int percentile) {
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        int i = Math.min(sorted.size() - 1, (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1);
        return sorted.get(Math.max(0, i)) / 1e6;
    }

    private static DbSinkService sink(String bootstrap, String url, String group) {
        return new DbSinkService(bootstrap, CdcConfig.from(Map.of(CdcConfig.JDBC_URL, url)),
                Map.of(ConsumerConfig.GROUP_ID_CONFIG, group));
    }

    /** Sends the requests capture would make of these rows, as a producer of the topic contract would. */
    private static void direct(KafkaProducer<String, byte[]> producer, String url, List<UUID> ids) throws Exception {
        long now = System.currentTimeMillis();
        int i = 0;
        for (UUID id : ids) {
            RequestOutcome o = RowRequests.of(new CapturedRow(id.toString(), null, null, "d-" + i, "/v1/chat/completions",
                    CHAT.formatted(i++), now), now);
            var request = ((RequestOutcome.Accepted) o).request();
            producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), id.toString(),
                    Topics.REQUEST_SERDE.serializer().serialize(Topics.REQUESTS.name(), request)));
        }
        producer.flush();
    }

    /** Inserts rows into the baseline database, untimed, so that its sink writes their results back. */
    private static List<UUID> rows(String url, int from, int n) throws SQLException {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(UUID.randomUUID());
        }
        insert(url, from, ids);
        return ids;
    }

    private static void insert(String url, int from, int n) throws SQLException {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(UUID.randomUUID());
        }
        insert(url, from, ids);
    }

    /** As a client would: batched INSERTs, committed every 500 rows. */
    private static void insert(String url, int from, List<UUID> ids) throws SQLException {
        try (Connection c = DriverManager.getConnection(url);
                PreparedStatement p = c.prepareStatement("INSERT INTO millrace_requests (id, custom_id, body) VALUES (?, ?, ?::jsonb)")) {
            c.setAutoCommit(false);
            int i = from;
            for (UUID id : ids) {
                p.setObject(1, id);
                p.setString(2, "row-" + i);
                p.setString(3, CHAT.formatted(i++));
                p.addBatch();
                if ((i - from) % 500 == 0) {
                    p.executeBatch();
                    c.commit();
                }
            }
            p.executeBatch();
            c.commit();
        }
    }

    private static void insertOne(String url, UUID id, int n) throws SQLException {
        try (Connection c = DriverManager.getConnection(url);
                PreparedStatement p = c.prepareStatement("INSERT INTO millrace_requests (id, body) VALUES (?, ?::jsonb)")) {
            p.setObject(1, id);
            p.setString(2, CHAT.formatted(n));
            p.executeUpdate();
        }
    }

    private static KafkaConsumer<String, byte[]> requestsReader(String bootstrap) {
        KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest",
                ConsumerConfig.GROUP_ID_CONFIG, "cdc-bench-" + UUID.randomUUID(), ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5),
                new StringDeserializer(), new ByteArrayDeserializer());
        c.subscribe(List.of(Topics.REQUESTS.name()));
        while (c.assignment().isEmpty()) {
            c.poll(Duration.ofMillis(100));
        }
        c.seekToEnd(c.assignment());
        c.assignment().forEach(c::position);
        return c;
    }

    /** When the request keyed {@code key} is read, System.nanoTime(). */
    private static long awaitKey(KafkaConsumer<String, byte[]> c, String key) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(5))) {
                if (key.equals(r.key())) {
                    return System.nanoTime();
                }
            }
        }
        throw new IllegalStateException("request " + key + " did not reach " + Topics.REQUESTS.name() + " within 60 s");
    }

    /** Until every one of these keys has been read from millrace.requests. */
    private static void awaitKeys(KafkaConsumer<String, byte[]> c, List<UUID> ids) {
        java.util.Set<String> waiting = new java.util.HashSet<>();
        ids.forEach(id -> waiting.add(id.toString()));
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (!waiting.isEmpty() && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(5))) {
                waiting.remove(r.key());
            }
        }
        if (!waiting.isEmpty()) {
            throw new IllegalStateException(waiting.size() + " requests did not reach " + Topics.REQUESTS.name() + " within 10 minutes");
        }
    }

    private static void awaitResult(String url, UUID id) throws Exception {
        try (Connection c = DriverManager.getConnection(url);
                PreparedStatement p = c.prepareStatement("SELECT 1 FROM millrace_results WHERE request_id = ?")) {
            p.setObject(1, id);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                try (ResultSet r = p.executeQuery()) {
                    if (r.next()) {
                        return;
                    }
                }
                Thread.sleep(2);
            }
        }
        throw new IllegalStateException("no result row for " + id + " within 60 s");
    }

    private static void awaitRows(String url, long n) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        try (Connection c = DriverManager.getConnection(url);
                PreparedStatement p = c.prepareStatement("SELECT count(*) FROM millrace_results")) {
            while (System.nanoTime() < deadline) {
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    if (r.getLong(1) >= n) {
                        return;
                    }
                }
                Thread.sleep(20);
            }
        }
        throw new IllegalStateException("millrace_results did not reach " + n + " rows within 10 minutes");
    }

    private static void awaitSlotActive(ThrowawayPostgres pg) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            if ("t".equals(pg.query("postgres", "SELECT active FROM pg_replication_slots WHERE slot_name = 'bench'"))) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("capture did not start streaming within 120 s");
    }
}
