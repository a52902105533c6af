package io.millrace.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.worker.model.ChatMessage;
import io.millrace.worker.model.Completion;
import io.millrace.worker.model.CompletionEngine;
import io.millrace.worker.model.DecoderModel;
import io.millrace.worker.model.SamplingParams;
import io.millrace.worker.model.build.TinyModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The clients' settings the worker's guarantees rest on. */
class WorkerServiceTest {
    @TempDir
    static Path dir;
    static DecoderModel model;

    @BeforeAll
    static void load() throws Exception {
        TinyModel.write(dir.resolve(TinyModel.NAME));
        model = DecoderModel.load(dir.resolve(TinyModel.NAME));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static WorkerService service(String instanceId, Map<String, Object> overrides) {
        return new WorkerService("localhost:1", Map.of(model.name(), model), instanceId, overrides);
    }

    @Test
    void theGroupConsumerIsTransactionalFriendlyStaticAndBoundedByTheInFlightLimit() {
        Properties c = service("w1", Map.of("consumer.max.poll.interval.ms", 1000, WorkerConfig.MAX_IN_FLIGHT, 7)).consumerConfig();
        assertThat(c).containsEntry(ConsumerConfig.GROUP_ID_CONFIG, WorkerService.GROUP_ID)
                .containsEntry(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "w1")
                .containsEntry(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
                .containsEntry(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false)
                .containsEntry(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 7)
                .containsEntry(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 1000);
        assertThat(service(null, Map.of()).consumerConfig()).doesNotContainKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);

        Properties p = service("w1", Map.of()).producerConfig();
        assertThat(p).containsEntry(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "millrace-worker-w1");
    }

    @Test
    void theCancellationReaderReadsEverythingInNoGroup() {
        Properties b = service("w1", Map.of("consumer.security.protocol", "SSL")).batchesConsumerConfig();
        assertThat(b).doesNotContainKeys(ConsumerConfig.GROUP_ID_CONFIG, ConsumerConfig.GROUP_INSTANCE_ID_CONFIG)
                .containsEntry(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
                .containsEntry("security.protocol", "SSL");
    }

    @Test
    void badWorkerSettingsStopTheStartWithTheKeyToFix() {
        assertThatThrownBy(() -> service("w1", Map.of(WorkerConfig.ENGINE, "warp")))
                .hasMessageContaining(WorkerConfig.ENGINE);
    }

    @Test
    void exactlyOnceBreakingClientOverridesStopTheStart() {
        assertThatThrownBy(() -> service("w1", Map.of("producer.transactional.id", "shared")))
                .hasMessageContaining("producer.transactional.id=shared is refused");
    }

    @Test
    void theBatchSizeSettingReachesTheEngine() throws Exception {
        // With one row the second request starts only once the first has finished: all of the
        // first's text comes before any of the second's. With two rows they decode side by side.
        assertThat(textOrder(WorkerConfig.from(Map.of(WorkerConfig.MAX_BATCH_SIZE, 1)))).isSorted();
        List<Integer> sideBySide = textOrder(WorkerConfig.from(Map.of(WorkerConfig.MAX_BATCH_SIZE, 2)));
        assertThat(sideBySide).as("the second's text comes while the first still generates")
                .isNotEqualTo(sideBySide.stream().sorted().toList());
    }

    /** Which request (0 or 1) each piece of streamed text came from, in the order it came. */
    private static List<Integer> textOrder(WorkerConfig config) throws Exception {
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        int[][] prompts = new int[2][];
        for (int r = 0; r < 2; r++) {
            prompts[r] = model.encodeChat(List.of(new ChatMessage("user", "Tell me about the mill, part " + r)));
        }
        // The first request's first text waits for the second's submit, so the first cannot be done before
        // the second arrives, however fast the engine is.
        CountDownLatch bothSubmitted = new CountDownLatch(1);
        try (CompletionEngine engine = WorkerService.newEngine(config, model)) {
            CompletableFuture<Completion> first = engine.submit(prompts[0], SamplingParams.greedy(12).withListener(text -> {
                order.add(0);
                awaitQuietly(bothSubmitted);
            }));
            CompletableFuture<Completion> second = engine.submit(prompts[1], SamplingParams.greedy(12).withListener(text -> order.add(1)));
            bothSubmitted.countDown();
            first.get(60, TimeUnit.SECONDS);
            second.get(60, TimeUnit.SECONDS);
        }
        assertThat(order).as("both requests streamed text").contains(0, 1);
        return List.copyOf(order);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
