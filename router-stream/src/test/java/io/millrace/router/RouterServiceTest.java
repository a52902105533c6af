package io.millrace.router;

import io.millrace.protocol.Topics;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RouterServiceTest {
    @TempDir
    Path stateDir;

    @Test
    void configuresExactlyOnceWithStableIdentityAndDeadLetteringHandlers() {
        Properties p = RouterService.streamsConfig("broker:9092", stateDir, Map.of());

        // The defaults every stream stage shares are StreamsSettingsTest's; these are the router's.
        assertThat(p).containsEntry(StreamsConfig.APPLICATION_ID_CONFIG, "millrace-router")
                .containsEntry(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2)
                .containsEntry(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                        DeadLetterDeserializationHandler.class)
                .containsEntry(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterProcessingHandler.class)
                .containsEntry(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, Topics.REQUESTS_DLT.name())
                .containsEntry(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
                        LogAndFailProductionExceptionHandler.class);
        // StreamsConfig accepts it as a whole, and EOS implies read_committed consumers.
        StreamsConfig config = new StreamsConfig(p);
        assertThat(config.getMainConsumerConfigs("g", "c", 0)).containsEntry("isolation.level", "read_committed");
    }

    @Test
    void letsOverridesWin() {
        Map<String, Object> overrides = new HashMap<>();
        overrides.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 4);
        overrides.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 50);

        Properties p = RouterService.streamsConfig("broker:9092", stateDir, overrides);

        assertThat(p).containsEntry(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 4)
                .containsEntry(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 50);
    }

    @Test
    void rejectsMissingSettingsNamingTheFix() {
        assertThatThrownBy(() -> RouterService.streamsConfig(" ", stateDir, Map.of()))
                .hasMessageContaining("host:port");
        assertThatThrownBy(() -> RouterService.streamsConfig("b:9092", null, Map.of()))
                .hasMessageContaining("persists across restarts");
        Map<String, Object> withNull = new HashMap<>();
        withNull.put("num.stream.threads", null);
        assertThatThrownBy(() -> RouterService.streamsConfig("b:9092", stateDir, withNull))
                .hasMessageContaining("remove it");
    }

    @Test
    void withNoBrokerStartFailsOnceTheGlobalStoresCannotBeReadAndAwaitRunningSaysSo() {
        // The router always has a global store (model health), and KafkaStreams.start() returns only
        // once global stores are read to their end: with no broker, that fails after task.timeout.ms
        // (5 minutes by default; 1 s here).
        try (RouterService router = new RouterService("localhost:1", stateDir, new RouterConfig(Requests.CATALOG),
                Map.of(StreamsConfig.TASK_TIMEOUT_MS_CONFIG, 1_000))) {
            assertThatThrownBy(() -> router.awaitRunning(Duration.ofMillis(10)))
                    .hasMessageContaining("call start()");

            assertThatThrownBy(router::start).hasMessageContaining("GlobalStreamThread");

            assertThatThrownBy(() -> router.awaitRunning(Duration.ofMillis(300)))
                    .isInstanceOf(IllegalStateException.class);
        }
    }
}
