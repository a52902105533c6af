package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.Topics;
import io.millrace.protocol.events.HealthEvent;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.worker.model.build.TinyModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fallback chain on the real broker, every part as deployed: a router serving model-a and model-b
 * with {@code fallbacks: {model-a: [model-b]}}, and one worker process per model (each a
 * {@code serve --roles worker} of one model, here in this JVM), publishing heartbeats.
 *
 * <pre>
 *   worker A ──── serving ────X stopped (goodbye)                 ┌── started again ────────────────
 *   worker B ──── serving ─────────────────────────────────────────────────────────────────────────
 *   requests:  up-*: to A      │ dead.after (2 s) │ down-*: to B, "fallback: model-a circuit open"
 *                                                            │ probe-*: until one reaches A │ back-*: to A
 *   reader (read_committed): every request id exactly once, nothing lost, nothing duplicated
 * </pre>
 */
class FallbackChainIT {
    private static final String A = "model-a";
    private static final String B = "model-b";
    /** Short times, so the test sees a circuit open and close in seconds. */
    private static final Map<String, Object> FAST = Map.of("router.health.dead.after", "2s", "router.health.probe.interval", "200ms",
            "router.health.release.interval", "200ms", "worker.health.interval.ms", "200", "cache.enabled", "false");

    @TempDir
    Path dir;

    @Test
    void aStoppedModelIsAnsweredByItsFallbackWithTheReasonThenByItselfOnceBack() throws Exception {
        Path a = dir.resolve("models").resolve(A);
        Path b = dir.resolve("models").resolve(B);
        TinyModel.write(a);
        TinyModel.write(b);
        DeploymentConfig chain = new DeploymentConfig(null, List.of(), Map.of(), Map.of(A, List.of(B)),
                DeploymentConfig.AutoRouting.OFF, Map.of(), Map.of());
        Set<String> asked = new LinkedHashSet<>();
        try (TestKafka kafka = TestKafka.start(dir.resolve("broker"))) {
            String bootstrap = kafka.bootstrapServers();
            Settings routerSettings = new Settings(bootstrap, dir.resolve("router"), 0, 0, List.of(a, b), null, -1, FAST, false,
                    Duration.ofSeconds(60), chain);
            try (Deployment router = Deployment.start(routerSettings, EnumSet.of(Role.ROUTER));
                    Deployment workerB = worker(bootstrap, b, "worker-b");
                    KafkaProducer<String, RequestEvent> producer = ChatRequests.producer(bootstrap)) {
                router.awaitRunning(Duration.ofSeconds(60));

                Map<String, ResultEvent> up;
                try (Deployment workerA = worker(bootstrap, a, "worker-a")) {
                    up = ChatRequests.answers(bootstrap, submit(producer, "up", 6, asked));
                }
                assertThat(up.values()).allSatisfy(r -> {
                    assertThat(r.model()).isEqualTo(A);
                    assertThat(r.route().reason()).isEqualTo("direct");
                });

                // Worker A stopped: once dead.after has passed, A's circuit is open.
                Thread.sleep(3_000);
                Map<String, ResultEvent> down = ChatRequests.answers(bootstrap, submit(producer, "down", 6, asked));
                assertThat(down.values()).allSatisfy(r -> {
                    assertThat(r.succeeded()).isTrue();
                    assertThat(r.model()).isEqualTo(B);
                    assertThat(r.route().requested()).isEqualTo(A);
                    assertThat(r.route().model()).isEqualTo(B);
                    assertThat(r.route().reason()).startsWith("fallback: model-a circuit open (no live worker for ");
                    assertThat(r.body().get("route").get("reason").asText()).isEqualTo(r.route().reason());
                });

                try (Deployment workerA = worker(bootstrap, a, "worker-a-again")) {
                    // Half-open: probes reach A (one per interval), the rest still go to B, until a
                    // heartbeat reports a probe generated; then every request goes to A again.
                    long deadline = System.currentTimeMillis() + 60_000;
                    for (int i = 0; ; i++) {
                        ResultEvent probe = ChatRequests.answers(bootstrap, submit(producer, "probe-" + i, 1, asked)).values().iterator().next();
                        if (probe.model().equals(A)) {
                            break;
                        }
                        assertThat(System.currentTimeMillis()).as("a probe reached model-a within 60 s").isLessThan(deadline);
                        Thread.sleep(200);
                    }
                    Thread.sleep(1_000); // a heartbeat (every 200 ms) reports the probe's success
                    Map<String, ResultEvent> back = ChatRequests.answers(bootstrap, submit(producer, "back", 6, asked));
                    assertThat(back.values()).allSatisfy(r -> {
                        assertThat(r.model()).isEqualTo(A);
                        assertThat(r.route().reason()).isEqualTo("direct");
                    });
                }
            }
            // The workers' reports that drove it: heartbeats of both models, and worker A's goodbyes.
            List<HealthEvent> reports = new java.util.ArrayList<>();
            TopicScan.toEnd(bootstrap, Topics.HEALTH.name(), r -> reports.add(Topics.HEALTH_SERDE.deserializer()
                    .deserialize(r.topic(), r.value())));
            assertThat(reports).extracting(HealthEvent::model).contains(A, B);
            assertThat(reports).filteredOn(h -> h.model().equals(A) && !h.live()).hasSize(2);
            assertThat(reports).filteredOn(h -> h.model().equals(A)).extracting(HealthEvent::completed)
                    .as("generations of A reported").anyMatch(n -> n > 0);

            // Nothing lost, nothing duplicated: exactly one committed result per request id asked.
            Map<String, List<ResultEvent>> all = WorkerHarness.committedResults(bootstrap);
            assertThat(all.keySet()).isEqualTo(asked);
            Map<String, Integer> duplicated = all.entrySet().stream().filter(e -> e.getValue().size() != 1)
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().size()));
            assertThat(duplicated).as("requests with more than one committed result").isEmpty();
        }
    }

    /** A worker process's roles, serving only {@code model}, heartbeats every 200 ms; a random instance id, so a stop leaves the group. */
    private Deployment worker(String bootstrap, Path model, String name) throws Exception {
        Settings s = new Settings(bootstrap, dir.resolve(name), 0, 0, List.of(model), null, -1, FAST);
        Deployment d = Deployment.start(s, EnumSet.of(Role.WORKER));
        return d;
    }

    /** Submits {@code n} requests of one batch for model-a, ids {@code <prefix>-<i>}, and adds them to {@code asked}. */
    private static Set<String> submit(KafkaProducer<String, RequestEvent> producer, String prefix, int n, Set<String> asked)
            throws Exception {
        Set<String> ids = ChatRequests.submit(producer, "fallback-it", prefix, A, n);
        asked.addAll(ids);
        return ids;
    }
}
