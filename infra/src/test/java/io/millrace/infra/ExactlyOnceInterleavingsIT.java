package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Json;
import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.Stores;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.router.CacheSettings;
import io.millrace.router.HealthSettings;
import io.millrace.router.RouterConfig;
import io.millrace.router.RouterService;
import io.millrace.worker.RetrySchedule;
import io.millrace.worker.WorkerService;
import io.millrace.worker.model.ChatMessage;
import io.millrace.worker.model.DecoderModel;
import io.millrace.worker.model.build.TinyModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The pipeline's promise as a property (issue 11): whatever the interleaving of duplicate copies
 * of requests, generation failures, retries through the retry tiers, cache hits and restarts of
 * the router and the worker, and the circuit breaker those failures open, every request id gets
 * exactly one committed result, and the right one: a success when its generation failed no more
 * often than there are retry tiers, else one final {@code generation_failed} error; or, for a lone
 * (interactive) request routed while the circuit was open, {@code model_unavailable} (a batch
 * request waits for the circuit to close instead). jqwik draws the scenarios; each runs on the real broker
 * with the real router (cache on), worker, model and engine.
 *
 * <p>The one fake: {@link FailingEngine} makes chosen prompts fail a chosen number of times, as an
 * ONNX Runtime error would; a real model cannot fail on demand.
 * Restarts are orderly closes (a crash mid-transaction is WorkerChaosIT's subject).
 */
class ExactlyOnceInterleavingsIT {
    private static final String MODEL = TinyModel.NAME;
    private static final List<Long> DELAYS_MS = List.of(200L, 400L);
    private static final int TIERS = DELAYS_MS.size();
    private static final AtomicInteger TRY = new AtomicInteger();

    private static Path dir;
    private static EmbeddedKafkaBroker broker;
    private static KafkaProducer<String, byte[]> producer;
    private static RouterService router;
    private static WorkerService worker;
    private static int contextLength;
    /** Remaining injected failures by prompt (its token ids), shared by every worker the test starts. */
    private static final Map<String, AtomicInteger> FAILURES = new ConcurrentHashMap<>();

    /**
     * One request id: its copies sent to millrace.requests, the prompt it asks (shared by some ids),
     * and whether it is part of a batch (a batch request waits while its model's circuit is open;
     * a lone one is interactive and may be answered 503 then).
     */
    record Request(String id, String prompt, int copies, boolean batch) {}

    /** An action of a scenario, in the order drawn. */
    sealed interface Step {
        record Send(Request request) implements Step {}

        record RestartWorker() implements Step {}

        record RestartRouter() implements Step {}
    }

    /**
     * @param failures per prompt, how many times its generation fails (more than {@link #TIERS}: it
     *                 ends in the dead-letter topic; such a prompt is asked by one id only, so the
     *                 expected answer of every id is known)
     */
    record Scenario(List<Request> requests, Map<String, Integer> failures, List<Step> steps) {}

    @BeforeContainer
    static void startPipeline() throws Exception {
        dir = Files.createTempDirectory("millrace-interleavings");
        broker = EmbeddedKafkaBroker.start(dir.resolve("broker"), 0);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            TopicProvisioner.provision(admin, Topics.all(List.of(MODEL), DELAYS_MS));
        }
        TinyModel.write(dir.resolve("model").resolve(MODEL));
        try (DecoderModel m = loadModel()) {
            contextLength = m.contextLength();
        }
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer());
        startRouter();
        startWorker();
    }

    @AfterContainer
    static void stopPipeline() {
        if (worker != null) {
            worker.close();
        }
        if (router != null) {
            router.close();
        }
        if (producer != null) {
            producer.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Property(tries = 6, shrinking = ShrinkingMode.OFF)
    void everyRequestIdGetsExactlyOneResultWhateverTheInterleaving(@ForAll("scenarios") Scenario scenario) throws Exception {
        try (DecoderModel m = loadModel()) {
            scenario.failures().forEach((prompt, n) -> FAILURES.put(promptKey(m, prompt), new AtomicInteger(n)));
        }
        for (Step step : scenario.steps()) {
            if (step instanceof Step.Send send) {
                send(send.request());
            } else if (step instanceof Step.RestartWorker) {
                worker.close();
                startWorker();
            } else if (step instanceof Step.RestartRouter) {
                router.close();
                startRouter();
            }
        }

        Map<String, List<ResultEvent>> results = awaitResults(scenario.requests(), Duration.ofSeconds(90));
        Thread.sleep(1_000); // room for a second result of any id, were there one
        results = WorkerHarness.committedResults(broker.bootstrapServers());
        for (Request r : scenario.requests()) {
            List<ResultEvent> got = results.get(r.id());
            assertThat(got).as("results of %s in %s", r.id(), scenario).hasSize(1);
            ResultEvent result = got.get(0);
            if (!r.batch() && result.statusCode() == 503) {
                // Injected failures open the model's circuit (router.health.failures): an interactive
                // request routed meanwhile is answered at once, and that is its one result.
                assertThat(result.error().code()).isEqualTo(ErrorCodes.MODEL_UNAVAILABLE);
            } else if (scenario.failures().getOrDefault(r.prompt(), 0) <= TIERS) {
                assertThat(result.statusCode()).as("%s: %s", r.id(), result.error()).isEqualTo(200);
            } else if (result.statusCode() != 200) {
                // More failures injected than there are tiers: normally the final error. But a failure
                // injected into a generation that a worker restart then discarded (its transaction never
                // committed) uses up an injection without counting as an attempt, so a success is right too.
                assertThat(result.statusCode()).as(r.id()).isEqualTo(500);
                assertThat(result.error().code()).isEqualTo(ErrorCodes.GENERATION_FAILED);
            }
        }
    }

    @Provide
    Arbitrary<Scenario> scenarios() {
        // Each prompt: how often it fails (0..TIERS+1) and how many ids ask it (1..2; 1 when it must fail for good).
        Arbitrary<int[]> prompts = Combinators.combine(Arbitraries.integers().between(0, TIERS + 1),
                Arbitraries.integers().between(1, 2), Arbitraries.integers().between(1, 3), Arbitraries.integers().between(0, 1))
                .as((f, ids, copies, batch) -> new int[] {f, ids, copies, batch});
        Arbitrary<Integer> workerRestarts = Arbitraries.integers().between(0, 2);
        Arbitrary<Integer> routerRestarts = Arbitraries.integers().between(0, 1);
        return Combinators.combine(prompts.list().ofMinSize(2).ofMaxSize(5), workerRestarts, routerRestarts)
                .as((ps, w, rr) -> draft(ps, w, rr))
                .flatMap(d -> Arbitraries.shuffle(d.steps()).map(steps -> new Scenario(d.requests(), d.failures(), steps)));
    }

    /** The scenario's requests and unordered steps; the order is drawn by shuffling them. */
    private static Scenario draft(List<int[]> prompts, int workerRestarts, int routerRestarts) {
        int t = TRY.incrementAndGet();
        List<Request> requests = new ArrayList<>();
        Map<String, Integer> failures = new HashMap<>();
        List<Step> steps = new ArrayList<>();
        for (int p = 0; p < prompts.size(); p++) {
            int fails = prompts.get(p)[0];
            int ids = fails > TIERS ? 1 : prompts.get(p)[1];
            String prompt = "try " + t + " prompt " + p;
            failures.put(prompt, fails);
            for (int i = 0; i < ids; i++) {
                Request r = new Request("t" + t + "-p" + p + "-r" + i, prompt, prompts.get(p)[2], (prompts.get(p)[3] + i) % 2 == 1);
                requests.add(r);
                for (int c = 0; c < r.copies(); c++) {
                    steps.add(new Step.Send(r));
                }
            }
        }
        for (int i = 0; i < workerRestarts; i++) {
            steps.add(new Step.RestartWorker());
        }
        for (int i = 0; i < routerRestarts; i++) {
            steps.add(new Step.RestartRouter());
        }
        return new Scenario(requests, failures, steps);
    }

    private static void send(Request r) throws Exception {
        // Greedy: cacheable, so ids sharing a prompt may be answered from the response cache.
        RequestEvent event = new RequestEvent(r.id(), r.batch() ? "interleavings-batch" : null, r.id(), null, "POST", "/v1/chat/completions", Json.parse(
                "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + r.prompt() + "\"}],"
                        + "\"max_tokens\":3,\"temperature\":0}"), null, System.currentTimeMillis());
        producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), r.id(),
                Topics.REQUEST_SERDE.serializer().serialize(Topics.REQUESTS.name(), event))).get();
    }

    private static Map<String, List<ResultEvent>> awaitResults(List<Request> requests, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Map<String, List<ResultEvent>> results = WorkerHarness.committedResults(broker.bootstrapServers());
            List<String> missing = requests.stream().map(Request::id).filter(id -> !results.containsKey(id)).toList();
            if (missing.isEmpty()) {
                return results;
            }
            assertThat(System.nanoTime()).as("results for %s within %s", missing, timeout).isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    private static void startRouter() {
        RouterConfig config = new RouterConfig(ModelCatalog.of(new ModelCatalog.Entry(MODEL, contextLength)), Stores.DEDUP_RETENTION,
                Map.of(MODEL, "interleavings-test-model"), CacheSettings.DEFAULT)
                // Circuits are part of the interleaving: injected failures open the model's circuit
                // (5 within 30 s), and a short cooldown lets probes close it within the test.
                .withHealth(Map.of(), new HealthSettings(Duration.ofSeconds(10), 5, Duration.ofSeconds(30), Duration.ofSeconds(1),
                        Duration.ofMillis(200), false, Duration.ofMillis(200)));
        router = new RouterService(broker.bootstrapServers(), dir.resolve("router-state"), config, Map.of());
        router.start();
        router.awaitRunning(Duration.ofSeconds(60));
    }

    private static void startWorker() {
        worker = new WorkerService(broker.bootstrapServers(), Map.of(MODEL, loadModel()), "interleavings-worker",
                Map.of(RetrySchedule.DELAYS, "200ms,400ms"), new SimpleMeterRegistry());
        worker.wrapEnginesForTest(engine -> new FailingEngine(engine, ids -> {
            AtomicInteger left = FAILURES.get(Arrays.toString(ids));
            return left != null && left.getAndDecrement() > 0;
        }));
        worker.start();
    }

    private static DecoderModel loadModel() {
        return DecoderModel.load(dir.resolve("model").resolve(MODEL));
    }

    private static String promptKey(DecoderModel model, String prompt) {
        return Arrays.toString(model.encodeChat(List.of(new ChatMessage("user", prompt))));
    }
}
