package io.millrace.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamsSettingsTest {
    private static final StreamsSettings SETTINGS = new StreamsSettings("millrace-test", Map.of(
            StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class,
            StreamsConfig.NUM_STREAM_THREADS_CONFIG, 2));

    @TempDir
    Path stateDir;

    @Test
    void sharesExactlyOnceDefaultsAndAddsTheStagesOwn() {
        Properties p = SETTINGS.properties("broker:9092", stateDir, null);

        assertThat(p).containsEntry(StreamsConfig.APPLICATION_ID_CONFIG, "millrace-test")
                .containsEntry(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "broker:9092")
                .containsEntry(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString())
                .containsEntry(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2)
                .containsEntry(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1)
                .containsEntry(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 20)
                .containsEntry(StreamsConfig.POLL_MS_CONFIG, 5)
                .containsEntry(StreamsConfig.producerPrefix("max.in.flight.requests.per.connection"), 1)
                .containsEntry(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                        LogAndContinueExceptionHandler.class);
        assertThat(StreamsSettings.exactlyOnce(p)).isTrue();
        // StreamsConfig accepts it as a whole, and EOS implies read_committed consumers.
        StreamsConfig config = new StreamsConfig(p);
        assertThat(config.getMainConsumerConfigs("g", "c", 0)).containsEntry("isolation.level", "read_committed");
        // The producer Kafka Streams builds gets one request in flight, and keeps idempotence (which allows up to 5).
        assertThat(config.getProducerConfigs("c")).containsEntry("max.in.flight.requests.per.connection", 1);
    }

    @Test
    void letsOverridesWinOverSharedAndStageSettings() {
        Properties p = SETTINGS.properties("broker:9092", stateDir, Map.of(
                StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 50,
                StreamsConfig.NUM_STREAM_THREADS_CONFIG, 4,
                StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE));

        assertThat(p).containsEntry(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 50)
                .containsEntry(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 4);
        assertThat(StreamsSettings.exactlyOnce(p)).isFalse();
    }

    @Test
    void rejectsMissingSettingsNamingTheFix() {
        assertThatThrownBy(() -> SETTINGS.properties(" ", stateDir, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host:port");
        assertThatThrownBy(() -> SETTINGS.properties("b:9092", null, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("persists across restarts");
        Map<String, Object> withNull = new HashMap<>();
        withNull.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, null);
        assertThatThrownBy(() -> SETTINGS.properties("b:9092", stateDir, withNull))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("remove it");
        assertThatThrownBy(() -> new StreamsSettings(" ", Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("application id");
    }
}
