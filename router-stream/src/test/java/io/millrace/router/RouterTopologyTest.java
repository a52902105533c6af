package io.millrace.router;

import static io.millrace.router.Requests.CATALOG;
import static io.millrace.router.Requests.bytes;
import static io.millrace.router.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Headers;
import io.millrace.protocol.InputLimits;
import io.millrace.protocol.Stores;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.RouteInfo;
import io.millrace.protocol.events.ResultEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The topology end to end in TopologyTestDriver, with the service's own Streams settings (EOS). */
class RouterTopologyTest {
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> requests;
    /** The models' interactive lanes, where lone requests (most of these tests') go. */
    private TestOutputTopic<String, RequestEvent> tiny;
    private TestOutputTopic<String, RequestEvent> small;
    /** Batch work: millrace.gen.millrace-tiny and -small. */
    private TestOutputTopic<String, RequestEvent> tinyBatch;
    private TestOutputTopic<String, RequestEvent> smallBatch;
    private TestOutputTopic<String, ResultEvent> results;
    private TestOutputTopic<byte[], byte[]> dlt;

    @BeforeEach
    void start() {
        driver = new TopologyTestDriver(RouterTopology.build(new RouterConfig(CATALOG)),
                RouterService.streamsConfig("unused:9092", stateDir, Map.of()), START);
        requests = driver.createInputTopic(Topics.REQUESTS.name(), new StringSerializer(), new ByteArraySerializer(),
                START, Duration.ofSeconds(1));
        tiny = output(Topics.interactive("millrace-tiny"));
        small = output(Topics.interactive("millrace-small"));
        tinyBatch = output(Topics.generation("millrace-tiny"));
        smallBatch = output(Topics.generation("millrace-small"));
        results = driver.createOutputTopic(Topics.RESULTS.name(), Topics.RESULTS.keySerde().deserializer(),
                Topics.RESULTS.valueSerde().deserializer());
        dlt = driver.createOutputTopic(Topics.REQUESTS_DLT.name(), Topics.REQUESTS_DLT.keySerde().deserializer(),
                Topics.REQUESTS_DLT.valueSerde().deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @Test
    void routesAValidRequestToItsModelsTopicWithModelAndHeaders() {
        RequestEvent in = request("b1:c1", "b1", "millrace-tiny");
        RecordHeaders headers = new RecordHeaders();
        headers.add("traceparent", utf8("00-abc-def-01"));
        headers.add(Headers.SCHEMA, utf8("something-stale"));

        requests.pipeInput(new TestRecord<>("b1:c1", bytes(in), headers, START));

        TestRecord<String, RequestEvent> out = tinyBatch.readRecord();
        // Keyed by conversation, not request id, so a conversation's turns reach one worker.
        assertThat(out.key()).isEqualTo(ConversationKey.of(in.withModel("millrace-tiny")));
        // submitted_at 1000 (1970) is no time this request was submitted: stamped with its arrival.
        assertThat(out.value()).isEqualTo(in.withRoute(new RouteInfo("millrace-tiny", "millrace-tiny", RouteInfo.DIRECT))
                .withSubmittedAt(START.toEpochMilli()));
        assertThat(header(out, Headers.SCHEMA)).isEqualTo(Headers.REQUEST_V1);
        assertThat(header(out, Headers.BATCH_ID)).isEqualTo("b1");
        assertThat(out.headers().headers(Headers.SCHEMA)).hasSize(1);
        assertThat(header(out, "traceparent")).isEqualTo("00-abc-def-01");
        assertNothingElse();
    }

    @Test
    void interactiveRequestsTakeTheirModelsLaneAndBatchWorkTheGenerationTopic() {
        RequestEvent line = request("b1:c1", "b1", "millrace-tiny");
        RequestEvent lone = request("r1", null, "millrace-tiny");
        requests.pipeInput("b1:c1", bytes(line));
        requests.pipeInput("r1", bytes(lone));
        // priority overrides the default of each: a lone client event marked batch, a line marked interactive.
        requests.pipeInput("r2", bytes(request("r2", null, "millrace-small").withPriority(RequestEvent.BATCH)));
        requests.pipeInput("b1:c2", bytes(request("b1:c2", "b1", "millrace-small").withPriority(RequestEvent.INTERACTIVE)));

        assertThat(tinyBatch.readValuesToList()).extracting(RequestEvent::requestId).containsExactly("b1:c1");
        assertThat(tiny.readValuesToList()).extracting(RequestEvent::requestId).containsExactly("r1");
        assertThat(smallBatch.readValuesToList()).extracting(RequestEvent::requestId).containsExactly("r2");
        List<RequestEvent> smallLane = small.readValuesToList();
        assertThat(smallLane).extracting(RequestEvent::requestId).containsExactly("b1:c2");
        // The lane is the topic only: the event keeps its priority for the worker's engine.
        assertThat(smallLane.get(0).interactive()).isTrue();
        assertNothingElse();
    }

    @Test
    void leavesOutTheBatchHeaderOfALoneRequest() {
        requests.pipeInput("r1", bytes(request("r1", null, "millrace-tiny")));

        TestRecord<String, RequestEvent> out = tiny.readRecord();
        assertThat(out.headers().lastHeader(Headers.BATCH_ID)).isNull();
        assertThat(header(out, Headers.SCHEMA)).isEqualTo(Headers.REQUEST_V1);
    }

    @Test
    void routesTwoModelsToTwoTopics() {
        requests.pipeInput("r1", bytes(request("r1", null, "millrace-tiny")));
        requests.pipeInput("r2", bytes(request("r2", null, "millrace-small")));

        List<RequestEvent> toTiny = tiny.readValuesToList();
        List<RequestEvent> toSmall = small.readValuesToList();
        assertThat(toTiny).extracting(RequestEvent::requestId).containsExactly("r1");
        assertThat(toTiny.get(0).model()).isEqualTo("millrace-tiny");
        assertThat(toSmall).extracting(RequestEvent::requestId).containsExactly("r2");
        assertThat(toSmall.get(0).model()).isEqualTo("millrace-small");
        assertNothingElse();
    }

    @Test
    void answersAnUnknownModelWithModelNotFound() {
        requests.pipeInput("b1:c1", bytes(request("b1:c1", "b1", "gpt-9")));

        TestRecord<String, ResultEvent> out = results.readRecord();
        assertThat(out.key()).isEqualTo("b1:c1");
        assertThat(out.value().statusCode()).isEqualTo(400);
        assertThat(out.value().error().code()).isEqualTo(ErrorCodes.MODEL_NOT_FOUND);
        assertThat(out.value().error().message()).isEqualTo(
                "model 'gpt-9' is not served here: use one of [millrace-tiny, millrace-small]");
        assertThat(out.value().completedAt()).isEqualTo(START.toEpochMilli());
        assertThat(header(out, Headers.SCHEMA)).isEqualTo(Headers.RESULT_V1);
        assertThat(header(out, Headers.BATCH_ID)).isEqualTo("b1");
        assertNothingElse();
    }

    @Test
    void answersNotJsonWithAKeyWithInvalidJson() {
        requests.pipeInput("k1", utf8("{not json"));

        TestRecord<String, ResultEvent> out = results.readRecord();
        assertThat(out.key()).isEqualTo("k1");
        assertThat(out.value().requestId()).isEqualTo("k1");
        assertThat(out.value().statusCode()).isEqualTo(400);
        assertThat(out.value().error().code()).isEqualTo(ErrorCodes.INVALID_JSON);
        assertThat(out.value().error().message()).contains("\"Topic contract\"");
        assertThat(header(out, Headers.SCHEMA)).isEqualTo(Headers.RESULT_V1);
        assertThat(out.headers().lastHeader(Headers.BATCH_ID)).isNull();
        assertNothingElse();
    }

    @Test
    void deadLettersTheExactBytesOfNotJsonWithoutAKey() {
        byte[] garbage = {(byte) 0xff, 0x00, 'x', '{'};
        RecordHeaders headers = new RecordHeaders();
        headers.add("origin", utf8("some-producer"));

        requests.pipeInput(new TestRecord<>(null, garbage, headers, START));

        TestRecord<byte[], byte[]> out = dlt.readRecord();
        assertThat(out.key()).isNull();
        assertThat(out.value()).isEqualTo(garbage);
        assertThat(header(out, "origin")).isEqualTo("some-producer");
        assertThat(header(out, Headers.DLT_REASON)).contains("no key to answer under");
        assertNothingElse();
    }

    @Test
    void keepsAPlausibleSubmittedAtAndStampsTheArrivalOnAMissingOrFutureOne() {
        long at = START.toEpochMilli();
        RequestEvent given = request("r1", null, "millrace-tiny").withSubmittedAt(at - 60_000);
        RequestEvent missing = request("r2", null, "millrace-tiny").withSubmittedAt(0);
        RequestEvent future = request("r3", null, "millrace-tiny").withSubmittedAt(at + Duration.ofDays(365).toMillis());

        requests.pipeInput("r1", bytes(given), START.plusSeconds(1));
        requests.pipeInput("r2", bytes(missing), START.plusSeconds(2));
        requests.pipeInput("r3", bytes(future), START.plusSeconds(3));

        assertThat(tiny.readValuesToList()).extracting(RequestEvent::submittedAt)
                .containsExactly(at - 60_000, at + 2_000, at + 3_000);
    }

    @Test
    void answersAValueOverTheEventLimitWithRequestTooLarge() {
        byte[] huge = new byte[InputLimits.MAX_EVENT_BYTES + 1];
        java.util.Arrays.fill(huge, (byte) ' ');

        requests.pipeInput("big", huge);
        requests.pipeInput("r1", bytes(request("r1", null, "millrace-tiny")));

        TestRecord<String, ResultEvent> out = results.readRecord();
        assertThat(out.key()).isEqualTo("big");
        assertThat(out.value().error().code()).isEqualTo(ErrorCodes.REQUEST_TOO_LARGE);
        assertThat(out.value().error().message()).contains(Integer.toString(InputLimits.MAX_EVENT_BYTES));
        assertThat(tiny.readValuesToList()).hasSize(1);
        assertNothingElse();
    }

    @Test
    void deadLettersAKeyTooLongToAnswerUnderWithTheReason() {
        String key = "k".repeat(InputLimits.MAX_ID_CHARS + 1);

        requests.pipeInput(key, bytes(request(key, null, "millrace-tiny")));

        TestRecord<byte[], byte[]> out = dlt.readRecord();
        assertThat(header(out, Headers.DLT_REASON)).contains("too long to answer under");
        assertNothingElse();
    }

    @Test
    void deadLettersKeysThatAreNotUtf8InsteadOfReadingTwoAsOne() {
        // Read leniently, both keys would be "\uFFFDx" and the second dropped as a duplicate.
        TestInputTopic<byte[], byte[]> raw = driver.createInputTopic(Topics.REQUESTS.name(), new ByteArraySerializer(),
                new ByteArraySerializer(), START, Duration.ofSeconds(1));
        raw.pipeInput(new byte[] {(byte) 0xFF, 'x'}, bytes(request("x", null, "millrace-tiny")));
        raw.pipeInput(new byte[] {(byte) 0xFE, 'x'}, bytes(request("x", null, "millrace-tiny")));

        List<TestRecord<byte[], byte[]>> out = dlt.readRecordsToList();
        assertThat(out).hasSize(2);
        assertThat(out.get(0).key()).containsExactly((byte) 0xFF, 'x');
        assertThat(out.get(1).key()).containsExactly((byte) 0xFE, 'x');
        assertThat(header(out.get(0), Headers.DLT_REASON)).contains("key is not UTF-8");
        assertNothingElse();
    }

    @Test
    void answersJsonNestedPastTheLimitUnderItsKey() {
        requests.pipeInput("deep", utf8("{\"request_id\":\"deep\",\"body\":" + "[".repeat(5000) + "]".repeat(5000) + "}"));

        TestRecord<String, ResultEvent> out = results.readRecord();
        assertThat(out.value().error().code()).isEqualTo(ErrorCodes.REQUEST_TOO_LARGE);
        assertThat(out.value().error().message()).contains(InputLimits.MAX_DEPTH + " levels").contains("column");
        assertNothingElse();
    }

    @Test
    void answersAKeyMismatchWithInvalidRequestIdUnderTheKey() {
        requests.pipeInput("wrong-key", bytes(request("r1", null, "millrace-tiny")));

        TestRecord<String, ResultEvent> out = results.readRecord();
        assertThat(out.key()).isEqualTo("wrong-key");
        assertThat(out.value().error().code()).isEqualTo(ErrorCodes.INVALID_REQUEST_ID);
        assertThat(out.value().error().message()).startsWith("record key must equal request_id");
        assertNothingElse();
    }

    @Test
    void routesTheSameRequestIdOnlyOnce() {
        byte[] value = bytes(request("r1", null, "millrace-tiny"));

        requests.pipeInput("r1", value);
        requests.pipeInput("r1", value);
        requests.pipeInput("r1", bytes(request("r1", null, "millrace-small"))); // same id, other content

        assertThat(tiny.readValuesToList()).hasSize(1);
        assertNothingElse();
        assertThat(metric(RouterMetrics.DUPLICATES_DROPPED)).isEqualTo(2.0);
        assertThat(metric(RouterMetrics.ROUTED)).isEqualTo(1.0);
    }

    @Test
    void acceptsARequestIdAgainOnceTheRetentionHasPassed() {
        byte[] value = bytes(request("r1", null, "millrace-tiny"));
        requests.pipeInput("r1", value, START);
        requests.pipeInput("r1", value, START.plus(Stores.DEDUP_RETENTION).minusMillis(1));
        assertThat(tiny.readValuesToList()).hasSize(1);

        requests.pipeInput("r1", value, START.plus(Stores.DEDUP_RETENTION));

        assertThat(tiny.readValuesToList()).hasSize(1);
    }

    @Test
    void dropsACopyThatCarriesAnOlderTimestampThanTheFirst() {
        byte[] value = bytes(request("r1", null, "millrace-tiny"));
        requests.pipeInput("r1", value, START.plus(Duration.ofHours(1)));
        requests.pipeInput("r1", value, START);

        assertThat(tiny.readValuesToList()).hasSize(1);
    }

    @Test
    void answersADuplicatedInvalidRequestOnce() {
        byte[] value = bytes(request("r1", null, "gpt-9"));

        requests.pipeInput("r1", value);
        requests.pipeInput("r1", value);
        requests.pipeInput("k1", utf8("not json"));
        requests.pipeInput("k1", utf8("not json"));

        assertThat(results.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("r1", "k1");
        assertNothingElse();
    }

    @Test
    void remembersRequestIdsInTheNamedWindowStore() {
        requests.pipeInput("r1", bytes(request("r1", null, "millrace-tiny")));

        WindowStore<String, Long> store = driver.getWindowStore(Stores.ROUTER_DEDUP);
        try (WindowStoreIterator<Long> seen = store.fetch("r1", 0, Long.MAX_VALUE)) {
            assertThat(seen).toIterable().hasSize(1);
        }
    }

    @Test
    void namesEveryNodeSoChangelogNamesStayStable() {
        TopologyDescription description = RouterTopology.build(new RouterConfig(CATALOG)).describe();

        TopologyDescription.Subtopology only = description.subtopologies().iterator().next();
        assertThat(description.subtopologies()).hasSize(1);
        assertThat(only.nodes()).extracting(TopologyDescription.Node::name).containsExactlyInAnyOrder(
                RouterTopology.SOURCE, RouterTopology.ROUTER, RouterTopology.GENERATION_SINK,
                RouterTopology.RESULTS_SINK, RouterTopology.DLT_SINK);
        assertThat(only.nodes()).filteredOn(n -> n.name().equals(RouterTopology.ROUTER))
                .flatExtracting(n -> ((TopologyDescription.Processor) n).stores())
                .containsExactlyInAnyOrder(Stores.ROUTER_DEDUP, Stores.ROUTER_PARKED);
        // Health: a global store, so every task reads every model's circuit.
        assertThat(description.globalStores()).singleElement().satisfies(g -> {
            assertThat(g.source().name()).isEqualTo(RouterTopology.HEALTH_SOURCE);
            assertThat(g.processor().name()).isEqualTo(RouterTopology.HEALTH_UPDATER);
            assertThat(g.processor().stores()).containsExactly(Stores.ROUTER_MODEL_HEALTH);
        });
    }

    private TestOutputTopic<String, RequestEvent> output(io.millrace.protocol.Topic<String, RequestEvent> topic) {
        return driver.createOutputTopic(topic.name(), topic.keySerde().deserializer(), topic.valueSerde().deserializer());
    }

    private void assertNothingElse() {
        assertThat(tiny.isEmpty()).as("millrace.gen.millrace-tiny.interactive is empty").isTrue();
        assertThat(small.isEmpty()).as("millrace.gen.millrace-small.interactive is empty").isTrue();
        assertThat(tinyBatch.isEmpty()).as("millrace.gen.millrace-tiny is empty").isTrue();
        assertThat(smallBatch.isEmpty()).as("millrace.gen.millrace-small is empty").isTrue();
        assertThat(results.isEmpty()).as("millrace.results is empty").isTrue();
        assertThat(dlt.isEmpty()).as("millrace.requests-dlt is empty").isTrue();
    }

    private double metric(String outcome) {
        return driver.metrics().entrySet().stream()
                .filter(e -> e.getKey().group().equals("stream-" + RouterMetrics.SCOPE + "-metrics")
                        && e.getKey().name().equals(outcome + "-total"))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
                .sum();
    }

    private static String header(TestRecord<?, ?> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
