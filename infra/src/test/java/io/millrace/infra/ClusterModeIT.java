package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scale-out shape: the stages run as a long-lived {@code serve} on a cluster, and
 * {@code batch --bootstrap-servers} only submits and collects, starting no broker and no stage.
 */
class ClusterModeIT {
    @TempDir
    Path dir;

    @Test
    void batchAgainstAClusterUsesTheClustersRunningStages() throws Exception {
        try (TestKafka kafka = TestKafka.start(dir.resolve("broker"))) {
            // The serving worker runs the batch-size-1 engine, as --set worker.engine=sequential asks.
            Settings serveSettings = new Settings(kafka.bootstrapServers(), dir.resolve("serve"), 0, 0, List.of(), "cluster-it",
                    -1, java.util.Map.of("worker.engine", "sequential"));
            try (Deployment serve = Deployment.start(serveSettings, EnumSet.allOf(Role.class))) {
                serve.awaitRunning(Duration.ofSeconds(60));
                Path input = dir.resolve("cluster.jsonl");
                Files.writeString(input, String.join("\n",
                        "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"millrace-tiny\","
                                + "\"messages\":[{\"role\":\"user\",\"content\":\"One\"}],\"max_tokens\":5}}",
                        "{\"custom_id\":\"b\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"millrace-tiny\","
                                + "\"messages\":[{\"role\":\"user\",\"content\":\"Two\"}],\"max_tokens\":5}}",
                        "{\"custom_id\":\"c\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"nope\","
                                + "\"messages\":[{\"role\":\"user\",\"content\":\"Three\"}]}}") + "\n");
                // The client process has its own data dir: it shares nothing with serve but the cluster.
                BatchCommand.Outcome outcome = Commands.parse(BatchCommand.class, "batch", input.toString(),
                        "--bootstrap-servers", kafka.bootstrapServers(), "--data-dir", dir.resolve("client").toString()).run();
                assertThat(outcome.completed()).isEqualTo(2);
                assertThat(outcome.failed()).isEqualTo(1);
                assertThat(outcome.generatedNow()).isEqualTo(2);
                assertThat(Files.readAllLines(outcome.output())).hasSize(2);
                assertThat(Files.readString(outcome.errors())).contains("model_not_found");
                // No broker was started by the client: its data dir holds no Kafka log.
                assertThat(dir.resolve("client").resolve("kafka")).doesNotExist();
            }
        }
    }
}
