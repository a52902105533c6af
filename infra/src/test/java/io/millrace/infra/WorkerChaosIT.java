package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.millrace.protocol.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once results across a worker crash: two worker processes share a batch, one is killed
 * with SIGKILL in the middle of it, and every request must have exactly one committed result.
 *
 * <pre>
 *   requests:  r0 ... r199 ─▶ router (this JVM) ─▶ millrace.gen.millrace-tiny (6 partitions)
 *   worker A (process) ──── generating, committing ──── X kill -9 (open transaction lost)
 *   worker B (process) ──── generating, committing ───────────── takes A's partitions after its
 *                                                                 session times out; redoes A's
 *                                                                 uncommitted requests
 *   reader (read_committed): every request id exactly once, nothing lost, nothing duplicated
 * </pre>
 */
class WorkerChaosIT {
    private static final int REQUESTS = 200;

    @TempDir
    Path dir;

    @Test
    void killingAWorkerMidBatchLosesNothingAndDuplicatesNothing() throws Exception {
        Path jar = Path.of("target", "millrace.jar").toAbsolutePath();
        if (!Files.exists(jar)) {
            fail(jar + " is missing: the chaos test runs the shaded jar, built by mvn package (mvn verify builds it first)");
        }
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("broker"), 0);
                Deployment router = Deployment.start(new Settings(broker.bootstrapServers(), dir.resolve("router"), 0, 0,
                        List.of(), null), EnumSet.of(Role.ROUTER))) {
            String bootstrap = broker.bootstrapServers();
            router.awaitRunning(Duration.ofSeconds(60));
            Process a = startWorker(jar, bootstrap, "chaos-a");
            Process b = startWorker(jar, bootstrap, "chaos-b");
            try {
                Set<String> expected = submit(bootstrap);
                // Kill A once the batch is well under way: some results committed, most still to come.
                long deadline = System.currentTimeMillis() + 120_000;
                while (committedResults(bootstrap).values().stream().mapToInt(Integer::intValue).sum() < REQUESTS / 5) {
                    assertThat(System.currentTimeMillis()).as(() -> "results before the kill; worker A's log:\n" + tail("chaos-a"))
                            .isLessThan(deadline);
                    Thread.sleep(200);
                }
                a.destroyForcibly(); // SIGKILL: no leave-group, no abort of the open transaction
                assertThat(a.waitFor(10, TimeUnit.SECONDS)).isTrue();
                int atKill = committedResults(bootstrap).size();
                assertThat(atKill).as("the kill came in the middle of the batch").isLessThan(REQUESTS);

                Map<String, Integer> counts = committedResults(bootstrap);
                while (!counts.keySet().containsAll(expected) && System.currentTimeMillis() < deadline + 120_000) {
                    Thread.sleep(500);
                    counts = committedResults(bootstrap);
                }
                assertThat(counts.keySet()).as(() -> "a committed result for every request; worker B's log:\n" + tail("chaos-b"))
                        .containsAll(expected);
                assertThat(counts.keySet()).as("no result for anything not asked").hasSameElementsAs(expected);
                Map<String, Integer> duplicated = counts.entrySet().stream().filter(e -> e.getValue() != 1)
                        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
                assertThat(duplicated).as("requests with more than one committed result").isEmpty();
                assertThat(b.isAlive()).as(() -> "the surviving worker; its log:\n" + tail("chaos-b")).isTrue();
            } finally {
                a.destroyForcibly();
                b.destroy();
                b.waitFor(20, TimeUnit.SECONDS);
                b.destroyForcibly();
            }
        }
    }

    private Process startWorker(Path jar, String bootstrap, String id) throws IOException {
        Path log = dir.resolve(id + ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-jar", jar.toString(), "serve", "--roles", "worker", "--bootstrap-servers", bootstrap,
                "--instance-id", id, "--data-dir", dir.resolve(id).toString(), "--metrics-port", "0")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private Set<String> submit(String bootstrap) throws Exception {
        Set<String> ids = new TreeSet<>();
        try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap, "acks", "all"),
                new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < REQUESTS; i++) {
                String id = "chaos-" + i;
                ids.add(id);
                String event = "{\"request_id\":\"" + id + "\",\"custom_id\":\"" + id + "\",\"batch_id\":\"chaos\","
                        + "\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"millrace-tiny\",\"messages\":"
                        + "[{\"role\":\"user\",\"content\":\"Request number " + i + "\"}],\"max_tokens\":48,\"temperature\":0}}";
                p.send(new ProducerRecord<>(Topics.REQUESTS.name(), id, event));
            }
        }
        return ids;
    }

    /** Committed result records per request id, from the start of the results topic. */
    private static Map<String, Integer> committedResults(String bootstrap) {
        Map<String, Integer> counts = new HashMap<>();
        WorkerHarness.committedResults(bootstrap).forEach((id, results) -> counts.put(id, results.size()));
        return counts;
    }

    /** The end of a worker's log, for failure messages. */
    private String tail(String id) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve(id + ".log"), StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
