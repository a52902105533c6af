package io.millrace.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.worker.model.DecoderModel;
import io.millrace.worker.model.TinyModel;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
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
}
