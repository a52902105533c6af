package io.millrace.ingest;

import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.FileEvent;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest role's service: runs the batches created over HTTP. It follows {@code millrace.batches}
 * and, for each batch of a stored file that is still validating, reads the file from Kafka
 * ({@link StoredFiles}), publishes its lines as {@link BatchIngestor} does (requests, and an error
 * result per bad line, all stamped with the batch's tenant), then publishes the batch again, in
 * progress, with {@code total} = its line count. A file that is gone fails the batch.
 *
 * <p>Guarantees:
 * <ul>
 *   <li><b>Once per batch across instances.</b> One consumer group ({@link #GROUP_ID}): each
 *       partition of {@code millrace.batches}, so each batch, is read by one instance at a time.</li>
 *   <li><b>At least once, harmless when repeated.</b> The offset of a batch event is committed
 *       only after its requests and its in-progress event are acknowledged. A crash or rebalance
 *       before that ingests the batch again: request ids are {@code <batch_id>:<custom_id>} (or by
 *       line), so the router drops requests it has seen and results are compacted by id.</li>
 *   <li><b>No lost cancel.</b> Before publishing the batch in progress (or failed) it reads what
 *       was published about the batch since, and keeps a cancel that arrived meanwhile.</li>
 *   <li><b>Its own events pass through.</b> The in-progress, failed and cancelled events it reads
 *       back are not validating, so nothing is ingested twice because of them.</li>
 * </ul>
 *
 * <p>A batch whose metadata gives {@code budget_usd} is planned first ({@link BudgetRouting}: a
 * first read of the file) and each request is published with its planned route; a budget that
 * cannot be planned fails the batch before any line is published.
 *
 * <p>Error table: a batch event that does not parse is skipped (logged; nothing can answer it);
 * a file that is gone, or a budget that cannot be planned, fails that batch; anything else (broker unavailable, a send that failed)
 * is retried from the same batch event after {@link #RETRY_DELAY}, never skipped.
 */
public final class FileBatchIngestor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FileBatchIngestor.class);
    public static final String GROUP_ID = "millrace-ingest";
    static final Duration RETRY_DELAY = Duration.ofSeconds(1);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration TAIL_TIMEOUT = Duration.ofSeconds(10);

    private final KafkaConsumer<String, byte[]> consumer;
    /** Reads what was published about a batch after the event being ingested (no group, nothing committed). */
    private final KafkaConsumer<String, byte[]> tail;
    private final KafkaProducer<String, byte[]> producer;
    private final StoredFiles files;
    private final BatchIngestor ingestor;
    private final BudgetRouting budgetRouting;
    private final Clock clock;
    private final Thread thread;
    private volatile boolean running = true;
    private boolean started;

    public FileBatchIngestor(String bootstrapServers, ChatRequestValidator validator, Clock clock) {
        this(bootstrapServers, validator, clock, List.of());
    }

    /** @param offers the models budget routing may choose (price and quality); empty: a batch with a budget fails */
    public FileBatchIngestor(String bootstrapServers, ChatRequestValidator validator, Clock clock, List<ModelOffer> offers) {
        this.clock = clock;
        this.budgetRouting = new BudgetRouting(offers, validator, clock);
        consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, GROUP_ID,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                // Batches created before the group first ran are still to be ingested.
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                // One batch may take minutes to read (200 MB): few records a poll, and room between polls.
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 8,
                ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) Duration.ofMinutes(15).toMillis(),
                ConsumerConfig.CLIENT_ID_CONFIG, "millrace-ingest-batches"),
                new StringDeserializer(), new ByteArrayDeserializer());
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 10,
                ProducerConfig.CLIENT_ID_CONFIG, "millrace-ingest-requests"), new StringSerializer(), new ByteArraySerializer());
        tail = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.CLIENT_ID_CONFIG, "millrace-ingest-batch-tail"),
                new StringDeserializer(), new ByteArrayDeserializer());
        files = new StoredFiles(bootstrapServers);
        ingestor = new BatchIngestor(producer, validator, clock);
        thread = new Thread(this::run, "millrace-ingest");
        thread.setDaemon(true);
    }

    public synchronized void start() {
        started = true;
        consumer.subscribe(List.of(Topics.BATCHES.name()));
        thread.start();
    }

    /** False once it stopped on an error nobody can retry. */
    public boolean running() {
        return running;
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                    if (!handle(r)) {
                        break; // sought back: the rest of this poll comes again
                    }
                }
            }
        } catch (WakeupException e) {
            // close()
        } catch (RuntimeException e) {
            log.error("the ingest of batches stopped; restart the process to resume it", e);
        } finally {
            running = false;
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** @return false when the record must be read again (retry), true when it is done */
    private boolean handle(ConsumerRecord<String, byte[]> r) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        try {
            BatchEvent batch = parse(r);
            if (batch != null && batch.validating() && !batch.cancelled()) {
                ingest(batch, tp, r.offset());
            }
        } catch (WakeupException e) {
            throw e;
        } catch (RuntimeException | IOException e) {
            log.warn("ingesting batch {} failed ({}); retrying in {} ms", r.key(), e.toString(), RETRY_DELAY.toMillis());
            consumer.seek(tp, r.offset());
            sleep();
            return false;
        }
        try {
            consumer.commitSync(Map.of(tp, new OffsetAndMetadata(r.offset() + 1)));
        } catch (CommitFailedException e) {
            // The partition moved to another instance, which reads this event again: harmless.
            log.info("batch {} may be ingested again by the instance that now owns {}: {}", r.key(), tp, e.getMessage());
        }
        return true;
    }

    private static BatchEvent parse(ConsumerRecord<String, byte[]> r) {
        if (r.value() == null) {
            return null;
        }
        try {
            return Topics.BATCH_SERDE.deserializer().deserialize(r.topic(), r.value());
        } catch (RuntimeException e) {
            log.warn("skipping a batch event at {}-{}@{} that does not parse: {}", r.topic(), r.partition(), r.offset(),
                    String.valueOf(e.getMessage()));
            return null;
        }
    }

    private void ingest(BatchEvent batch, TopicPartition tp, long offset) throws IOException {
        Optional<FileEvent> file = files.find(batch.inputFileId())
                // Checked when the batch was created; checked again, as a file id is no secret.
                .filter(f -> Objects.equals(f.tenant(), batch.tenant()));
        if (file.isEmpty()) {
            fail(batch, tp, offset, "The input file " + batch.inputFileId() + " no longer exists: upload it again and create a new batch.");
            return;
        }
        BatchIngestor.Lines lines = consumer -> {
            try (InputStream in = files.open(file.get())) {
                BatchFile.forEachLine(in, consumer);
            }
        };
        BatchIngestor.Submitted s;
        try {
            // A budget is planned over every line before any is published: a first read of the file.
            String budget = batch.metadata() == null ? null : batch.metadata().get(BudgetRouting.METADATA_KEY);
            BudgetRouting.Routes routes = null;
            if (budget != null) {
                BudgetRouting.Result planned = budgetRouting.plan(lines, batch.batchId(), batch.endpoint(), budget);
                if (planned instanceof BudgetRouting.Refused refused) {
                    fail(batch, tp, offset, refused.error());
                    return;
                }
                routes = ((BudgetRouting.Planned) planned).routes();
                log.info("batch {}: budget {}", batch.batchId(), routes.summary());
            }
            s = ingestor.publishLines(lines, batch.batchId(), batch.endpoint(), batch.tenant(), Set.of(), routes);
        } catch (StoredFiles.FileGone e) {
            // Lines read before the chunk went missing may be published: their results stay, unannounced.
            fail(batch, tp, offset, "The input file " + batch.inputFileId() + " was deleted while the batch read it (" + e.getMessage()
                    + "): upload it again and create a new batch.");
            return;
        }
        ingestor.publishBatch(batch.inProgress(s.total(), clock.millis()).mergedAfter(latest(batch, tp, offset)));
        log.info("batch {}: {} lines of {} published ({} requests, {} rejected)", batch.batchId(), s.total(),
                batch.inputFileId(), s.accepted(), s.rejected());
    }

    private void fail(BatchEvent batch, TopicPartition tp, long offset, String message) {
        fail(batch, tp, offset, new ErrorInfo("file_not_found", message, "input_file_id", null));
    }

    private void fail(BatchEvent batch, TopicPartition tp, long offset, ErrorInfo error) {
        log.warn("batch {} failed: {}", batch.batchId(), error.message());
        ingestor.publishBatch(batch.fail(error, clock.millis()).mergedAfter(latest(batch, tp, offset)));
    }

    /**
     * The batch as last published, merging what came after the event being ingested: a cancel that
     * arrived while the file was read would otherwise be overwritten by the in-progress event (the
     * topic keeps the latest event per batch). Readers merge too, so the window left between this
     * read and the send costs nothing but the cancel in a compacted-away event.
     */
    private BatchEvent latest(BatchEvent batch, TopicPartition tp, long offset) {
        tail.assign(List.of(tp));
        long end = tail.endOffsets(List.of(tp)).get(tp);
        tail.seek(tp, offset + 1);
        BatchEvent merged = batch;
        long deadline = System.nanoTime() + TAIL_TIMEOUT.toNanos();
        while (tail.position(tp) < end) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("cannot read " + tp + " up to " + end + " in " + TAIL_TIMEOUT.toSeconds() + " s");
            }
            for (ConsumerRecord<String, byte[]> r : tail.poll(POLL)) {
                if (batch.batchId().equals(r.key())) {
                    BatchEvent later = parse(r);
                    if (later != null) {
                        merged = later.mergedAfter(merged);
                    }
                }
            }
        }
        return merged;
    }

    private void sleep() {
        try {
            Thread.sleep(RETRY_DELAY.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    @Override
    public synchronized void close() {
        running = false;
        consumer.wakeup();
        if (started) { // the thread closes the consumer as it ends
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else {
            consumer.close(Duration.ofSeconds(5));
        }
        tail.close(Duration.ofSeconds(5));
        files.close();
        producer.close(Duration.ofSeconds(5));
    }
}
