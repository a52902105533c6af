package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.remote.RemoteModel;
import io.millrace.remote.ScriptedServer;
import io.millrace.worker.model.build.TinyModel;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Remote models on the real broker against real HTTP servers on loopback: another Millrace's API
 * (keys required) as an OpenAI-compatible provider, and {@link ScriptedServer}, a provider that
 * fails on a schedule (an outage, a slow answer), which a real one does only when in trouble.
 * Every test ends on sets: each request asked has exactly one committed result.
 */
class RemoteModelsIT {
    private static final String A = "model-a";
    private static final Map<String, Object> FAST = Map.of("router.health.dead.after", "2s", "router.health.probe.interval", "200ms",
            "router.health.release.interval", "200ms", "worker.health.interval.ms", "200", "cache.enabled", "false",
            "router.health.failures", "2", "router.health.cooldown", "1s", "worker.retry.delays", "200ms");

    @TempDir
    Path dir;

    private final Set<String> asked = new LinkedHashSet<>();

    /**
     * local → remote: model-a's chain is [far], far being another Millrace's API. With model-a's
     * worker stopped, far answers, with the reason, the provider's usage and the configured price;
     * the key (an environment variable of the remote role) is in no topic and no log line.
     */
    @Test
    void aLocalModelsChainReachesARemoteProviderWhenItsWorkerIsGoneAndTheKeyIsNowhere() throws Exception {
        Path a = model(A);
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream logs = new ByteArrayOutputStream();
        Path providerDir = dir.resolve("provider");
        try (RunningServe provider = RunningServe.start(providerDir, bootstrap -> new Settings(bootstrap, providerDir, 0, 0,
                List.of(), "provider", -1, Map.of("cache.enabled", "false")).withApi(true, Duration.ofSeconds(60)));
                TestKafka kafka = TestKafka.start(dir.resolve("broker"))) {
            String providerUrl = "http://127.0.0.1:" + provider.deployment().api().orElseThrow().httpPort();
            String key = providerKey(provider.deployment().bootstrapServers(), providerDir, providerUrl);
            System.setOut(new PrintStream(new Tee(out, logs), true));
            System.setErr(new PrintStream(new Tee(err, logs), true));
            RemoteModel far = new RemoteModel("far", URI.create(providerUrl + "/v1"), "FAR_KEY", TinyModel.NAME, 1.5, 6.0, 4,
                    Duration.ofSeconds(30), 3, 0);
            DeploymentConfig cfg = config(far, Map.of(A, List.of("far")));
            String bootstrap = kafka.bootstrapServers();
            try (Deployment router = Deployment.start(settings(bootstrap, "router", a, cfg), EnumSet.of(Role.ROUTER));
                    Deployment remote = Deployment.start(settings(bootstrap, "remote", a, cfg), EnumSet.of(Role.REMOTE),
                            Map.of("FAR_KEY", key));
                    KafkaProducer<String, RequestEvent> producer = ChatRequests.producer(bootstrap)) {
                router.awaitRunning(Duration.ofSeconds(60));
                try (Deployment workerA = Deployment.start(settings(bootstrap, "worker-a", a, DeploymentConfig.EMPTY),
                        EnumSet.of(Role.WORKER))) {
                    assertThat(ChatRequests.answers(bootstrap, submit(producer, "up", A, 3)).values()).allSatisfy(r -> {
                        assertThat(r.model()).isEqualTo(A);
                        assertThat(r.route().reason()).isEqualTo("direct");
                    });
                }
                Thread.sleep(3_000); // dead.after: model-a's circuit opens
                assertThat(ChatRequests.answers(bootstrap, submit(producer, "down", A, 4)).values()).allSatisfy(r -> {
                    assertThat(r.succeeded()).as("%s", r).isTrue();
                    assertThat(r.model()).isEqualTo("far");
                    assertThat(r.route().reason()).startsWith("fallback: model-a circuit open");
                    assertThat(r.body().path("model").asText()).isEqualTo("far");
                    assertThat(r.body().path("route").path("reason").asText()).isEqualTo(r.route().reason());
                    long prompt = r.body().path("usage").path("prompt_tokens").asLong();
                    long completion = r.body().path("usage").path("completion_tokens").asLong();
                    assertThat(prompt).isPositive();
                    assertThat(r.costUsd()).isEqualTo((prompt * 1.5 + completion * 6.0) / 1e6);
                });
            } finally {
                System.setOut(out);
                System.setErr(err);
            }
            assertExactlyOnce(bootstrap);
            byte[] secret = key.getBytes(StandardCharsets.UTF_8);
            assertThat(logs.size()).as("the remote role logged while it ran").isPositive();
            assertThat(logs.toString(StandardCharsets.UTF_8)).doesNotContain(key);
            assertThat(topicsHolding(bootstrap, secret)).as("topics holding the key").isEmpty();
        }
    }

