package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.Json;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.protocol.events.WebhookEndpoint;
import io.millrace.protocol.webhooks.WebhookEventIds;
import io.millrace.protocol.webhooks.WebhookSecrets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No webhook event lost when the dispatcher is killed while events wait for a retry:
 *
 * <pre>
 *   results r0 ... r29 (tenant t) ─▶ webhooks process A: derives, fans out, attempt 1 ─▶ 503
 *                                    each forwarded to ...-retry-3000, due 3 s later
 *   A ──────────────── X kill -9 (no leave-group; offsets of what it was doing not committed)
 *   webhooks process B ── takes the groups over once A's sessions expire; reads the tiers
 *                         from the last committed offsets ─▶ attempt 2 ─▶ 200
 *   receiver (idempotent on webhook-id, standardwebhooks verification): all 30 accepted, each once
 * </pre>
 */
class WebhooksChaosIT {
    private static final int EVENTS = 30;

    @TempDir
    Path dir;

    @Test
    void killingTheDispatcherLosesNoEvent() throws Exception {
        Path jar = Path.of("target", "millrace.jar").toAbsolutePath();
        if (!Files.exists(jar)) {
            fail(jar + " is missing: the chaos test runs the shaded jar, built by mvn package (mvn verify builds it first)");
        }
        Map<String, Object> set = Map.of("webhooks.retry.delays", "3s,4s", "webhooks.allow.private", "true");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("broker"), 0);
                WebhookReceiver receiver = WebhookReceiver.start();
                // Creates the topics (the webhooks tiers of these delays included); runs no stage.
                Deployment topics = Deployment.connect(new Settings(broker.bootstrapServers(), dir.resolve("client"), 0, 0, List.of(),
                        null, -1, set));
                KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        broker.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer())) {
            String bootstrap = broker.bootstrapServers();
            String secret = WebhookSecrets.generate();
            WebhookEndpoint endpoint = new WebhookEndpoint("whep_c4a05", "t", receiver.base() + "/ok/chaos",
                    List.of("request.completed"), null, List.of(new WebhookEndpoint.Secret(secret, null)), System.currentTimeMillis(),
                    null, null);
            producer.send(new ProducerRecord<>(Topics.WEBHOOK_ENDPOINTS.name(), endpoint.id(),
                    Topics.WEBHOOK_ENDPOINT_SERDE.serializer().serialize(Topics.WEBHOOK_ENDPOINTS.name(), endpoint))).get();
            receiver.configure("{\"path\": \"/ok/chaos\", \"secrets\": [\"" + secret + "\"], \"failFirst\": 1}");

            Process a = startDispatcher(jar, bootstrap, "a");
            Process b = null;
            try {
                Set<String> expected = new TreeSet<>();
                for (int i = 0; i < EVENTS; i++) {
                    String rid = "chaos:" + i;
                    ResultEvent r = new ResultEvent(rid, "chaos", Integer.toString(i), (long) i, "m", 200, Json.object(), null, true,
                            System.currentTimeMillis(), null, "t");
                    producer.send(new ProducerRecord<>(Topics.RESULTS.name(), rid,
                            Topics.RESULT_SERDE.serializer().serialize(Topics.RESULTS.name(), r))).get();
                    expected.add(WebhookEventIds.forRequest(rid, "request.completed"));
                }
                // Every event has had its first attempt (503): all are now on the retry tier or on their way there.
                receiver.await(s -> s.get("attempts").size() >= EVENTS, Duration.ofSeconds(120));
                assertThat(receiver.state().get("accepted")).as("accepted before the kill").isEmpty();
                a.destroyForcibly(); // SIGKILL
                a.waitFor();
                b = startDispatcher(jar, bootstrap, "b");
                // B gets the partitions once A's consumer sessions (45 s) expire.
                JsonNode state = receiver.await(s -> s.get("accepted").size() >= EVENTS, Duration.ofSeconds(180));
                assertThat(state.get("problems")).as("deliveries that did not verify").isEmpty();
                assertThat(state.get("accepted").fieldNames()).toIterable().containsExactlyInAnyOrderElementsOf(expected);
            } finally {
                a.destroyForcibly();
                if (b != null) {
                    b.destroyForcibly();
                }
            }
        }
    }

    private Process startDispatcher(Path jar, String bootstrap, String name) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-jar", jar.toString(), "serve", "--roles", "webhooks", "--bootstrap-servers", bootstrap,
                "--data-dir", dir.resolve(name).toString(), "--metrics-port", "-1", "--http-port", "0",
                "--set", "webhooks.retry.delays=3s,4s", "--set", "webhooks.allow.private=true")
                .redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
    }
}
