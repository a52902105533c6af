package io.millrace.worker;

import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Headers;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One consume → generate → produce loop over the generation topics of the models it serves.
 *
 * <p>Guarantee: at-least-once generation, exactly-once results. The results of a poll are sent in
 * one transaction together with the offsets of the requests they answer, opened only once every
 * result is ready (the transaction timer starts at the first send). If the process dies before the
 * commit, the transaction is aborted and the requests are consumed again by whoever owns the
 * partition next: the work repeats, but readers with {@code read_committed} see each result once.
 */
public final class GenerationWorker implements Runnable, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GenerationWorker.class);

    private final Consumer<String, byte[]> consumer;
    private final Producer<String, byte[]> producer;
    private final CompletionHandler handler;
    private final List<String> topics;
    private final Clock clock;
    private final AtomicBoolean running = new AtomicBoolean(true);

    public GenerationWorker(Consumer<String, byte[]> consumer, Producer<String, byte[]> producer,
            CompletionHandler handler, List<String> topics, Clock clock) {
        this.consumer = consumer;
        this.producer = producer;
        this.handler = handler;
        this.topics = List.copyOf(topics);
        this.clock = clock;
    }

    @Override
    public void run() {
        try {
            producer.initTransactions();
            consumer.subscribe(topics);
            while (running.get()) {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(200));
                if (!records.isEmpty()) {
                    processBatch(records);
                }
            }
        } catch (WakeupException e) {
            if (running.get()) {
                throw e;
            }
        } catch (RuntimeException e) {
            log.error("generation worker stopped: {}", e.toString(), e);
            throw e;
        } finally {
            closeClients();
        }
    }

    private void processBatch(ConsumerRecords<String, byte[]> records) {
        List<ResultEvent> results = new ArrayList<>(records.count());
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            results.add(answer(record));
            offsets.put(new TopicPartition(record.topic(), record.partition()), new OffsetAndMetadata(record.offset() + 1));
        }
        try {
            producer.beginTransaction();
            for (ResultEvent r : results) {
                producer.send(resultRecord(r));
            }
            producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
            producer.commitTransaction();
        } catch (KafkaException e) {
            switch (WorkerErrors.classify(e)) {
                case FATAL -> throw e;
                case RETRIABLE -> {
                    // Nothing of this poll is visible: abort and re-read from the last committed offsets.
                    log.warn("transaction failed, aborting and consuming the same requests again: {}", e.toString());
                    producer.abortTransaction();
                    rewind(offsets.keySet());
                }
            }
        }
    }

    private ResultEvent answer(ConsumerRecord<String, byte[]> record) {
        RequestEvent request;
        try {
            request = Topics.REQUEST_SERDE.deserializer().deserialize(record.topic(), record.value());
        } catch (RuntimeException e) {
            // Only the router writes here, but any client could: answer under the key, never block the partition.
            RequestEvent stub = new RequestEvent(record.key(), null, null, null, null, null, null, null, clock.millis());
            return ResultEvent.failure(stub, 400, ErrorInfo.of(ErrorCodes.INVALID_JSON,
                    "the record on " + record.topic() + " is not a request event: " + e.getMessage()), clock.millis());
        }
        return handler.handle(request);
    }

    private void rewind(Iterable<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            if (!consumer.assignment().contains(tp)) {
                continue; // revoked meanwhile: its new owner starts from the committed offset anyway
            }
            OffsetAndMetadata committed = consumer.committed(java.util.Set.of(tp)).get(tp);
            if (committed != null) {
                consumer.seek(tp, committed.offset());
            } else {
                consumer.seekToBeginning(List.of(tp));
            }
        }
    }

    private static ProducerRecord<String, byte[]> resultRecord(ResultEvent r) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(Headers.SCHEMA, Headers.RESULT_V1.getBytes(StandardCharsets.UTF_8));
        if (r.batchId() != null) {
            headers.add(Headers.BATCH_ID, r.batchId().getBytes(StandardCharsets.UTF_8));
        }
        byte[] value = Topics.RESULT_SERDE.serializer().serialize(Topics.RESULTS.name(), r);
        return new ProducerRecord<>(Topics.RESULTS.name(), null, r.requestId(), value, headers);
    }

    /** Stops the loop after the current batch; the results of that batch are still committed. */
    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
    }

    private void closeClients() {
        try {
            consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
        } finally {
            producer.close(Duration.ofSeconds(5));
        }
    }
}
