package io.millrace.cdc;

import io.millrace.protocol.Topics;
import io.millrace.protocol.events.ResultEvent;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code db-sink} role: reads {@code millrace.results} ({@code read_committed}, so nothing from
 * an aborted or open transaction) and writes each result back as a row of {@code millrace_results}.
 *
 * <p>Guarantee: one row per request id, whatever is replayed. Offsets are committed only after the
 * rows are committed in PostgreSQL, so a crash between the two replays results, and the upsert
 * writes the same row again. A database that fails is retried with back-off on the same results.
 */
public final class DbSinkService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DbSinkService.class);
    public static final String GROUP = "millrace-db-sink";

    private final String bootstrapServers;
    private final CdcConfig config;
    private final ResultWriter writer;
    private final Map<String, Object> overrides;
    private final Thread thread;
    private volatile boolean closed;
    /** Counted down at close: back-off waits end at once, without interrupting the Kafka clients. */
    private final java.util.concurrent.CountDownLatch closing = new java.util.concurrent.CountDownLatch(1);
    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile Throwable failure;

    /** @param overrides consumer settings over the defaults (tests) */
    public DbSinkService(String bootstrapServers, CdcConfig config, Map<String, Object> overrides) {
        if (!config.enabled()) {
            throw new IllegalArgumentException("the db-sink role needs a database: give --cdc-jdbc-url");
        }
        this.bootstrapServers = bootstrapServers;
        this.config = config;
        this.writer = new ResultWriter(config.writeBack());
        this.overrides = Map.copyOf(overrides);
        this.thread = new Thread(this::run, "millrace-db-sink");
    }

    /** Checks the database (a clear failure when it cannot serve) and starts writing back. */
    public void start() {
        DatabaseCheck.forSink(config.jdbcUrl());
        Map<String, Object> props = new HashMap<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, GROUP,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                // Results already on the topic when the sink first starts are written too.
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.sinkBatch(),
                // A killed sink's partitions go to its successor within seconds, not the default 45.
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000,
                ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 3_000));
        props.putAll(overrides);
        consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(Topics.RESULTS.name()));
        thread.start();
        log.info("db-sink writes results back to {} ({} results)", JdbcTarget.parse(config.jdbcUrl()),
                config.writeBack() == CdcConfig.WriteBack.TABLE ? "only millrace_requests'" : "every entry point's");
    }

    /** Why the sink stopped on its own, if it did (a bug: database failures are retried). */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    private void run() {
        Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(30));
        Connection connection = null;
        try {
            while (!closed) {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(500));
                if (records.isEmpty()) {
                    continue;
                }
                List<ResultRow> rows = rows(records);
                while (!closed) {
                    try {
                        if (connection == null || connection.isClosed()) {
                            connection = DatabaseCheck.connect(config.jdbcUrl());
                        }
                        writer.write(connection, rows);
                        backoff.reset();
                        break;
                    } catch (SQLException | DatabaseNotReady e) {
                        Duration wait = backoff.next();
                        log.warn("db-sink: writing {} results back failed ({}); retrying in {} ms", rows.size(), e.getMessage(),
                                wait.toMillis());
                        connection = closeQuietly(connection);
                        closing.await(wait.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                    }
                }
                if (closed) {
                    break; // not committed: written again after a restart, as the same rows
                }
                try {
                    consumer.commitSync();
                } catch (CommitFailedException | RebalanceInProgressException e) {
                    // The partitions moved while writing: their new owner writes the same rows again.
                    log.info("db-sink: offsets not committed ({}); the results are written again, as the same rows", e.toString());
                }
            }
        } catch (WakeupException | InterruptedException | org.apache.kafka.common.errors.InterruptException e) {
            // closing
        } catch (RuntimeException e) {
            failure = e;
            log.error("db-sink stopped", e);
        } finally {
            closeQuietly(connection);
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private List<ResultRow> rows(ConsumerRecords<String, byte[]> records) {
        List<ResultRow> rows = new ArrayList<>(records.count());
        for (ConsumerRecord<String, byte[]> r : records) {
            if (r.value() == null) {
                continue; // a tombstone: nothing to write
            }
            ResultEvent result;
            try {
                result = Topics.RESULT_SERDE.deserializer().deserialize(r.topic(), r.value());
            } catch (RuntimeException e) {
                log.warn("db-sink: skipping a value on {} partition {} offset {} that is not a result event: {}", r.topic(),
                        r.partition(), r.offset(), e.getMessage());
                continue;
            }
            ResultRow row = result == null ? null : ResultRow.of(result, config.writeBack());
            if (row != null) {
                rows.add(row);
            }
        }
        return rows;
    }

    private static Connection closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // already broken
            }
        }
        return null;
    }

    @Override
    public void close() {
        closed = true;
        closing.countDown();
        KafkaConsumer<String, byte[]> c = consumer;
        if (c == null) {
            return;
        }
        c.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
