package io.millrace.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Json;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.worker.model.DecoderModel;
import io.millrace.worker.model.build.TinyModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The poll loop against Kafka's mock clients and an engine the test completes by hand: the commit
 * boundary, pausing, cancellation, rebalances and the failure table, without a broker.
 *
 * <p>Fakes on purpose, as faults a real broker and model cannot produce on demand: a rebalance at
 * an exact point of the loop, a fenced producer, a failed commit, results that finish out of
 * order. The same loop runs on the real broker and model in infra's WorkerPauseIT, BatchCancelIT,
 * BatchEndToEndIT and WorkerChaosIT.
 */
class GenerationWorkerTest {
    static final String TOPIC = Topics.generation(TinyModel.NAME).name();
    static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
    static final TopicPartition P1 = new TopicPartition(TOPIC, 1);
    static final TopicPartition RETRY_1S = new TopicPartition(Topics.retry(TinyModel.NAME, 1000).name(), 0);
    static final TopicPartition LANE0 = new TopicPartition(Topics.interactive(TinyModel.NAME).name(), 0);

    @TempDir
    static Path dir;
    static DecoderModel model;

    final MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");
    final MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
    final FakeEngine engine = new FakeEngine();
    final CancelledBatches cancelled = new CancelledBatches();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final AtomicReference<Throwable> died = new AtomicReference<>();
    GenerationWorker worker;
    Thread thread;