    /**
     * remote → local: the remote provider goes down (every call 503); its failures open its circuit,
     * so its requests go to model-a with the reason; once it is back a probe reaches it and it
     * answers directly again.
     */
    @Test
    void aRemoteModelThatIsDownFallsBackToALocalOneAndIsUsedAgainOnceBack() throws Exception {
        Path a = model(A);
        try (ScriptedServer server = new ScriptedServer(); TestKafka kafka = TestKafka.start(dir.resolve("broker"))) {
            RemoteModel flaky = new RemoteModel("flaky", server.baseUrl(), null, "gpt-x", 0, 0, 4, Duration.ofSeconds(5), 1, 0);
            DeploymentConfig cfg = config(flaky, Map.of("flaky", List.of(A)));
            String bootstrap = kafka.bootstrapServers();
            try (Deployment all = Deployment.start(settings(bootstrap, "all", a, cfg),
                    EnumSet.of(Role.ROUTER, Role.WORKER, Role.REMOTE, Role.API));
                    KafkaProducer<String, RequestEvent> producer = ChatRequests.producer(bootstrap)) {
                all.awaitRunning(Duration.ofSeconds(60));
                // A streamed chat completion over the API: the provider's stream passes through as SSE chunks.
                HttpResponse<String> streamed = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + all.api().orElseThrow().httpPort() + "/v1/chat/completions")).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"flaky\",\"stream\":true,\"messages\":[{\"role\":"
                                + "\"user\",\"content\":\"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(streamed.statusCode()).isEqualTo(200);
                String sse = streamed.body();
                assertThat(sse).contains("\"content\":\"Hel\"").contains("\"content\":\"lo\"").contains("data: [DONE]");
                assertThat(server.received().get(0).body()).contains("\"stream\":true");
                List<String> deltas = new ArrayList<>();
                TopicScan.toEnd(bootstrap, Topics.STREAM.name(), r -> deltas.add(Topics.DELTA_SERDE.deserializer()
                        .deserialize(r.topic(), r.value()).text()));
                assertThat(deltas).as("the remote role published the provider's text as deltas").containsExactly("Hel", "lo");
                assertThat(ChatRequests.answers(bootstrap, submit(producer, "ok", "flaky", 2)).values()).allSatisfy(r -> {
                    assertThat(r.model()).isEqualTo("flaky");
                    assertThat(r.route().reason()).isEqualTo("direct");
                });
                server.down(true);
                ResultEvent fallback = firstWhere(bootstrap, producer, "down", r -> A.equals(r.model()));
                assertThat(fallback.succeeded()).isTrue();
                assertThat(fallback.route().requested()).isEqualTo("flaky");
                assertThat(fallback.route().reason()).startsWith("fallback: flaky");
                server.down(false);
                ResultEvent back = firstWhere(bootstrap, producer, "back", r -> "flaky".equals(r.model()) && r.succeeded());
                assertThat(back.body().path("choices").get(0).path("message").path("content").asText()).isEqualTo("Hello");
                // A refused key is the deployment's fault, as an outage is: it opens the circuit too, and the chain answers.
                server.refuseKeys(true);
                ResultEvent refused = firstWhere(bootstrap, producer, "refused", r -> A.equals(r.model()));
                assertThat(refused.succeeded()).isTrue();
                assertThat(refused.route().reason()).startsWith("fallback: flaky");
            }
            Map<String, List<ResultEvent>> all = assertExactlyOnce(bootstrap);
            assertThat(all.values()).filteredOn(rs -> rs.get(0).succeeded()).hasSizeGreaterThanOrEqualTo(3);
            // What the outage cost before the circuit opened: failures, each answered once, none lost.
            assertThat(all.values()).filteredOn(rs -> !rs.get(0).succeeded())
                    .allSatisfy(rs -> assertThat(rs.get(0).error().code()).isIn(ErrorCodes.GENERATION_FAILED, ErrorCodes.REMOTE_REJECTED));
        }
    }

    /**
     * Two remote workers share a batch for a slow provider: a {@code serve --roles remote} process
     * started from the shaded jar with a deployment file, and one in this JVM. The process is killed
     * (SIGKILL: no leave-group, its open transaction left to time out) mid-batch; its partitions move
     * to the other, which calls again what was not committed (the same Idempotency-Key), and every
     * request has exactly one committed result.
     */
    @Test
    void noResultIsLostOrDuplicatedWhenARemoteWorkerIsKilledMidBatch() throws Exception {
        Path jar = Path.of("target", "millrace.jar").toAbsolutePath();
        assertThat(jar).as("the kill test runs the shaded jar, built by mvn package (mvn verify builds it first)").exists();
        Path a = model(A);
        try (ScriptedServer server = new ScriptedServer(); TestKafka kafka = TestKafka.start(dir.resolve("broker"))) {
            server.answerAfter(300);
            Path file = dir.resolve("remote.yaml");
            Files.writeString(file, "models:\n  - kind: remote\n    name: slow\n    base_url: " + server.baseUrl()
                    + "\n    model: gpt-x\n    concurrency: 2\n    timeout: 5s\n    max_attempts: 3\n");
            DeploymentConfig cfg = DeploymentFile.read(file);
            String bootstrap = kafka.bootstrapServers();
            int n = 40;
            Path log = dir.resolve("killed.log");
            String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process killed = new ProcessBuilder(javaBin, "-jar", jar.toString(), "serve", "--roles", "remote", "--config", file.toString(),
                    "--model-dir", a.toString(), "--bootstrap-servers", bootstrap, "--instance-id", "remote-killed",
                    "--data-dir", dir.resolve("remote-killed").toString(), "--metrics-port", "-1",
                    "--set", "worker.health.interval.ms=200")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try (Deployment router = Deployment.start(settings(bootstrap, "router", a, cfg), EnumSet.of(Role.ROUTER));
                    KafkaProducer<String, RequestEvent> producer = ChatRequests.producer(bootstrap)) {
                router.awaitRunning(Duration.ofSeconds(60));
                for (long deadline = System.currentTimeMillis() + 60_000;
                        !Files.readString(log).contains("millrace serving [REMOTE]"); Thread.sleep(100)) {
                    assertThat(System.currentTimeMillis()).as("the remote process started: %s", Files.readString(log))
                            .isLessThan(deadline);
                }
                Set<String> ids;
                try (Deployment second = Deployment.start(settings(bootstrap, "remote-2", a, cfg), EnumSet.of(Role.REMOTE))) {
                    ids = submit(producer, "kill", "slow", n);
                    // Kill it once its heartbeats report answers it committed: it had a share of the batch.
                    for (long deadline = System.currentTimeMillis() + 60_000; completedBy(bootstrap, "remote-killed") == 0;
                            Thread.sleep(50)) {
                        assertThat(System.currentTimeMillis()).as("the remote process answered some").isLessThan(deadline);
                    }
                    assertThat(server.answered()).as("killed mid-batch").isLessThan(n);
                    killed.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    assertThat(ChatRequests.answers(bootstrap, ids).values()).allSatisfy(r -> assertThat(r.succeeded()).isTrue());
                }
            } finally {
                killed.destroyForcibly();
            }
            assertThat(Files.readString(log)).as("the killed process ran the remote role").contains("(models [model-a, slow])");
            assertExactlyOnce(bootstrap);
            Set<String> called = server.received().stream().map(c -> c.header("Idempotency-Key")).collect(Collectors.toSet());
            assertThat(called).hasSize(n);
            assertThat(server.received().size()).as("calls: at least once").isGreaterThanOrEqualTo(n);
        }
    }

    /** Requests of {@code slow} that worker {@code id} reported committed in its heartbeats. */
    private static long completedBy(String bootstrap, String id) {
        long[] completed = {0};
        TopicScan.toEnd(bootstrap, Topics.HEALTH.name(), r -> {
            io.millrace.protocol.events.HealthEvent h = Topics.HEALTH_SERDE.deserializer().deserialize(r.topic(), r.value());
            if (h.workerId().equals(id) && h.model().equals("slow")) {
                completed[0] += h.completed();
            }
        });
        return completed[0];
    }

    private Path model(String name) throws Exception {
        Path p = dir.resolve("models").resolve(name);
        TinyModel.write(p);
        return p;
    }

    private static DeploymentConfig config(RemoteModel remote, Map<String, List<String>> fallbacks) {
        return new DeploymentConfig(null, List.of(), List.of(new DeploymentConfig.RemoteSpec(remote, null)), Map.of(), fallbacks,
                DeploymentConfig.AutoRouting.OFF, Map.of(), Map.of());
    }

    private Settings settings(String bootstrap, String name, Path model, DeploymentConfig cfg) {
        return new Settings(bootstrap, dir.resolve(name), 0, 0, List.of(model), null, -1, FAST, false, Duration.ofSeconds(60), cfg);
    }

    /** A key made on the provider with its own {@code millrace keys create}, once its API accepts it. */
    private static String providerKey(String providerBootstrap, Path providerDir, String providerUrl) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = Millrace.run(List.of("keys", "create", "--tenant", "downstream", "--bootstrap-servers", providerBootstrap,
                "--data-dir", providerDir.toString()),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true), Map.of());
        assertThat(code).isZero();
        String[] words = out.toString(StandardCharsets.UTF_8).trim().split("\\s+");
        String key = words[words.length - 1];
        HttpClient http = HttpClient.newHttpClient();
        for (long deadline = System.currentTimeMillis() + 15_000; System.currentTimeMillis() < deadline; Thread.sleep(100)) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(providerUrl + "/v1/models"))
                    .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                return key;
            }
        }
        throw new AssertionError("the provider never accepted its new key");
    }

    private Set<String> submit(KafkaProducer<String, RequestEvent> producer, String prefix, String model, int n) throws Exception {
        Set<String> ids = ChatRequests.submit(producer, "remote-it", prefix, model, n);
        asked.addAll(ids);
        return ids;
    }

    /** Submits one request at a time for {@code flaky} until one's result matches, within 60 s. */
    private ResultEvent firstWhere(String bootstrap, KafkaProducer<String, RequestEvent> producer, String prefix,
            java.util.function.Predicate<ResultEvent> wanted) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        for (int i = 0; ; i++) {
            ResultEvent r = ChatRequests.answers(bootstrap, submit(producer, prefix + "-" + i, "flaky", 1)).values().iterator().next();
            if (wanted.test(r)) {
                return r;
            }
            assertThat(System.currentTimeMillis()).as("a result as wanted for " + prefix + " within 60 s").isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    /** Nothing lost, nothing duplicated: exactly one committed result per request asked (and per request the API took). */
    private Map<String, List<ResultEvent>> assertExactlyOnce(String bootstrap) {
        Map<String, List<ResultEvent>> all = WorkerHarness.committedResults(bootstrap);
        assertThat(all.keySet()).containsAll(asked);
        assertThat(all.entrySet().stream().filter(e -> e.getValue().size() != 1).map(Map.Entry::getKey).toList())
                .as("requests with more than one committed result").isEmpty();
        return all;
    }

    /** Every topic of the broker with a record whose key, value or a header holds {@code secret}. */
    private static List<String> topicsHolding(String bootstrap, byte[] secret) throws Exception {
        Set<String> topics;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            topics = admin.listTopics().names().get();
        }
        assertThat(topics).contains(Topics.RESULTS.name(), Topics.HEALTH.name(), Topics.generation("far").name());
        List<String> holding = new ArrayList<>();
        for (String topic : topics) {
            TopicScan.toEnd(bootstrap, topic, r -> {
                boolean found = contains(r.value(), secret) || (r.key() != null && r.key().contains(new String(secret, StandardCharsets.UTF_8)));
                for (org.apache.kafka.common.header.Header h : r.headers()) {
                    found |= contains(h.value(), secret);
                }
                if (found && !holding.contains(topic)) {
                    holding.add(topic);
                }
            });
        }
        return holding;
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        if (haystack == null) {
            return false;
        }
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** Writes to the console and keeps a copy, so the test can read what the processes logged. */
    private static final class Tee extends OutputStream {
        private final OutputStream console;
        private final ByteArrayOutputStream copy;

        Tee(OutputStream console, ByteArrayOutputStream copy) {
            this.console = console;
            this.copy = copy;
        }

        @Override
        public void write(int b) throws java.io.IOException {
            console.write(b);
            synchronized (copy) {
                copy.write(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws java.io.IOException {
            console.write(b, off, len);
            synchronized (copy) {
                copy.write(b, off, len);
            }
        }
    }
}
