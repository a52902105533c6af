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
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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
 * The consume → generate → produce loop over the generation topics of the models a worker serves.
 *
 * <p>Guarantee: at-least-once generation, exactly-once results. One thread polls and never waits
 * for generation: each request is handed to its model's engine at once (many in flight, for the
 * engine to batch), and the consumer pauses its partitions while the engine is full
 * ({@link PausePolicy}), so polls go on and {@code max.poll.interval.ms} is never exceeded however
 * long a generation takes. Ready results are published in a transaction together with the
 * offsets of the requests they answer, opened only once the results exist (the transaction timer
 * starts at the first send), per partition only up to the first request still generating
 * ({@link InFlight}), and batched in time ({@link CommitPolicy}). If the process dies before a
 * commit, the transaction is aborted and the partition's next owner consumes the requests again:
 * the work repeats, but {@code read_committed} readers see each result once.
 *
 * <p>Every consumed request gets exactly one result, whatever happens to it: an error result for a
 * request that cannot run or that the engine fails, {@code batch_cancelled} for a request of a
 * cancelled batch (not generated, or its generation stopped). A revoked partition's ready results
 * are committed, the rest forgotten and left to the next owner; a failed transaction forgets its
 * partitions' requests and consumes them again from the committed offsets ({@link WorkerErrors}).
 *
 * <p>Priority lanes: the worker consumes each model's interactive lane
 * ({@code millrace.gen.<model>.interactive}) beside its generation topic. Batch work never takes
 * the in-flight capacity kept for interactive requests ({@link PausePolicy}), polled interactive
 * records are handed to the engine before batch ones ({@link #interactiveFirst}), the engine admits
 * them first at every step ({@code Lane}), and their results are committed at once
 * ({@link CommitPolicy}). Their offsets and results share the transactions of the batch topics':
 * the commit boundary is per partition, so a lane's partitions never wait behind a batch line.
 *
 * <p>Retries ({@link RetrySchedule}): a request whose generation fails for a retriable reason is
 * not answered but written to its model's next retry topic, with the time it is due, in the same
 * transaction as the offset that consumed it; after the last tier it goes to the model's
 * dead-letter topic and its final error result is committed with it. The worker consumes the
 * retry topics beside the generation topics: a retry partition whose head record is not due is
 * sought back to it and paused until then ({@link RetryGate}), so a retry is never generated
 * early and never holds back a fresh request.
 */
public final class GenerationWorker implements Runnable, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GenerationWorker.class);
    /**
     * Poll timeout, and so how late the loop may notice results that became ready: short, since
     * polls of paused partitions return nothing but the loop must still commit.
     */
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(20);
    /** Status of a {@code batch_cancelled} result, as nginx and grpc-gateway report a request cancelled by its client. */
    static final int CANCELLED_STATUS = 499;

    private final Consumer<String, byte[]> consumer;
    private final Producer<String, byte[]> producer;
    private final RequestAnswerer handler;
    private final List<String> topics;
    private final CancelledBatches cancelledBatches;
    private final WorkerMetrics metrics;
    private final PausePolicy pausePolicy;
    private final CommitPolicy commitPolicy;
    private final Clock clock;
    private final RetrySchedule retries;
    private final RetryGate retryGate = new RetryGate();
    private final InFlight inFlight = new InFlight();
    /** Lone requests whose clients gave up; none until {@link #cancelRequestsFrom} is called. */
    private volatile CancelledRequests cancelledRequests = new CancelledRequests();
    /** Where committed outcomes are reported for the heartbeats; none until {@link #reportHealthTo} is called. */
    private volatile HealthPublisher health;
    private final AtomicBoolean running = new AtomicBoolean(true);
    /** Whether the loop is inside {@link Consumer#poll}, where a wakeup cuts it short. */
    private final AtomicBoolean polling = new AtomicBoolean();

    GenerationWorker(Consumer<String, byte[]> consumer, Producer<String, byte[]> producer, RequestAnswerer handler,
            List<String> topics, CancelledBatches cancelledBatches, WorkerMetrics metrics, WorkerConfig config, Clock clock) {
        this(consumer, producer, handler, topics, cancelledBatches, metrics, config, clock, RetrySchedule.none());
    }

    /** @param topics the generation topics and, when {@code retries} has tiers, the retry topics of the same models */
    GenerationWorker(Consumer<String, byte[]> consumer, Producer<String, byte[]> producer, RequestAnswerer handler,
            List<String> topics, CancelledBatches cancelledBatches, WorkerMetrics metrics, WorkerConfig config, Clock clock,
            RetrySchedule retries) {
        this.retries = retries;
        this.consumer = consumer;
        this.producer = producer;
        this.handler = handler;
        this.topics = List.copyOf(topics);
        this.cancelledBatches = cancelledBatches;
        this.metrics = metrics;
        this.pausePolicy = config.pausePolicy();
        this.commitPolicy = config.commitPolicy();
        this.clock = clock;
    }

    @Override
    public void run() {
        try {
            producer.initTransactions();
            consumer.subscribe(topics, new Rebalance());
            while (running.get()) {
                applyPause();
                for (ConsumerRecord<String, byte[]> record : interactiveFirst(poll())) {
                    accept(record);
                }
                cancelBatches(cancelledBatches.takeNewlyCancelled());
                cancelRequests(cancelledRequests.takeNewlyCancelled());
                Set<TopicPartition> assignment = consumer.assignment();
                if (commitPolicy.due(inFlight.readyCount(assignment), inFlight.interactiveReady(assignment), clock.millis())) {
                    commit(consumer.assignment());
                }
            }
            // Stopping: what is answered is committed; the rest is consumed again by the partitions' next owner.
            commit(consumer.assignment());
        } catch (RuntimeException e) {
            log.error("generation worker stopped: {}", e.toString(), e);
            throw e;
        } finally {
            forget(inFlight.entries().stream().map(InFlight.Entry::partition).distinct().toList());
            closeClients();
        }
    }

    /**
     * One poll, cut short when a waiting client's result becomes ready ({@link #wakeWhenReady}):
     * the loop then commits it at once instead of up to a poll timeout later.
     */
    private Iterable<ConsumerRecord<String, byte[]>> poll() {
        polling.set(true);
        try {
            return consumer.poll(POLL_TIMEOUT);
        } catch (WakeupException e) {
            // Only wakeWhenReady wakes this consumer: the records stay fetched for the next poll.
            return List.of();
        } finally {
            polling.set(false);
        }
    }

    /**
     * The polled records with the interactive lanes' first: each is handed to its engine at once,
     * so an interactive request never queues behind the batch lines fetched in the same poll.
     * Each partition's records keep their order, which {@link InFlight} needs.
     */
    static List<ConsumerRecord<String, byte[]>> interactiveFirst(Iterable<ConsumerRecord<String, byte[]>> polled) {
        List<ConsumerRecord<String, byte[]>> interactive = new ArrayList<>();
        List<ConsumerRecord<String, byte[]>> batch = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : polled) {
            (Topics.isInteractive(r.topic()) ? interactive : batch).add(r);
        }
        interactive.addAll(batch);
        return interactive;
    }

    /**
     * Wakes the poll loop when this interactive request's answer is ready. A wakeup that lands just
     * after a poll returned is thrown by the next poll, which the loop ignores the same way; the
     * loop calls no other consumer method that waits, but for {@link #rewind}, which retries.
     */
    private void wakeWhenReady(RequestEvent request, CompletableFuture<ResultEvent> answer) {
        if (request.interactive() && !answer.isDone()) {
            answer.whenComplete((r, e) -> {
                if (polling.get()) {
                    consumer.wakeup();
                }
            });
        }
    }

    private void accept(ConsumerRecord<String, byte[]> record) {
        TopicPartition tp = new TopicPartition(record.topic(), record.partition());
        int failures = 0;
        if (Topics.isRetry(record.topic())) {
            long now = clock.millis();
            if (retryGate.holds(tp, now)) {
                return; // behind a head record not due yet: fetched again after the seek below
            }
            long due = headerNumber(record, Headers.RETRY_DUE, 0);
            if (due > now) {
                // Not yet: read it again once due, and pause the partition until then (applyPause).
                retryGate.hold(tp, due);
                consumer.seek(tp, record.offset());
                return;
            }
            failures = (int) Math.max(1, headerNumber(record, Headers.RETRY_ATTEMPTS, 1));
        }
        RequestEvent request = null;
        String problem = "it is empty";
        try {
            request = Topics.REQUEST_SERDE.deserializer().deserialize(record.topic(), record.value());
        } catch (RuntimeException e) {
            problem = e.getMessage();
        }
        CompletableFuture<ResultEvent> answer;
        if (request == null) {
            // Only the router writes here, but any client could: answer under the key, never block the partition.
            request = new RequestEvent(record.key(), null, null, null, null, null, null, null, clock.millis());
            answer = CompletableFuture.completedFuture(ResultEvent.failure(request, 400, ErrorInfo.of(ErrorCodes.INVALID_JSON,
                    "the record on " + record.topic() + " is not a request event: " + problem), clock.millis()));
        } else if (cancelledRequests.contains(request.requestId())) {
            answer = CompletableFuture.completedFuture(requestCancelled(request));
        } else if (cancelledBatches.contains(request.batchId())) {
            answer = CompletableFuture.completedFuture(batchCancelled(request));
        } else {
            answer = handler.submit(request);
        }
        wakeWhenReady(request, answer);
        inFlight.add(new InFlight.Entry(tp, record.offset(), request, answer, failures));
    }

    /** A decimal header, or {@code absent} when missing or unreadable (any client may write a topic). */
    private static long headerNumber(ConsumerRecord<String, byte[]> record, String name, long absent) {
        org.apache.kafka.common.header.Header h = record.headers().lastHeader(name);
        if (h == null || h.value() == null) {
            return absent;
        }
        try {
            return Long.parseLong(new String(h.value(), StandardCharsets.UTF_8).trim());
        } catch (NumberFormatException e) {
            return absent;
        }
    }

    /** Where cancels of lone requests come from (the cancellation reader fills it); set before {@link #run}. */
    void cancelRequestsFrom(CancelledRequests requests) {
        this.cancelledRequests = requests;
    }

    /** Where to count committed generations and failures per model (the heartbeats); set before {@link #run}. */
    void reportHealthTo(HealthPublisher publisher) {
        this.health = publisher;
    }

    /**
     * Counts what a commit made final, per model: generated results, and failed generations (each
     * written to a retry or dead-letter topic, or, without retry tiers, answered with its error), and
     * calls a remote model's server refused as the deployment's fault (its key): answered at once,
     * never retried, but every later call would fail the same way, so the circuit should open.
     */
    private void reportHealth(List<ResultEvent> results, List<Retried> retried) {
        HealthPublisher h = health;
        if (h == null) {
            return;
        }
        for (ResultEvent r : results) {
            if (r.model() == null) {
                continue;
            }
            if (r.succeeded() && r.generated()) {
                h.completed(r.model());
            } else if (retries.delays().isEmpty() && RetrySchedule.retriable(r) || RetrySchedule.refusedByProvider(r)) {
                h.failed(r.model());
            }
        }
        retried.forEach(r -> h.failed(r.model()));
    }

    private void cancelRequests(List<String> requestIds) {
        if (requestIds.isEmpty()) {
            return;
        }
        Set<String> ids = new HashSet<>(requestIds);
        for (InFlight.Entry e : inFlight.entries()) {
            if (ids.contains(e.request().requestId()) && e.answerInstead(requestCancelled(e.request()))) {
                log.info("request {} stopped: its client gave up", e.request().requestId());
            }
        }
    }

    private ResultEvent requestCancelled(RequestEvent request) {
        return ResultEvent.failure(request, CANCELLED_STATUS, ErrorInfo.of(ErrorCodes.REQUEST_CANCELLED, "request "
                + request.requestId() + " was cancelled by its client (it disconnected) before it was answered"), clock.millis());
    }

    private void cancelBatches(List<String> batchIds) {
        if (batchIds.isEmpty()) {
            return;
        }
        // A HashSet: lone requests have no batch id, and Set.copyOf's contains(null) throws.
        Set<String> ids = new HashSet<>(batchIds);
        int answered = 0;
        for (InFlight.Entry e : inFlight.entries()) {
            if (ids.contains(e.request().batchId()) && e.answerInstead(batchCancelled(e.request()))) {
                answered++;
            }
        }
        log.info("batches {} cancelled: {} requests in flight stopped and answered {}", ids, answered,
                ErrorCodes.BATCH_CANCELLED);
    }

    private ResultEvent batchCancelled(RequestEvent request) {
        String code = cancelledBatches.reason(request.batchId());
        String why = ErrorCodes.BATCH_EXPIRED.equals(code) ? " reached the end of its completion window"
                : " was cancelled";
        return ResultEvent.failure(request, CANCELLED_STATUS, ErrorInfo.of(code, "batch "
                + request.batchId() + why + " before this request was answered"), clock.millis());
    }

    /**
     * Publishes the ready results of these partitions with their offsets, in one transaction.
     * Called on the poll thread only, from the loop or a rebalance callback.
     */
    private void commit(Collection<TopicPartition> partitions) {
        Map<TopicPartition, List<InFlight.Entry>> ready = inFlight.takeReady(partitions);
        if (ready.isEmpty()) {
            return;
        }
        List<ResultEvent> results = new ArrayList<>();
        List<Retried> retried = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        ready.forEach((tp, entries) -> {
            entries.forEach(e -> outcome(e, results, retried));
            offsets.put(tp, new OffsetAndMetadata(InFlight.nextOffset(entries)));
        });
        try {
            producer.beginTransaction();
            for (Retried r : retried) {
                producer.send(r.record());
            }
            for (ResultEvent r : results) {
                producer.send(resultRecord(r));
            }
            producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
            commitTransaction();
        } catch (KafkaException e) {
            switch (WorkerErrors.classify(e)) {
                case FATAL -> throw e;
                case RETRIABLE -> {
                    // Nothing of this transaction is visible: consume these partitions again from
                    // their committed offsets, forgetting what is in flight for them.
                    log.warn("transaction failed, aborting and consuming {} again: {}", offsets.keySet(), e.toString());
                    producer.abortTransaction();
                    rewind(offsets.keySet());
                    return;
                }
            }
        }
        commitPolicy.committed(clock.millis());
        results.forEach(metrics::committed);
        retried.forEach(r -> metrics.retried(r.model(), r.deadLetter()));
        reportHealth(results, retried);
    }

    /**
     * What a ready entry writes: its result; or, for a retriable failure, the request on its next
     * retry topic and no result; or, when the tiers are spent, the request on the dead-letter topic
     * and a final error result. Without tiers a failure is answered at once.
     */
    /** A request written to a retry or dead-letter topic instead of (or, dead-lettered, beside) its result. */
    private record Retried(ProducerRecord<String, byte[]> record, String model, boolean deadLetter) {}

    private void outcome(InFlight.Entry e, List<ResultEvent> results, List<Retried> retried) {
        ResultEvent r = e.result();
        if (!RetrySchedule.retriable(r) || retries.delays().isEmpty()) {
            results.add(r);
            return;
        }
        RequestEvent request = e.request();
        int failures = e.failures() + 1;
        String model = request.model() != null ? request.model() : request.requestedModel();
        String reason = r.error().message();
        java.util.Optional<Duration> delay = retries.afterFailure(failures);
        RecordHeaders headers = new RecordHeaders();
        headers.add(Headers.SCHEMA, Headers.REQUEST_V1.getBytes(StandardCharsets.UTF_8));
        headers.add(Headers.RETRY_ATTEMPTS, Integer.toString(failures).getBytes(StandardCharsets.UTF_8));
        headers.add(Headers.DLT_REASON, reason.getBytes(StandardCharsets.UTF_8));
        String topic;
        if (delay.isPresent()) {
            long due = clock.millis() + delay.get().toMillis();
            headers.add(Headers.RETRY_DUE, Long.toString(due).getBytes(StandardCharsets.UTF_8));
            topic = Topics.retry(model, delay.get().toMillis()).name();
            log.info("request {} failed in generation ({}), retrying in {} ms (failure {})", request.requestId(), reason,
                    delay.get().toMillis(), failures);
        } else {
            topic = Topics.deadLetter(model).name();
            log.warn("request {} failed in generation {} times, last: {}: dead-lettered", request.requestId(), failures, reason);
            results.add(ResultEvent.failure(request, r.statusCode(), ErrorInfo.of(r.error().code(), "generation failed "
                    + failures + " times (retried after " + retries.delaysMs() + " ms), the last time: " + reason),
                    clock.millis()));
        }
        if (request.batchId() != null) {
            headers.add(Headers.BATCH_ID, request.batchId().getBytes(StandardCharsets.UTF_8));
        }
        retried.add(new Retried(new ProducerRecord<>(topic, null, request.requestId(),
                Topics.REQUEST_SERDE.serializer().serialize(topic, request), headers), model, delay.isEmpty()));
    }

    /**
     * Commits, retrying a commit that timed out: the broker may have committed it already, and
     * the client then allows only another commit (an abort would throw), so retrying is the one
     * way to learn the outcome without answering the requests twice.
     */
    private void commitTransaction() {
        for (int attempt = 1; ; attempt++) {
            try {
                producer.commitTransaction();
                return;
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                if (attempt == COMMIT_ATTEMPTS) {
                    throw new IllegalStateException("the commit of a transaction timed out " + attempt
                            + " times: stopping rather than risk answering its requests twice", e);
                }
                log.warn("the commit of a transaction timed out ({}), retrying", e.getMessage());
            }
        }
    }

    private static final int COMMIT_ATTEMPTS = 5;

    private void rewind(Set<TopicPartition> partitions) {
        forget(partitions);
        Set<TopicPartition> owned = new HashSet<>(partitions);
        owned.retainAll(consumer.assignment()); // a partition revoked meanwhile: its new owner starts from the committed offset
        Map<TopicPartition, OffsetAndMetadata> committed;
        try {
            committed = consumer.committed(owned);
        } catch (WakeupException e) {
            committed = consumer.committed(owned); // a wakeup meant for a poll: ask again
        }
        for (TopicPartition tp : owned) {
            OffsetAndMetadata at = committed.get(tp);
            if (at != null) {
                consumer.seek(tp, at.offset());
            } else {
                consumer.seekToBeginning(List.of(tp));
            }
        }
    }

    /** Drops the in-flight requests of these partitions and stops their generation. */
    private void forget(Collection<TopicPartition> partitions) {
        retryGate.release(partitions);
        inFlight.remove(partitions).forEach(InFlight.Entry::cancel);
    }

    private void applyPause() {
        Set<TopicPartition> assignment = consumer.assignment();
        Set<TopicPartition> target = new HashSet<>(pausePolicy.toPause(assignment, inFlight.unfinished(),
                inFlight.unfinishedBatch(), inFlight.queued()));
        for (TopicPartition tp : retryGate.held(clock.millis())) {
            if (assignment.contains(tp)) {
                target.add(tp);
            }
        }
        Set<TopicPartition> paused = consumer.paused();
        if (paused.equals(target)) {
            return;
        }
        Set<TopicPartition> resume = new HashSet<>(paused);
        resume.removeAll(target);
        consumer.resume(resume);
        consumer.pause(target);
        log.debug("paused {} of {} partitions ({} in flight)", target.size(), assignment.size(), inFlight.size());
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            // Still ours until this returns: commit what is answered, and leave the rest to the
            // next owner, who consumes it from the offset committed here.
            commit(partitions);
            forget(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            // No longer ours: a commit would be fenced. The next owner consumes from the last commit.
            forget(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            // A rebalance forgets which partitions were paused: pause again before the next fetch.
            applyPause();
        }
    }

    /**
     * Results larger than this are replaced by an error result: the producer's request limit is
     * 1 MiB by default, and a record over it would fail its transaction on every retry, blocking
     * the partition for good (long completions with top_logprobs can get there).
     */
    static final int MAX_RESULT_BYTES = 900 * 1024;

    private ProducerRecord<String, byte[]> resultRecord(ResultEvent r) {
        byte[] value = Topics.RESULT_SERDE.serializer().serialize(Topics.RESULTS.name(), r);
        if (value.length > MAX_RESULT_BYTES) {
            RequestEvent stub = new RequestEvent(r.requestId(), r.batchId(), r.customId(), r.line(), null, null, null,
                    r.model(), r.completedAt(), r.tenant());
            r = ResultEvent.failure(stub, 500, ErrorInfo.of(ErrorCodes.RESULT_TOO_LARGE, "the result is " + value.length
                    + " bytes, over the " + MAX_RESULT_BYTES + " bytes a result may have: ask for fewer tokens, fewer"
                    + " top_logprobs or no prompt_logprobs"), clock.millis());
            value = Topics.RESULT_SERDE.serializer().serialize(Topics.RESULTS.name(), r);
        }
        RecordHeaders headers = new RecordHeaders();
        headers.add(Headers.SCHEMA, Headers.RESULT_V1.getBytes(StandardCharsets.UTF_8));
        if (r.batchId() != null) {
            headers.add(Headers.BATCH_ID, r.batchId().getBytes(StandardCharsets.UTF_8));
        }
        return new ProducerRecord<>(Topics.RESULTS.name(), null, r.requestId(), value, headers);
    }

    /**
     * Stops the loop within a poll: results that are ready are committed, requests still
     * generating are cancelled and left to the partitions' next owner.
     */
    @Override
    public void close() {
        running.set(false);
    }

    private void closeClients() {
        try {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        } finally {
            producer.close(Duration.ofSeconds(5));
        }
    }
}
