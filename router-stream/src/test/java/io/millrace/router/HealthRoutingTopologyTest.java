package io.millrace.router;

import static io.millrace.router.Requests.CATALOG;
import static io.millrace.router.Requests.bytes;
import static io.millrace.router.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Stores;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.HealthEvent;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.protocol.events.RouteInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Health in the topology, in TopologyTestDriver with the service's own Streams settings (EOS):
 * heartbeats in on {@code millrace.health}, routing out; fallbacks with their reason, probes of a
 * model that is back, and requests that wait while their whole chain is down, released when a model returns.
 * Chain: millrace-tiny → [millrace-small]. The driver's wall clock is the router's "now".
 */
class HealthRoutingTopologyTest {
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final long NOW = START.toEpochMilli();
    private static final String TINY = "millrace-tiny";
    private static final String SMALL = "millrace-small";
    /** Dead after 10 s, 3 failures in 30 s, 20 s cooldown, a probe a second, releases every second. */
    private static final HealthSettings SETTINGS = new HealthSettings(Duration.ofSeconds(10), 3, Duration.ofSeconds(30),
            Duration.ofSeconds(20), Duration.ofSeconds(1), false, Duration.ofSeconds(1));

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> requests;
    private TestInputTopic<String, byte[]> health;
    private TestOutputTopic<String, RequestEvent> tiny;
    private TestOutputTopic<String, RequestEvent> small;
    private TestOutputTopic<String, ResultEvent> results;

    private void start(HealthSettings settings) {
        RouterConfig config = new RouterConfig(CATALOG, Stores.DEDUP_RETENTION, Map.of(), CacheSettings.DISABLED)
                .withHealth(Map.of(TINY, List.of(SMALL)), settings);
        driver = new TopologyTestDriver(RouterTopology.build(config), RouterService.streamsConfig("unused:9092", stateDir, Map.of()),
                START);
        requests = driver.createInputTopic(Topics.REQUESTS.name(), new StringSerializer(), new ByteArraySerializer(),
                START, Duration.ZERO);
        health = driver.createInputTopic(Topics.HEALTH.name(), new StringSerializer(), new ByteArraySerializer(),
                START, Duration.ZERO);
        tiny = driver.createOutputTopic(Topics.generation(TINY).name(), Topics.KEYS.deserializer(),
                Topics.REQUEST_SERDE.deserializer());
        small = driver.createOutputTopic(Topics.generation(SMALL).name(), Topics.KEYS.deserializer(),
                Topics.REQUEST_SERDE.deserializer());
        results = driver.createOutputTopic(Topics.RESULTS.name(), Topics.RESULTS.keySerde().deserializer(),
                Topics.RESULTS.valueSerde().deserializer());
    }

    @AfterEach
    void stop() {
        if (driver != null) {
            driver.close();
        }
    }

    private void report(String model, String worker, long at, long completed, long failures) {
        health.pipeInput(model, Topics.HEALTH_SERDE.serializer().serialize(Topics.HEALTH.name(),
                new HealthEvent(worker, model, true, 0, 0, completed, failures, at, 2000)));
    }

    private void beat(String model, long at) {
        report(model, "w-" + model, at, 0, 0);
    }

    @Test
    void aModelWithNoLiveWorkerFallsBackAndTheRouteSaysWhy() {
        start(SETTINGS);
        beat(TINY, NOW - 12_000);
        beat(SMALL, NOW);

        requests.pipeInput("b1:c1", bytes(request("b1:c1", "b1", TINY)));

        assertThat(tiny.isEmpty()).isTrue();
        var out = small.readRecord();
        assertThat(out.value().model()).isEqualTo(SMALL);
        assertThat(out.value().route()).isEqualTo(new RouteInfo(TINY, SMALL,
                "fallback: millrace-tiny circuit open (no live worker for 12s)"));
        assertThat(out.value().requestedModel()).as("the body keeps what the client asked for").isEqualTo(TINY);
        // Keyed by the conversation on the model that takes it.
        assertThat(out.key()).isEqualTo(ConversationKey.of(out.value()));
        assertThat(results.isEmpty()).isTrue();
    }

    @Test
    void failuresOpenTheCircuitAndAModelStillLiveIsRoutedAsAsked() {
        start(SETTINGS);
        beat(SMALL, NOW);
        beat(TINY, NOW);
        requests.pipeInput("r0", bytes(request("r0", "b", TINY)));
        assertThat(tiny.readValue().route().reason()).isEqualTo(RouteInfo.DIRECT);

        report(TINY, "w-tiny", NOW, 0, 3);
        requests.pipeInput("r1", bytes(request("r1", "b", TINY)));

        assertThat(small.readValue().route().reason())
                .isEqualTo("fallback: millrace-tiny circuit open (3 generation failures within 30s, cooling down for 20s)");
        assertThat(tiny.isEmpty()).isTrue();
    }