    @BeforeAll
    static void load() throws Exception {
        Path modelDir = dir.resolve(TinyModel.NAME);
        TinyModel.write(modelDir);
        model = DecoderModel.load(modelDir);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @AfterEach
    void stop() throws Exception {
        if (worker != null) {
            worker.close();
            thread.join(10_000);
        }
    }

    private void start(WorkerConfig config, TopicPartition... assigned) throws Exception {
        start(config, RetrySchedule.none(), Clock.systemUTC(), assigned);
    }

    private void start(WorkerConfig config, RetrySchedule retries, Clock clock, TopicPartition... assigned) throws Exception {
        WorkerMetrics metrics = new WorkerMetrics(registry);
        CompletionHandler handler = new CompletionHandler(
                Map.of(model.name(), new ServedModel(model, engine, metrics.model(model.name(), engine))),
                        clock, Runnable::run);
        consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L, RETRY_1S, 0L, LANE0, 0L));
        List<String> topics = new java.util.ArrayList<>(List.of(TOPIC, LANE0.topic()));
        topics.addAll(retries.topics(TinyModel.NAME));
        worker = new GenerationWorker(consumer, producer, handler, topics, cancelled, metrics, config, clock, retries);
        thread = new Thread(() -> {
            try {
                worker.run();
            } catch (Throwable t) {
                died.set(t);
            }
        });
        thread.start();
        onPollThread(() -> consumer.rebalance(List.of(assigned)));
    }

    private static WorkerConfig config(int maxInFlight) {
        // Commit interval 0: every ready result is committed on the next loop, so tests need not wait.
        return new WorkerConfig(WorkerConfig.Engine.BATCH, maxInFlight, 64, Duration.ZERO, 64);
    }

    /** Runs on the worker's thread inside a poll (where Kafka runs rebalance callbacks), and waits for it. */
    private void onPollThread(Runnable task) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        consumer.schedulePollTask(() -> {
            task.run();
            done.countDown();
        });
        assertThat(done.await(10, TimeUnit.SECONDS)).as("the worker polled").isTrue();
    }

    private void add(TopicPartition tp, long offset, String id, String batchId) throws InterruptedException {
        RequestEvent r = new RequestEvent(id, batchId, id, null, "POST", "/v1/chat/completions", body(), TinyModel.NAME, 0);
        byte[] value = Topics.REQUEST_SERDE.serializer().serialize(tp.topic(), r);
        onPollThread(() -> consumer.addRecord(new ConsumerRecord<>(tp.topic(), tp.partition(), offset, id, value)));
    }

    private static com.fasterxml.jackson.databind.JsonNode body() {
        try {
            return Json.parse("{\"model\":\"millrace-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":4}");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (!condition.getAsBoolean()) {
            assertThat(System.currentTimeMillis()).as(what).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    private List<String> committedKeys() {
        return producer.history().stream().map(ProducerRecord::key).toList();
    }

    private List<ResultEvent> committedResults() {
        return producer.history().stream().map(r -> Topics.RESULT_SERDE.deserializer().deserialize(TOPIC, r.value())).toList();
    }

    private Map<TopicPartition, OffsetAndMetadata> lastCommittedOffsets() {
        List<Map<String, Map<TopicPartition, OffsetAndMetadata>>> history = producer.consumerGroupOffsetsHistory();
        return history.get(history.size() - 1).values().iterator().next();
    }

    @Test
    void commitsEachPartitionOnlyUpToItsFirstUnansweredRequest() throws Exception {
        start(config(16), P0, P1);
        add(P0, 0, "a", null);
        add(P0, 1, "b", null);
        add(P0, 2, "c", null);
        add(P1, 0, "x", null);
        await(() -> engine.submitted.size() == 4, "all four requests handed to the engine without waiting");

        engine.complete(1, 2);
        engine.complete(2, 2);
        Thread.sleep(100);
        assertThat(producer.history()).as("b and c are ready, but a before them is not").isEmpty();

        engine.complete(0, 2);
        await(() -> producer.history().size() == 3, "a, b, c committed");
        assertThat(committedKeys()).containsExactly("a", "b", "c");
        assertThat(lastCommittedOffsets()).containsExactly(Map.entry(P0, new OffsetAndMetadata(3)));
        assertThat(producer.transactionCommitted()).isTrue();

        engine.complete(3, 1);
        await(() -> producer.history().size() == 4, "x committed");
        assertThat(lastCommittedOffsets()).containsExactly(Map.entry(P1, new OffsetAndMetadata(1)));
        assertThat(committedResults()).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(200));
        assertThat(registry.get("millrace.worker.requests").tag("outcome", "completed").counter().count()).isEqualTo(4);
    }

    @Test
    void pausesWhileTheEngineIsFullAndKeepsPolling() throws Exception {
        start(config(2), P0);
        add(P0, 0, "a", null);
        add(P0, 1, "b", null);
        await(() -> consumer.paused().contains(P0), "paused at 2 in flight");
        add(P0, 2, "c", null);
        Thread.sleep(100);
        assertThat(engine.submitted).as("nothing fetched from a paused partition").hasSize(2);

        engine.complete(0, 1);
        await(() -> engine.submitted.size() == 3, "resumed below the bound: c fetched");
        await(() -> consumer.paused().contains(P0), "full again");
        engine.complete(1, 1);
        engine.complete(2, 1);
        await(() -> producer.history().size() == 3, "all committed");
        await(() -> consumer.paused().isEmpty(), "resumed");
        assertThat(committedKeys()).containsExactly("a", "b", "c");
    }

    @Test
    void pausingSurvivesARebalance() throws Exception {
        start(config(1), P0);
        add(P0, 0, "a", null);
        await(() -> consumer.paused().contains(P0), "paused");
        // A rebalance forgets paused state; the worker pauses the new assignment before fetching.
        onPollThread(() -> consumer.rebalance(List.of(P0, P1)));
        onPollThread(() -> consumer.addRecord(new ConsumerRecord<>(TOPIC, 1, 0, "x",
                Topics.REQUEST_SERDE.serializer().serialize(TOPIC, new RequestEvent("x", null, "x", null, "POST",
                        "/v1/chat/completions", body(), TinyModel.NAME, 0)))));
        await(() -> consumer.paused().containsAll(List.of(P0, P1)), "both paused");
        Thread.sleep(50);
        assertThat(engine.submitted).hasSize(1);
    }

    @Test
    void aCancelledBatchIsAnsweredBatchCancelledAndFinishedWorkIsKept() throws Exception {
        start(config(16), P0);
        add(P0, 0, "done", "b");
        add(P0, 1, "running", "b");
        add(P0, 2, "other", "c");
        await(() -> engine.submitted.size() == 3, "submitted");
        // Finished and cancelled within one poll, before the loop commits: the finished result is kept.
        onPollThread(() -> {
            engine.complete(0, 1);
            cancelled.apply("b", new BatchEvent("b", "/v1/chat/completions", "in", 3, 0, Map.of(), null).cancel(1));
        });
        await(() -> producer.history().size() == 2, "done and running answered");
        assertThat(engine.submitted.get(1).future()).as("generation stopped").isCancelled();
        List<ResultEvent> results = committedResults();
        assertThat(results.get(0).requestId()).isEqualTo("done");
        assertThat(results.get(1).requestId()).isEqualTo("running");
        assertThat(results.get(1).statusCode()).isEqualTo(GenerationWorker.CANCELLED_STATUS);
        assertThat(results.get(1).error().code()).isEqualTo(ErrorCodes.BATCH_CANCELLED);
        assertThat(engine.submitted.get(2).future()).as("another batch is untouched").isNotDone();

        add(P0, 3, "late", "b");
        Thread.sleep(50);
        assertThat(engine.submitted).as("a request of a cancelled batch is not generated").hasSize(3);
        engine.complete(2, 1);
        await(() -> producer.history().size() == 4, "other and late committed");
        assertThat(committedResults().get(3).error().code()).isEqualTo(ErrorCodes.BATCH_CANCELLED);
        assertThat(lastCommittedOffsets()).containsExactly(Map.entry(P0, new OffsetAndMetadata(4)));
        assertThat(registry.get("millrace.worker.requests").tag("outcome", "cancelled").counter().count()).isEqualTo(2);
    }

    @Test
    void cancellingABatchLeavesLoneRequestsInFlightAlone() throws Exception {
        start(config(16), P0);
        add(P0, 0, "lone", null); // no batch id: a request from any Kafka client
        add(P0, 1, "batched", "b");
        await(() -> engine.submitted.size() == 2, "submitted");
        onPollThread(() -> cancelled.apply("b", new BatchEvent("b", "/v1/chat/completions", "in", 1, 0, Map.of(), null).cancel(1)));
        await(() -> engine.submitted.get(1).future().isCancelled(), "the batched request stopped");
        assertThat(engine.submitted.get(0).future()).as("the lone request is untouched").isNotDone();
        engine.complete(0, 1);
        await(() -> producer.history().size() == 2, "both answered");
        assertThat(committedResults().get(0).succeeded()).isTrue();
    }

    @Test
    void aRevokedPartitionCommitsWhatIsReadyAndForgetsTheRest() throws Exception {
        start(config(16), P0, P1);
        add(P0, 0, "a", null);
        add(P0, 1, "b", null);
        add(P1, 0, "x", null);
        await(() -> engine.submitted.size() == 3, "submitted");
        onPollThread(() -> {
            engine.complete(0, 1);
            consumer.rebalance(List.of(P1));
        });
        await(() -> producer.history().size() == 1, "a committed on revocation");
        assertThat(committedKeys()).containsExactly("a");
        assertThat(lastCommittedOffsets()).containsExactly(Map.entry(P0, new OffsetAndMetadata(1)));
        assertThat(engine.submitted.get(1).future()).as("b left to the next owner").isCancelled();
        assertThat(engine.submitted.get(2).future()).isNotDone();

        engine.complete(2, 1);
        await(() -> producer.history().size() == 2, "x committed");
        assertThat(lastCommittedOffsets()).containsExactly(Map.entry(P1, new OffsetAndMetadata(1)));
    }

    @Test
    void aFailedTransactionIsAbortedAndItsPartitionsConsumedAgain() throws Exception {
        producer.commitTransactionException = new KafkaException("coordinator moved");
        start(config(16), P0);
        add(P0, 0, "a", null);
        add(P0, 1, "b", null);
        await(() -> engine.submitted.size() == 2, "submitted");
        engine.complete(1, 1);
        onPollThread(() -> engine.complete(0, 1));
        await(producer::transactionAborted, "aborted");
        AtomicReference<Long> position = new AtomicReference<>();
        onPollThread(() -> position.set(consumer.position(P0)));
        assertThat(position.get()).as("sought back to the committed offset").isZero();
        assertThat(producer.history()).isEmpty();

        producer.commitTransactionException = null;
        add(P0, 0, "a", null);
        add(P0, 1, "b", null);
        await(() -> engine.submitted.size() == 4, "consumed again");
        engine.complete(2, 1);
        engine.complete(3, 1);
        await(() -> producer.history().size() == 2, "committed once");
        assertThat(committedKeys()).containsExactly("a", "b");
        assertThat(died.get()).isNull();
    }

    @Test
    void aFencedProducerStopsTheWorker() throws Exception {
        start(config(16), P0);
        add(P0, 0, "a", null);
        await(() -> engine.submitted.size() == 1, "submitted");
        producer.fenceProducer();
        engine.complete(0, 1);
        thread.join(10_000);
        assertThat(died.get()).isInstanceOf(ProducerFencedException.class);
        assertThat(producer.history()).isEmpty();
    }

    @Test
    void aRequestTheEngineFailsIsAnsweredButABrokenEngineStopsTheWorker() throws Exception {
        start(config(16), P0);
        add(P0, 0, "a", null);
        await(() -> engine.submitted.size() == 1, "submitted");
        engine.submitted.get(0).future().completeExceptionally(new IllegalArgumentException("this prompt breaks the model"));
        await(() -> producer.history().size() == 1, "answered");
        assertThat(committedResults().get(0).error().code()).isEqualTo(ErrorCodes.GENERATION_FAILED);

        add(P0, 1, "b", null);
        add(P0, 2, "c", null);
        await(() -> engine.submitted.size() == 3, "submitted");
        engine.submitted.get(1).future().completeExceptionally(new CancellationException("the engine was closed"));
        thread.join(10_000);
        assertThat(thread.isAlive()).isFalse();
        assertThat(died.get()).isInstanceOf(WorkerErrors.EngineFailedException.class);
        assertThat(producer.history()).as("nothing answered with an error for a broken engine").hasSize(1);
        assertThat(engine.submitted.get(2).future()).as("the rest is left to the next owner").isCancelled();
    }

    /** A clock the test moves by hand: whether a retry is due must not depend on how fast the test runs. */
    private static final class HandClock extends Clock {
        final java.util.concurrent.atomic.AtomicLong millis = new java.util.concurrent.atomic.AtomicLong(1_000_000);

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public java.time.Instant instant() {
            return java.time.Instant.ofEpochMilli(millis.get());
        }
    }

    private static String header(ProducerRecord<String, byte[]> r, String name) {
        return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    @Test
    void aRetriableFailureGoesToTheRetryTopicInTheConsumingTransactionAndIsGeneratedAgainOnlyWhenDue() throws Exception {
        HandClock clock = new HandClock();
        RetrySchedule retries = new RetrySchedule(List.of(Duration.ofSeconds(1)));
        start(config(16), retries, clock, P0, RETRY_1S);
        add(P0, 0, "a", null);
        await(() -> engine.submitted.size() == 1, "submitted");
        engine.submitted.get(0).future().completeExceptionally(new IllegalStateException("onnxruntime: a hiccup"));
        await(() -> producer.history().size() == 1, "committed");

        ProducerRecord<String, byte[]> retry = producer.history().get(0);
        assertThat(retry.topic()).as("no result: a retry").isEqualTo(RETRY_1S.topic());
        assertThat(header(retry, io.millrace.protocol.Headers.RETRY_DUE)).isEqualTo(Long.toString(1_000_000 + 1_000));
        assertThat(header(retry, io.millrace.protocol.Headers.RETRY_ATTEMPTS)).isEqualTo("1");
        assertThat(lastCommittedOffsets()).as("with the offset that consumed it").containsExactly(Map.entry(P0, new OffsetAndMetadata(1)));

        // The broker would deliver it at once: the worker must hold it until it is due.
        deliver(retry);
        add(P0, 1, "fresh", null);
        await(() -> engine.submitted.size() == 2, "the fresh request is not held back by the retry");
        await(() -> consumer.paused().contains(RETRY_1S), "the retry partition paused until due");
        assertThat(consumer.paused()).doesNotContain(P0);
        Thread.sleep(100);
        assertThat(engine.submitted).as("not generated before it is due").hasSize(2);

        assertThat(consumer.position(RETRY_1S)).as("sought back to the held record").isZero();

        clock.millis.addAndGet(1_000);
        await(() -> !consumer.paused().contains(RETRY_1S), "resumed once due");
        // MockConsumer forgets records it returned once; a broker fetches them again from the position.
        deliver(retry);
        await(() -> engine.submitted.size() == 3, "generated again once due");
        engine.complete(1, 1);
        engine.complete(2, 1);
        await(() -> producer.history().size() == 3, "both answered");
        assertThat(producer.history().subList(1, 3)).extracting(ProducerRecord::topic).containsOnly(Topics.RESULTS.name());
        assertThat(committedKeysOn(Topics.RESULTS.name())).containsExactlyInAnyOrder("fresh", "a");
        assertThat(registry.get("millrace.worker.generation_retries").tag("to", "retry").counter().count()).isEqualTo(1);
    }

    @Test
    void afterTheLastTierTheRequestIsDeadLetteredWithOneFinalErrorAndNonRetriableFailuresAreAnsweredAtOnce() throws Exception {
        HandClock clock = new HandClock();
        start(config(16), new RetrySchedule(List.of(Duration.ofSeconds(1))), clock, RETRY_1S, P0);
        RequestEvent r = new RequestEvent("a", null, "a", null, "POST", "/v1/chat/completions", body(), TinyModel.NAME, 0);
        org.apache.kafka.common.header.internals.RecordHeaders headers = new org.apache.kafka.common.header.internals.RecordHeaders();
        headers.add(io.millrace.protocol.Headers.RETRY_DUE, "0".getBytes(StandardCharsets.UTF_8));
        headers.add(io.millrace.protocol.Headers.RETRY_ATTEMPTS, "1".getBytes(StandardCharsets.UTF_8));
        onPollThread(() -> consumer.addRecord(new ConsumerRecord<>(RETRY_1S.topic(), 0, 0, 0L,
                org.apache.kafka.common.record.TimestampType.CREATE_TIME, 0, 0, "a",
                Topics.REQUEST_SERDE.serializer().serialize(TOPIC, r), headers, java.util.Optional.empty())));
        await(() -> engine.submitted.size() == 1, "a due retry is generated");
        engine.submitted.get(0).future().completeExceptionally(new IllegalStateException("onnxruntime: again"));
        await(() -> producer.history().size() == 2, "dead-lettered and answered");

        ProducerRecord<String, byte[]> dead = producer.history().get(0);
        assertThat(dead.topic()).isEqualTo(Topics.deadLetter(TinyModel.NAME).name());
        assertThat(header(dead, io.millrace.protocol.Headers.RETRY_ATTEMPTS)).isEqualTo("2");
        assertThat(header(dead, io.millrace.protocol.Headers.DLT_REASON)).contains("onnxruntime: again");
        ResultEvent finalError = Topics.RESULT_SERDE.deserializer().deserialize(TOPIC, producer.history().get(1).value());
        assertThat(finalError.error().code()).isEqualTo(ErrorCodes.GENERATION_FAILED);
        assertThat(finalError.error().message()).contains("failed 2 times").contains("onnxruntime: again");
        assertThat(lastCommittedOffsets()).containsExactly(Map.entry(RETRY_1S, new OffsetAndMetadata(1)));
        // Counted after the commit returns, a moment after the records reach the producer's history.
        await(() -> registry.find("millrace.worker.generation_retries").tag("to", "dead_letter").counter() != null,
                "the dead letter counted");
        assertThat(registry.get("millrace.worker.generation_retries").tag("to", "dead_letter").counter().count()).isEqualTo(1);

        // A request too long for the model is its own fault: answered at once, never retried.
        String longText = "word ".repeat(2000);
        RequestEvent tooLong = new RequestEvent("long", null, "long", null, "POST", "/v1/chat/completions", Json.parse(
                "{\"model\":\"millrace-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"" + longText + "\"}]}"),
                TinyModel.NAME, 0);
        onPollThread(() -> consumer.addRecord(new ConsumerRecord<>(TOPIC, 0, 0, "long",
                Topics.REQUEST_SERDE.serializer().serialize(TOPIC, tooLong))));
        await(() -> producer.history().size() == 3, "answered");
        assertThat(producer.history().get(2).topic()).isEqualTo(Topics.RESULTS.name());
        assertThat(Topics.RESULT_SERDE.deserializer().deserialize(TOPIC, producer.history().get(2).value()).error().code())
                .isEqualTo(ErrorCodes.CONTEXT_LENGTH_EXCEEDED);
    }

    private void deliver(ProducerRecord<String, byte[]> retry) throws InterruptedException {
        onPollThread(() -> consumer.addRecord(new ConsumerRecord<>(RETRY_1S.topic(), 0, 0, 0L,
                org.apache.kafka.common.record.TimestampType.CREATE_TIME, 0, 0, retry.key(), retry.value(), retry.headers(),
                java.util.Optional.empty())));
    }

    private List<String> committedKeysOn(String topic) {
        return producer.history().stream().filter(r -> r.topic().equals(topic)).map(ProducerRecord::key).toList();
    }

    @Test
    void aRecordThatIsNotARequestIsAnsweredUnderItsKey() throws Exception {
        start(config(16), P0);
        onPollThread(() -> consumer.addRecord(new ConsumerRecord<>(TOPIC, 0, 0, "junk", "not json".getBytes(StandardCharsets.UTF_8))));
        await(() -> producer.history().size() == 1, "answered");
        ResultEvent r = committedResults().get(0);
        assertThat(r.requestId()).isEqualTo("junk");
        assertThat(r.error().code()).isEqualTo(ErrorCodes.INVALID_JSON);
    }

    @Test
    void closingCommitsWhatIsReady() throws Exception {
        start(new WorkerConfig(WorkerConfig.Engine.BATCH, 16, 64, Duration.ofHours(1), 64), P0);
        add(P0, 0, "a", null);
        await(() -> engine.submitted.size() == 1, "submitted");
        engine.complete(0, 1);
        await(() -> producer.history().size() == 1, "an idle worker commits at once");
        add(P0, 1, "b", null);
        add(P0, 2, "c", null);
        await(() -> engine.submitted.size() == 3, "submitted");
        onPollThread(() -> engine.complete(1, 1));
        worker.close();
        thread.join(10_000);
        assertThat(committedKeys()).containsExactly("a", "b");
        assertThat(engine.submitted.get(2).future()).isCancelled();
        worker = null;
    }

    @Test
    void batchWorkLeavesInFlightRoomForTheInteractiveLaneWhoseRequestsGoFirstAndCommitAlone() throws Exception {
        // 4 in flight, 1 of them kept for interactive requests: batch lines pause their partition at 3.
        start(new WorkerConfig(WorkerConfig.Engine.BATCH, 4, 64, Duration.ofHours(1), 64,
                io.millrace.worker.model.EngineConfig.defaults(), io.millrace.worker.model.SessionSettings.defaults(), 1), P0, LANE0);
        for (int i = 0; i < 4; i++) {
            add(P0, i, "b:" + i, "b");
        }
        await(() -> consumer.paused().contains(P0), "the batch partition paused at 3 batch requests in flight");
        Thread.sleep(50);
        assertThat(engine.submitted).as("the 4th batch line waits in its paused partition").hasSize(3);
        assertThat(consumer.paused()).doesNotContain(LANE0);

        add(LANE0, 0, "chat-1", null);
        await(() -> engine.submitted.size() == 4, "the interactive request consumed while batch work fills the worker");
        assertThat(engine.submitted).extracting(FakeEngine.Submitted::lane).containsExactly(
                io.millrace.worker.model.Lane.BATCH, io.millrace.worker.model.Lane.BATCH, io.millrace.worker.model.Lane.BATCH,
                io.millrace.worker.model.Lane.INTERACTIVE);
        await(() -> consumer.paused().contains(LANE0), "now the worker is full: the lane pauses too");

        // Its result is committed at once (a client waits; the interval is an hour), with its own
        // lane's offset only: the batch lines before it in time hold nothing back.
        engine.complete(3, 1);
        await(() -> producer.history().size() == 1, "the interactive result committed");
        assertThat(committedKeys()).containsExactly("chat-1");
        assertThat(lastCommittedOffsets()).containsExactly(Map.entry(LANE0, new OffsetAndMetadata(1)));
    }

    @Test
    void interactiveRecordsOfAPollAreHandedOverFirstEachPartitionInOrder() {
        ConsumerRecord<String, byte[]> b0 = new ConsumerRecord<>(TOPIC, 0, 0, "b0", new byte[0]);
        ConsumerRecord<String, byte[]> b1 = new ConsumerRecord<>(TOPIC, 0, 1, "b1", new byte[0]);
        ConsumerRecord<String, byte[]> i0 = new ConsumerRecord<>(LANE0.topic(), 0, 0, "i0", new byte[0]);
        ConsumerRecord<String, byte[]> i1 = new ConsumerRecord<>(LANE0.topic(), 0, 1, "i1", new byte[0]);
        ConsumerRecord<String, byte[]> r0 = new ConsumerRecord<>(RETRY_1S.topic(), 0, 0, "r0", new byte[0]);

        assertThat(GenerationWorker.interactiveFirst(List.of(b0, r0, i0, b1, i1))).containsExactly(i0, i1, b0, r0, b1);
    }
}
