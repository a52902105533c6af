package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Headers;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.worker.RetrySchedule;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retry topics on the real broker, with the real model and engine: a generation that fails for a
 * retriable reason is generated again from {@code millrace.gen.<model>-retry-<ms>} no sooner than
 * the due time in its header, and one that fails on every tier lands in {@code …-dlt} with exactly
 * one, final, error result.
 *
 * <p>The one fake: {@link FailingEngine} wraps the real engine only to inject the fault (a
 * generation that fails, as an ONNX Runtime error would), which a real model cannot produce on
 * demand. Everything else is the worker as deployed.
 */
class RetryTopicsIT {
    private static final List<Long> DELAYS_MS = List.of(300L, 900L);
    private static final Map<String, Object> RETRIES = Map.of(RetrySchedule.DELAYS, "300ms,900ms");
    private static final String MODEL = WorkerHarness.MODEL;

    @TempDir
    Path dir;

    @Test
    void aRetriableFailureIsGeneratedAgainAfterItsDueTime() throws Exception {
        try (WorkerHarness kafka = WorkerHarness.start(dir, DELAYS_MS)) {
            AtomicInteger toFail = new AtomicInteger(1);
            kafka.startWorker(RETRIES, new SimpleMeterRegistry(), engine -> new FailingEngine(engine, ids -> toFail.getAndDecrement() > 0));
            kafka.submit(List.of(WorkerHarness.request("once", null, "Hello there", 4)));

            List<ResultEvent> results = awaitResult(kafka, "once");
            List<ConsumerRecord<String, byte[]>> retries = records(kafka, Topics.retry(MODEL, 300).name());
            assertThat(retries).hasSize(1);
            long due = number(retries.get(0), Headers.RETRY_DUE);
            assertThat(number(retries.get(0), Headers.RETRY_ATTEMPTS)).isEqualTo(1);
            assertThat(header(retries.get(0), Headers.DLT_REASON)).contains("injected");
            assertThat(due - retries.get(0).timestamp()).as("due one tier after it was written").isBetween(100L, 300L);

            assertThat(results).as("exactly one result").hasSize(1);
            ResultEvent r = results.get(0);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.completedAt()).as("generated again no sooner than due").isGreaterThanOrEqualTo(due);
            assertThat(records(kafka, Topics.deadLetter(MODEL).name())).isEmpty();
            assertThat(records(kafka, Topics.retry(MODEL, 900).name())).isEmpty();
        }
    }

    @Test
    void aRequestThatFailsOnEveryTierLandsInTheDeadLetterTopicWithOneFinalError() throws Exception {
        try (WorkerHarness kafka = WorkerHarness.start(dir, DELAYS_MS)) {
            AtomicInteger toFail = new AtomicInteger(Integer.MAX_VALUE);
            kafka.startWorker(RETRIES, new SimpleMeterRegistry(), engine -> new FailingEngine(engine, ids -> toFail.getAndDecrement() > 0));
            kafka.submit(List.of(WorkerHarness.request("always", null, "Hello there", 4)));

            List<ResultEvent> results = awaitResult(kafka, "always");
            List<ConsumerRecord<String, byte[]>> dead = records(kafka, Topics.deadLetter(MODEL).name());
            assertThat(dead).hasSize(1);
            assertThat(dead.get(0).key()).isEqualTo("always");
            assertThat(number(dead.get(0), Headers.RETRY_ATTEMPTS)).isEqualTo(3);
            List<ConsumerRecord<String, byte[]>> tier2 = records(kafka, Topics.retry(MODEL, 900).name());
            assertThat(records(kafka, Topics.retry(MODEL, 300).name())).hasSize(1);
            assertThat(tier2).hasSize(1);
            assertThat(dead.get(0).timestamp()).as("the last tier waited for its due time")
                    .isGreaterThanOrEqualTo(number(tier2.get(0), Headers.RETRY_DUE));

            Thread.sleep(1_000); // time for a second result, were there one
            results = WorkerHarness.committedResults(kafka.bootstrapServers()).get("always");
            assertThat(results).as("exactly one result").hasSize(1);
            assertThat(results.get(0).error().code()).isEqualTo(ErrorCodes.GENERATION_FAILED);
            assertThat(results.get(0).error().message()).contains("failed 3 times").contains("injected");
        }
    }

    private static List<ResultEvent> awaitResult(WorkerHarness kafka, String id) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            List<ResultEvent> r = kafka.committedResults().get(id);
            if (r != null) {
                return r;
            }
            assertThat(System.currentTimeMillis()).as("a result for " + id).isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    private static List<ConsumerRecord<String, byte[]>> records(WorkerHarness kafka, String topic) {
        List<ConsumerRecord<String, byte[]>> all = new ArrayList<>();
        TopicScan.toEnd(kafka.bootstrapServers(), topic, all::add);
        return all;
    }

    private static String header(ConsumerRecord<String, byte[]> r, String name) {
        return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private static long number(ConsumerRecord<String, byte[]> r, String name) {
        return Long.parseLong(header(r, name));
    }
}
