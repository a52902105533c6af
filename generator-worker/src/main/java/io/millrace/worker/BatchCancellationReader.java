package io.millrace.worker;

import io.millrace.protocol.Topics;
import io.millrace.protocol.events.BatchEvent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows {@code millrace.batches} into a {@link CancelledBatches}: every partition, from the
 * beginning, with a consumer of no group (each worker needs every cancellation, and nothing here
 * is committed). Runs on its own thread so that the poll loop never waits for it; a cancellation
 * that arrives late still cancels the requests in flight, so it only costs generation.
 */
final class BatchCancellationReader implements Runnable, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BatchCancellationReader.class);

    private final Consumer<String, byte[]> consumer;
    private final CancelledBatches into;
    private final CancelledRequests requests;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final CountDownLatch caughtUp = new CountDownLatch(1);

    /** @param consumer a consumer with no group id, {@code read_committed} */
    BatchCancellationReader(Consumer<String, byte[]> consumer, CancelledBatches into) {
        this(consumer, into, null);
    }

    /** @param requests where cancels of lone requests ({@code millrace.cancels}) go; null: not read */
    BatchCancellationReader(Consumer<String, byte[]> consumer, CancelledBatches into, CancelledRequests requests) {
        this.consumer = consumer;
        this.into = into;
        this.requests = requests;
    }

    @Override
    public void run() {
        try {
            List<TopicPartition> partitions = new java.util.ArrayList<>(consumer.partitionsFor(Topics.BATCHES.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList());
            if (requests != null) {
                consumer.partitionsFor(Topics.CANCELS.name()).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            }
            if (partitions.isEmpty()) {
                log.warn("topic {} does not exist: batch cancellations will not reach this worker", Topics.BATCHES.name());
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (running.get()) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    apply(r);
                }
                if (caughtUp.getCount() > 0 && partitions.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp))) {
                    caughtUp.countDown();
                }
            }
        } catch (WakeupException e) {
            if (running.get()) {
                throw e;
            }
        } catch (RuntimeException e) {
            log.error("batch cancellation reader stopped, cancellations will not reach this worker: {}", e.toString(), e);
            throw e;
        } finally {
            caughtUp.countDown();
            consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
        }
    }

    private void apply(ConsumerRecord<String, byte[]> r) {
        if (Topics.CANCELS.name().equals(r.topic())) {
            if (requests != null) {
                requests.cancel(r.key()); // the key is the request id; the value says only when
            }
            return;
        }
        if (r.value() == null) {
            into.apply(r.key(), null);
            return;
        }
        BatchEvent event;
        try {
            event = Topics.BATCH_SERDE.deserializer().deserialize(r.topic(), r.value());
        } catch (RuntimeException e) {
            // Any client can write there; a bad record neither stops the reader nor changes a batch's state.
            log.warn("skipping a record of {} that is not a batch event (key {}): {}", r.topic(), r.key(), e.toString());
            return;
        }
        into.apply(r.key(), event);
    }

    /** Waits until every cancellation published before the start is known; false on timeout. */
    boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
    }
}
