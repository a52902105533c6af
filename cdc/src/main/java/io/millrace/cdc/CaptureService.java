package io.millrace.cdc;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.ChangeEvent;
import io.millrace.protocol.Headers;
import io.millrace.protocol.Topic;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.RequestOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code cdc} role: Debezium's embedded engine with the PostgreSQL connector (pgoutput) reads
 * the rows inserted into {@code millrace_requests} (those there before the first start too: the
 * initial snapshot) and publishes each as a request event keyed by its row id.
 *
 * <p>Guarantee: every row becomes a request at least once, and once in effect. A batch of rows is
 * marked processed only after Kafka acknowledged its events; offsets go to {@code millrace.cdc-offsets}
 * (and the slot's confirmed position follows), so a restarted capture anywhere resumes there and
 * replays at most what followed the last offset flush; the router drops the replayed ids, since the
 * row id is the request's idempotency key. A failed send is retried with back-off, and a connector
 * that stops (the database gone) is restarted with back-off, while the service runs.
 */
public final class CaptureService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CaptureService.class);
    /** The engine's name: part of every offset key, so it never changes. */
    static final String ENGINE_NAME = "millrace-cdc";
    /** The connector's topic prefix: names its change events, which never reach a Kafka topic. */
    static final String TOPIC_PREFIX = "millrace";

    private final String bootstrapServers;
    private final CdcConfig config;
    private final Clock clock;
    private final Thread thread;
    private final AtomicReference<DebeziumEngine<ChangeEvent<SourceRecord, SourceRecord>>> engine = new AtomicReference<>();
    private volatile boolean closed;
    /** Counted down at close: back-off waits end at once, without interrupting the Kafka clients. */
    private final java.util.concurrent.CountDownLatch closing = new java.util.concurrent.CountDownLatch(1);
    private volatile KafkaProducer<String, byte[]> producer;

    public CaptureService(String bootstrapServers, CdcConfig config, Clock clock) {
        if (!config.enabled()) {
            throw new IllegalArgumentException("the cdc role needs a database: give --cdc-jdbc-url");
        }
        this.bootstrapServers = bootstrapServers;
        this.config = config;
        this.clock = clock;
        this.thread = new Thread(this::run, "millrace-cdc-capture");
    }

    /** Checks the database (a clear failure when it cannot serve capture) and starts capturing. */
    public void start() {
        DatabaseCheck.forCapture(config.jdbcUrl());
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.CLIENT_ID_CONFIG, "millrace-cdc"),
                new StringSerializer(), new ByteArraySerializer());
        thread.start();
        log.info("cdc captures rows inserted into {} on {} (slot {})", TableContract.REQUESTS,
                JdbcTarget.parse(config.jdbcUrl()), config.slot());
    }

    /** The connector's and engine's settings. */
    Properties engineProperties() {
        JdbcTarget db = JdbcTarget.parse(config.jdbcUrl());
        Properties p = new Properties();
        p.setProperty("name", ENGINE_NAME);
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.KafkaOffsetBackingStore");
        p.setProperty("offset.storage.topic", Topics.CDC_OFFSETS.name());
        p.setProperty("offset.storage.partitions", Integer.toString(Topics.CDC_OFFSETS.partitions()));
        p.setProperty("offset.storage.replication.factor", "-1");
        p.setProperty("offset.flush.interval.ms", Long.toString(config.offsetFlush().toMillis()));
        p.setProperty("bootstrap.servers", bootstrapServers);
        p.setProperty("database.hostname", db.host());
        p.setProperty("database.port", Integer.toString(db.port()));
        p.setProperty("database.user", db.user());
        if (db.password() != null) {
            p.setProperty("database.password", db.password());
        }
        p.setProperty("database.dbname", db.database());
        p.setProperty("topic.prefix", TOPIC_PREFIX);
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", config.slot());
        p.setProperty("publication.name", TableContract.PUBLICATION);
        // db init makes the publication; the connector must not make one of its own with other settings.
        p.setProperty("publication.autocreate.mode", "disabled");
        p.setProperty("table.include.list", "public." + TableContract.REQUESTS);
        p.setProperty("snapshot.mode", "initial");
        // How long the connector sleeps when the stream has nothing: a row waits up to this long. Its
        // default, 500 ms, was most of the capture hop; 10 ms costs an idle loop nothing measurable.
        p.setProperty("poll.interval.ms", "10");
        // Retriable connector errors (the database restarting) are retried without end, with back-off.
        p.setProperty("errors.max.retries", "-1");
        p.setProperty("errors.retry.delay.initial.ms", "300");
        p.setProperty("errors.retry.delay.max.ms", "10000");
        return p;
    }

    private void run() {
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60));
        while (!closed) {
            AtomicReference<Throwable> error = new AtomicReference<>();
            AtomicReference<String> message = new AtomicReference<>();
            long started = clock.millis();
            try {
                DebeziumEngine<ChangeEvent<SourceRecord, SourceRecord>> e = DebeziumEngine.create(Connect.class)
                        .using(engineProperties())
                        .notifying(this::handleBatch)
                        .using((success, msg, t) -> {
                            message.set(msg);
                            error.set(t);
                        })
                        .build();
                engine.set(e);
                if (closed) {
                    break;
                }
                e.run(); // returns when the engine stops, for whatever reason
            } catch (RuntimeException e) {
                error.set(e);
            }
            if (closed) {
                break;
            }
            if (clock.millis() - started > 60_000) {
                backoff.reset(); // it ran a while: a new failure, not the same one again
            }
            Duration wait = backoff.next();
            log.warn("cdc: capture stopped ({}{}); restarting in {} s", message.get(),
                    error.get() == null ? "" : ": " + error.get(), wait.toSeconds());
            try {
                closing.await(wait.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                break;
            }
        }
    }

    /**
     * Publishes a batch of change events, waits until Kafka has them all, then marks them
     * processed: offsets never pass a row whose request is not on the topic.
     */
    private void handleBatch(List<ChangeEvent<SourceRecord, SourceRecord>> records,
            DebeziumEngine.RecordCommitter<ChangeEvent<SourceRecord, SourceRecord>> committer) throws InterruptedException {
        List<RequestOutcome> outcomes = new ArrayList<>(records.size());
        for (ChangeEvent<SourceRecord, SourceRecord> r : records) {
            CapturedRow row = ChangeEvents.insertedRow(r.value());
            if (row != null) {
                outcomes.add(RowRequests.of(row, clock.millis()));
            }
        }
        Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(30));
        while (true) {
            try {
                publish(outcomes);
                break;
            } catch (RuntimeException e) {
                if (closed) {
                    throw new InterruptedException("closing with " + outcomes.size() + " rows unpublished: they are read again at the next start");
                }
                Duration wait = backoff.next();
                log.warn("cdc: publishing {} requests failed ({}); retrying in {} ms", outcomes.size(), e.getMessage(), wait.toMillis());
                closing.await(wait.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        }
        for (ChangeEvent<SourceRecord, SourceRecord> r : records) {
            committer.markProcessed(r);
        }
        committer.markBatchFinished();
    }

    private void publish(List<RequestOutcome> outcomes) {
        List<Future<RecordMetadata>> sent = new ArrayList<>(outcomes.size());
        for (RequestOutcome o : outcomes) {
            if (o instanceof RequestOutcome.Accepted p) {
                sent.add(send(Topics.REQUESTS, p.requestId(), p.request(), Headers.REQUEST_V1, p.request().batchId()));
            } else if (o instanceof RequestOutcome.Rejected r) {
                log.info("cdc: row {} answered at once: {}", r.requestId(), r.error().error().message());
                sent.add(send(Topics.RESULTS, r.requestId(), r.error(), Headers.RESULT_V1, r.error().batchId()));
            }
        }
        producer.flush();
        for (Future<RecordMetadata> f : sent) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
            }
        }
    }

    private <V> Future<RecordMetadata> send(Topic<String, V> topic, String key, V value, String schema, String batchId) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(Headers.SCHEMA, schema.getBytes(StandardCharsets.UTF_8));
        if (batchId != null) {
            headers.add(Headers.BATCH_ID, batchId.getBytes(StandardCharsets.UTF_8));
        }
        byte[] bytes = topic.valueSerde().serializer().serialize(topic.name(), value);
        return producer.send(new ProducerRecord<>(topic.name(), null, key, bytes, headers));
    }

    @Override
    public void close() {
        closed = true;
        closing.countDown();
        DebeziumEngine<ChangeEvent<SourceRecord, SourceRecord>> e = engine.get();
        if (e != null) {
            try {
                e.close();
            } catch (Exception ex) {
                log.warn("cdc: closing the engine: {}", ex.toString());
            }
        }
        try {
            thread.join(30_000);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }

    /** Engine settings as a map, for tests and messages. */
    Map<String, String> settings() {
        Map<String, String> m = new HashMap<>();
        engineProperties().forEach((k, v) -> m.put(k.toString(), v.toString()));
        return m;
    }
}
