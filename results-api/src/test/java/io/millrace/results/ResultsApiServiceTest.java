package io.millrace.results;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultsApiServiceTest {
    @TempDir
    Path stateDir;

    @Test
    void streamsConfigHasTheStageDefaults() {
        Properties p = ResultsApiService.streamsConfig("k:9092", stateDir, Map.of());

        assertThat(p).containsEntry(StreamsConfig.APPLICATION_ID_CONFIG, "millrace-results-api")
                .containsEntry(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "k:9092")
                .containsEntry(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString())
                .containsEntry(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2)
                .containsEntry(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 20)
                .containsEntry(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1)
                .containsEntry(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                        LogAndContinueExceptionHandler.class);
        // Kafka accepts the whole set.
        new StreamsConfig(p);
    }

    @Test
    void overridesWin() {
        Properties p = ResultsApiService.streamsConfig("k:9092", stateDir,
                Map.of(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000, StreamsConfig.APPLICATION_ID_CONFIG, "other"));

        assertThat(p).containsEntry(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000)
                .containsEntry(StreamsConfig.APPLICATION_ID_CONFIG, "other");
    }

    @Test
    void rejectsAGuaranteeThatWouldServeUncommittedResults() {
        assertThatThrownBy(() -> new ResultsApiService("k:9092", stateDir, 0,
                Map.of(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("remove the override");
    }

    @Test
    void rejectsANullOverride() {
        java.util.Map<String, Object> overrides = new java.util.HashMap<>();
        overrides.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, null);

        assertThatThrownBy(() -> ResultsApiService.streamsConfig("k:9092", stateDir, overrides))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("remove it");
    }

    @Test
    void rejectsAnOutOfRangePort() {
        assertThatThrownBy(() -> new ResultsApiService("k:9092", stateDir, 70_000, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 (any free port)");
    }

    @Test
    void readsAreNotReadyBeforeStartAndTheHttpPortIsBoundByStart() throws Exception {
        try (ResultsApiService service = new ResultsApiService("localhost:1", stateDir, 0, Map.of())) {
            assertThatThrownBy(() -> service.view().batch("b1")).isInstanceOf(NotReadyException.class);
            assertThatThrownBy(service::httpPort).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> service.awaitRunning(Duration.ofMillis(10)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("call start()");
        }
    }
}
