package io.millrace.router;

import static io.millrace.router.Requests.CATALOG;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.Headers;
import io.millrace.protocol.InputLimits;
import io.millrace.protocol.Json;
import io.millrace.protocol.SubmittedAt;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.protocol.fuzz.Hostile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile records straight on {@code millrace.requests}, through the real topology: values that
 * are mutated events, not UTF-8 or over the limit; keys missing, blank, mismatched, too long or
 * not UTF-8; wrong and odd headers. Each record must yield exactly one output (a routed request,
 * an error result with a code and a message, or a dead letter with its reason), the topology must
 * not stop, and a valid request right after each must be routed. Seeded for reproduction.
 */
class RouterFuzzTest {
    private static final long SEED = 8_2026L;
    private static final int CASES = 1_500;
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> requests;
    private TestOutputTopic<String, RequestEvent> tiny;
    private TestOutputTopic<String, RequestEvent> small;
    private TestOutputTopic<String, RequestEvent> tinyLane;
    private TestOutputTopic<String, RequestEvent> smallLane;
    private TestOutputTopic<String, ResultEvent> results;
    private TestOutputTopic<byte[], byte[]> dlt;

    @BeforeEach
    void start() {
        driver = new TopologyTestDriver(RouterTopology.build(new RouterConfig(CATALOG)),
                RouterService.streamsConfig("unused:9092", stateDir, Map.of()), START);
        // Keys as bytes: a producer is not bound to UTF-8 keys.
        requests = driver.createInputTopic(Topics.REQUESTS.name(), new ByteArraySerializer(), new ByteArraySerializer(),
                START, Duration.ofMillis(10));
        tiny = output(Topics.generation("millrace-tiny").name());
        small = output(Topics.generation("millrace-small").name());
        tinyLane = output(Topics.interactive("millrace-tiny").name());
        smallLane = output(Topics.interactive("millrace-small").name());
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
    void everyHostileRecordGetsExactlyOneAnswerAndTheNextValidOneIsRouted() {
        Random r = new Random(SEED);
        for (int i = 0; i < CASES; i++) {
            String id = "fz-" + i;
            long now = START.toEpochMilli() + i * 20L;
            Hostile.Case value = Hostile.mutate(r, Hostile.requestEvent(r, id, r.nextBoolean() ? "millrace-tiny" : "millrace-small",
                    1 + r.nextInt(4), now - r.nextInt(1000)), InputLimits.MAX_EVENT_BYTES);
            byte[] key = key(r, id);
            String where = "seed " + SEED + ", case " + i + ", key " + (key == null ? null : key.length + " bytes") + ": " + value;

            requests.pipeInput(new TestRecord<>(key, value.bytes(), headers(r), Instant.ofEpochMilli(now)));

            List<RequestEvent> routed = concat(concat(tiny.readValuesToList(), small.readValuesToList()),
                    concat(tinyLane.readValuesToList(), smallLane.readValuesToList()));
            List<TestRecord<String, ResultEvent>> answered = results.readRecordsToList();
            List<TestRecord<byte[], byte[]>> dead = dlt.readRecordsToList();
            assertThat(routed.size() + answered.size() + dead.size()).as(where).isEqualTo(1);
            for (RequestEvent e : routed) {
                assertThat(e.model()).as(where).isIn("millrace-tiny", "millrace-small");
                assertThat(SubmittedAt.plausible(e.submittedAt(), now)).as(where + ": submitted_at " + e.submittedAt()).isTrue();
                assertThat(Json.writeBytes(e).length).as(where).isLessThanOrEqualTo(InputLimits.MAX_EVENT_BYTES);
            }
            for (TestRecord<String, ResultEvent> a : answered) {
                assertThat(a.value().error().code()).as(where).isNotBlank();
                assertThat(a.value().error().message()).as(where).isNotBlank().hasSizeLessThan(2_000);
                assertThat(a.key()).as(where).isEqualTo(a.value().requestId()).hasSizeLessThanOrEqualTo(InputLimits.MAX_ID_CHARS);
            }
            for (TestRecord<byte[], byte[]> d : dead) {
                assertThat(d.headers().lastHeader(Headers.DLT_REASON)).as(where).isNotNull();
                assertThat(d.value()).as(where).isEqualTo(value.bytes());
            }

            String okId = "ok-" + i;
            requests.pipeInput(okId.getBytes(StandardCharsets.UTF_8),
                    Json.writeBytes(Hostile.requestEvent(r, okId, "millrace-tiny", 2, now)), Instant.ofEpochMilli(now + 1));
            assertThat(concat(tiny.readValuesToList(), tinyLane.readValuesToList())).as("after " + where)
                    .extracting(RequestEvent::requestId).containsExactly(okId);
        }
        assertThat(results.isEmpty() && dlt.isEmpty() && small.isEmpty() && smallLane.isEmpty()).isTrue();
    }

    /** Usually the request id; else missing, blank, another id, too long, or bytes that are not UTF-8. */
    private static byte[] key(Random r, String id) {
        return switch (r.nextInt(12)) {
            case 0 -> null;
            case 1 -> " ".getBytes(StandardCharsets.UTF_8);
            case 2 -> ("other-" + id).getBytes(StandardCharsets.UTF_8); // unique: a repeated key is a duplicate, dropped
            case 3 -> "k".repeat(InputLimits.MAX_ID_CHARS + 1 + r.nextInt(100_000)).getBytes(StandardCharsets.UTF_8);
            // Dead-lettered: the router reads keys strictly as UTF-8 (see routerReadsKeysStrictly).
            case 4 -> concat(new byte[] {(byte) 0xFF, (byte) 0xC3, 0x28}, id.getBytes(StandardCharsets.UTF_8));
            default -> id.getBytes(StandardCharsets.UTF_8);
        };
    }

    private static RecordHeaders headers(Random r) {
        RecordHeaders h = new RecordHeaders();
        switch (r.nextInt(6)) {
            case 0 -> h.add(Headers.SCHEMA, "result.v1".getBytes(StandardCharsets.UTF_8));
            case 1 -> h.add(Headers.SCHEMA, new byte[] {(byte) 0xFF, 0});
            case 2 -> h.add(Headers.BATCH_ID, null);
            case 3 -> h.add(Headers.DLT_REASON, "forged".getBytes(StandardCharsets.UTF_8));
            case 4 -> h.add("traceparent", "x".repeat(10_000).getBytes(StandardCharsets.UTF_8));
            default -> { }
        }
        return h;
    }

    private TestOutputTopic<String, RequestEvent> output(String topic) {
        return driver.createOutputTopic(topic, Topics.REQUESTS.keySerde().deserializer(), Topics.REQUESTS.valueSerde().deserializer());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
