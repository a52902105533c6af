package io.millrace.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** No broker: port 1 never answers, so the client stays REBALANCING once started. */
class StreamsStageTest {
    @TempDir
    Path stateDir;

    private StreamsStage stage() {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream("test.in").to("test.out");
        Topology topology = builder.build();
        return new StreamsStage("test stage", "test.in", topology,
                new StreamsSettings("millrace-test", Map.of()).properties("localhost:1", stateDir, null));
    }

    @Test
    void awaitRunningSaysWhatToCheck() {
        try (StreamsStage stage = stage()) {
            assertThatThrownBy(() -> stage.awaitRunning(Duration.ofMillis(10)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("test stage was not started: call start() before awaitRunning()");

            stage.start();

            assertThatThrownBy(() -> stage.awaitRunning(Duration.ofMillis(300)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("test stage not RUNNING after PT0.3S (state REBALANCING)")
                    .hasMessageContaining("brokers at localhost:1")
                    .hasMessageContaining("that test.in exist")
                    .hasMessageEndingWith("last stream-thread failure: none recorded");
        }
    }

    @Test
    void awaitRunningAfterCloseSaysItWasClosed() {
        StreamsStage stage = stage();
        stage.start();
        stage.close();

        assertThat(stage.state()).isEqualTo(KafkaStreams.State.NOT_RUNNING);
        assertThatThrownBy(() -> stage.awaitRunning(Duration.ofSeconds(1)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("test stage was closed before it was RUNNING");
    }

    @Test
    void awaitRunningKeepsTheInterrupt() {
        try (StreamsStage stage = stage()) {
            stage.start();
            Thread.currentThread().interrupt();

            assertThatThrownBy(() -> stage.awaitRunning(Duration.ofSeconds(5)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("interrupted while waiting for the test stage")
                    .hasCauseInstanceOf(InterruptedException.class);
            assertThat(Thread.interrupted()).isTrue();
        }
    }
}