    @Test
    void aModelBackIsProbedAndASuccessfulProbeClosesItsCircuit() {
        start(SETTINGS);
        beat(SMALL, NOW);
        beat(TINY, NOW - 60_000);
        beat(TINY, NOW); // back after a minute of silence: half-open

        requests.pipeInput("r1", bytes(request("r1", "b", TINY)));
        requests.pipeInput("r2", bytes(request("r2", "b", TINY)));

        assertThat(tiny.readValuesToList()).extracting(RequestEvent::requestId).as("one probe per interval").containsExactly("r1");
        RequestEvent second = small.readValue();
        assertThat(second.requestId()).isEqualTo("r2");
        assertThat(second.route().reason())
                .isEqualTo("fallback: millrace-tiny circuit half-open (probing: a worker is back after none was live)");

        report(TINY, "w-tiny", NOW + 500, 1, 0); // the probe was generated
        requests.pipeInput("r3", bytes(request("r3", "b", TINY)));
        requests.pipeInput("r4", bytes(request("r4", "b", TINY)));
        assertThat(tiny.readValuesToList()).extracting(RequestEvent::requestId).containsExactly("r3", "r4");
        assertThat(small.isEmpty()).isTrue();
    }

    @Test
    void whenTheWholeChainIsDownABatchRequestWaitsAndIsReleasedOnceWhenAModelIsBack() {
        start(SETTINGS);
        beat(TINY, NOW - 20_000);
        beat(SMALL, NOW - 20_000);

        requests.pipeInput("b1:c1", bytes(request("b1:c1", "b1", TINY)));
        requests.pipeInput("b1:c2", bytes(request("b1:c2", "b1", SMALL)));
        assertThat(tiny.isEmpty()).isTrue();
        assertThat(small.isEmpty()).isTrue();
        assertThat(results.isEmpty()).as("a batch request waits, it is not failed").isTrue();
        assertThat(parked()).isEqualTo(2);
        assertThat(RouterMetrics.waitingIn(driver.metrics(), RouterMetrics.HEALTH)).as("the gauge of waiting requests").isEqualTo(2);

        driver.advanceWallClockTime(Duration.ofSeconds(2));
        assertThat(small.isEmpty()).as("still nothing live").isTrue();

        beat(SMALL, NOW + 2_000);
        driver.advanceWallClockTime(Duration.ofSeconds(1));

        List<RequestEvent> released = small.readValuesToList();
        assertThat(released).extracting(RequestEvent::requestId).containsExactly("b1:c1", "b1:c2");
        assertThat(released.get(0).route().reason()).isEqualTo("fallback: millrace-tiny circuit open (no live worker for 23s)");
        assertThat(released.get(1).route().reason()).isEqualTo(RouteInfo.DIRECT);
        assertThat(parked()).isZero();
        assertThat(RouterMetrics.waitingIn(driver.metrics(), RouterMetrics.HEALTH)).isZero();

        // Released once: more punctuations and a duplicate of the request yield nothing.
        driver.advanceWallClockTime(Duration.ofSeconds(3));
        requests.pipeInput("b1:c1", bytes(request("b1:c1", "b1", TINY)));
        assertThat(small.isEmpty()).isTrue();
        assertThat(tiny.isEmpty()).isTrue();
        assertThat(results.isEmpty()).isTrue();
    }

    @Test
    void whenTheWholeChainIsDownAnInteractiveRequestFailsAtOnceWith503() {
        start(SETTINGS);
        beat(TINY, NOW - 20_000);
        beat(SMALL, NOW - 15_000);

        requests.pipeInput("lone", bytes(request("lone", null, TINY)));

        ResultEvent r = results.readValue();
        assertThat(r.requestId()).isEqualTo("lone");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.error().code()).isEqualTo(ErrorCodes.MODEL_UNAVAILABLE);
        assertThat(r.error().message()).startsWith("no model can take this request now: millrace-tiny circuit open"
                + " (no live worker for 20s); millrace-small circuit open (no live worker for 15s): retry later");
        assertThat(r.model()).isNull();
        assertThat(parked()).isZero();
        assertThat(tiny.isEmpty()).isTrue();
        assertThat(small.isEmpty()).isTrue();
    }

    @Test
    void anInteractiveRequestWaitsToWhenConfiguredSo() {
        start(new HealthSettings(Duration.ofSeconds(10), 3, Duration.ofSeconds(30), Duration.ofSeconds(20),
                Duration.ofSeconds(1), true, Duration.ofSeconds(1)));
        beat(TINY, NOW - 20_000);
        beat(SMALL, NOW - 20_000);
        requests.pipeInput("lone", bytes(request("lone", null, TINY)));
        assertThat(results.isEmpty()).isTrue();
        assertThat(parked()).isEqualTo(1);

        beat(TINY, NOW + 500);
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        // Released to the interactive lane: it is still a lone request.
        TestOutputTopic<String, RequestEvent> lane = driver.createOutputTopic(Topics.interactive(TINY).name(),
                Topics.KEYS.deserializer(), Topics.interactive(TINY).valueSerde().deserializer());
        assertThat(lane.readValue().route().reason()).isEqualTo(RouteInfo.DIRECT);
    }

    @Test
    void aRecordOnTheHealthTopicThatIsNoReportIsSkipped() {
        start(SETTINGS);
        health.pipeInput(TINY, "not a report".getBytes(StandardCharsets.UTF_8));
        health.pipeInput(TINY, "{\"model\":\"millrace-tiny\"}".getBytes(StandardCharsets.UTF_8));

        requests.pipeInput("r1", bytes(request("r1", "b", TINY)));

        assertThat(tiny.readValue().route().reason()).isEqualTo(RouteInfo.DIRECT);
    }

    private long parked() {
        KeyValueStore<String, byte[]> store = driver.getKeyValueStore(Stores.ROUTER_PARKED);
        long n = 0;
        try (var it = store.all()) {
            while (it.hasNext()) {
                it.next();
                n++;
            }
        }
        return n;
    }
}
