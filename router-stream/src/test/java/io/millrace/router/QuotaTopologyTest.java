package io.millrace.router;

import static io.millrace.router.Requests.CATALOG;
import static io.millrace.router.Requests.bytes;
import static io.millrace.router.Requests.json;
import static io.millrace.router.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Headers;
import io.millrace.protocol.Stores;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.QuotaUsage;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
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
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quotas in the router's topology, with the wall clock mocked: acme may use 30 tokens a day; each
 * test request is estimated at 8 (a 2-character prompt and {@code max_tokens} 8).
 */
class QuotaTopologyTest {
    /** Mid-morning: the day's window began at 00:00 and ends 14 hours later. */
    private static final Instant START = Instant.parse("2026-01-01T10:00:00Z");
    private static final long WINDOW = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> requests;
    private TestInputTopic<String, ResultEvent> resultsIn;
    private TestInputTopic<String, QuotaUsage> usageIn;
    private TestOutputTopic<String, RequestEvent> lane;
    private TestOutputTopic<String, RequestEvent> batch;
    private TestOutputTopic<String, ResultEvent> results;
    private TestOutputTopic<String, QuotaUsage> usage;

    @BeforeEach
    void start() {
        RouterConfig config = new RouterConfig(CATALOG, Stores.DEDUP_RETENTION, Map.of(), CacheSettings.DISABLED)
                .withQuotas(Map.of("acme", 30L));
        driver = new TopologyTestDriver(RouterTopology.build(config), RouterService.streamsConfig("unused:9092", stateDir, Map.of()),
                START);
        requests = driver.createInputTopic(Topics.REQUESTS.name(), new StringSerializer(), new ByteArraySerializer(), START,
                Duration.ZERO);
        resultsIn = driver.createInputTopic(Topics.RESULTS.name(), Topics.KEYS.serializer(), Topics.RESULT_SERDE.serializer());
        usageIn = driver.createInputTopic(Topics.QUOTA_USAGE.name(), Topics.KEYS.serializer(), Topics.QUOTA_USAGE_SERDE.serializer());
        lane = driver.createOutputTopic(Topics.interactive("millrace-tiny").name(), Topics.KEYS.deserializer(),
                Topics.REQUEST_SERDE.deserializer());
        batch = driver.createOutputTopic(Topics.generation("millrace-tiny").name(), Topics.KEYS.deserializer(),
                Topics.REQUEST_SERDE.deserializer());
        results = driver.createOutputTopic(Topics.RESULTS.name(), Topics.KEYS.deserializer(), Topics.RESULT_SERDE.deserializer());
        usage = driver.createOutputTopic(Topics.QUOTA_USAGE.name(), Topics.KEYS.deserializer(), Topics.QUOTA_USAGE_SERDE.deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @Test
    void overQuotaAnInteractiveRequestIsAnswered429SayingTheQuotaTheUsageAndTheReset() {
        for (String id : List.of("r1", "r2", "r3", "r4")) {
            requests.pipeInput(id, bytes(acme(id, null)));
        }
        // Admitted while under 30: 0, 8, 16, 24 used before each; each charged its estimate.
        assertThat(lane.readValuesToList()).extracting(RequestEvent::requestId).containsExactly("r1", "r2", "r3", "r4");
        List<TestRecord<String, QuotaUsage>> charged = usage.readRecordsToList();
        assertThat(charged).extracting(r -> r.value().used()).containsExactly(8L, 16L, 24L, 32L);
        assertThat(charged).allSatisfy(r -> {
            assertThat(r.key()).isEqualTo(QuotaUsage.key(0, "acme"));
            assertThat(r.value().windowStart()).isEqualTo(WINDOW);
        });

        requests.pipeInput("r5", bytes(acme("r5", null)));

        assertThat(lane.isEmpty()).isTrue();
        ResultEvent refused = results.readValue();
        assertThat(refused.requestId()).isEqualTo("r5");
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.tenant()).isEqualTo("acme");
        assertThat(refused.error().code()).isEqualTo(ErrorCodes.QUOTA_EXCEEDED);
        assertThat(refused.error().message()).contains("used 32").contains("quota of 30 tokens per day")
                .contains("resets at 2026-01-02T00:00:00Z");
        // Other tenants, and requests of no tenant, are not limited.
        requests.pipeInput("o1", bytes(request("o1", null, "millrace-tiny").withTenant("other")));
        requests.pipeInput("n1", bytes(request("n1", null, "millrace-tiny")));
        assertThat(lane.readValuesToList()).extracting(RequestEvent::requestId).containsExactly("o1", "n1");
        assertThat(usage.isEmpty()).as("only tenants with a quota are charged").isTrue();
    }

    @Test
    void overQuotaABatchRequestWaitsAndIsReleasedAtTheNextWindow() {
        for (String id : List.of("r1", "r2", "r3", "r4")) {
            requests.pipeInput(id, bytes(acme(id, null)));
        }
        lane.readValuesToList();
        usage.readValuesToList();

        requests.pipeInput("b:1", bytes(acme("b:1", "b")));
        requests.pipeInput("b:2", bytes(acme("b:2", "b")));

        assertThat(batch.isEmpty()).as("parked, not sent").isTrue();
        assertThat(results.isEmpty()).as("and not answered").isTrue();
        assertThat(RouterMetrics.waitingIn(driver.metrics(), RouterMetrics.QUOTA)).as("the gauge of waiting requests").isEqualTo(2);
        assertThat(RouterMetrics.waitingIn(driver.metrics(), RouterMetrics.HEALTH)).as("none wait for health").isZero();
        driver.advanceWallClockTime(Duration.ofMinutes(10));
        assertThat(batch.isEmpty()).as("still over quota ten minutes later").isTrue();

        // 00:00 UTC: a new window. The punctuator releases both, charging the new window.
        driver.advanceWallClockTime(Duration.ofHours(14));

        List<TestRecord<String, RequestEvent>> released = batch.readRecordsToList();
        assertThat(released).extracting(r -> r.value().requestId()).containsExactly("b:1", "b:2");
        assertThat(new String(released.get(0).headers().lastHeader(Headers.BATCH_ID).value())).isEqualTo("b");
        assertThat(released.get(0).key()).isEqualTo(ConversationKey.of(released.get(0).value()));
        assertThat(RouterMetrics.waitingIn(driver.metrics(), RouterMetrics.QUOTA)).isZero();
        assertThat(results.isEmpty()).isTrue();
        List<QuotaUsage> charged = usage.readValuesToList();
        assertThat(charged).extracting(QuotaUsage::used).containsExactly(8L, 16L);
        assertThat(charged).allSatisfy(u -> assertThat(u.windowStart()).isEqualTo(WINDOW + QuotaPolicy.DAY_MS));
        driver.advanceWallClockTime(Duration.ofMinutes(1));
        assertThat(batch.isEmpty()).as("released once").isTrue();
    }

    @Test
    void resultsReplaceTheEstimateWithTheRealUsageAndAFreedQuotaReleasesParkedWork() {
        for (String id : List.of("r1", "r2", "r3", "r4")) {
            requests.pipeInput(id, bytes(acme(id, null)));
        }
        List<RequestEvent> routed = lane.readValuesToList();
        usage.readValuesToList();
        requests.pipeInput("b:1", bytes(acme("b:1", "b")));
        assertThat(batch.isEmpty()).isTrue();

        // r1 used 3 tokens, not 8; r2 failed (no usage): 32 - 5 - 8 = 19, under quota again.
        resultsIn.pipeInput("r1", completion(routed.get(0), 3));
        resultsIn.pipeInput("r2", ResultEvent.failure(routed.get(1), 500, io.millrace.protocol.events.ErrorInfo.of(
                ErrorCodes.GENERATION_FAILED, "boom"), START.toEpochMilli()));
        assertThat(usage.readValuesToList()).extracting(QuotaUsage::used).containsExactly(27L, 19L);
        // A result seen again (a replay) corrects nothing twice.
        resultsIn.pipeInput("r1", completion(routed.get(0), 3));
        assertThat(usage.isEmpty()).isTrue();

        driver.advanceWallClockTime(QuotaGate.RELEASE_INTERVAL);
        assertThat(batch.readValuesToList()).extracting(RequestEvent::requestId).containsExactly("b:1");
        assertThat(usage.readValue().used()).isEqualTo(27L);
    }

    @Test
    void otherTasksChargesCountThroughTheSharedUsageTopic() {
        // Another router task (partition 3) charged acme 25 tokens today, and 1000 yesterday.
        usageIn.pipeInput(QuotaUsage.key(3, "acme"), new QuotaUsage("acme", 3, WINDOW, 25));
        usageIn.pipeInput(QuotaUsage.key(4, "acme"), new QuotaUsage("acme", 4, WINDOW - QuotaPolicy.DAY_MS, 1000));

        requests.pipeInput("r1", bytes(acme("r1", null)));
        requests.pipeInput("r2", bytes(acme("r2", null)));

        assertThat(lane.readValuesToList()).extracting(RequestEvent::requestId).containsExactly("r1");
        ResultEvent refused = results.readValue();
        assertThat(refused.requestId()).isEqualTo("r2");
        assertThat(refused.error().message()).contains("used 33");
    }

    @Test
    void quotaStoresAndTopicsHaveTheirProtocolNames() {
        var description = RouterTopology.build(new RouterConfig(CATALOG, Stores.DEDUP_RETENTION, Map.of(), CacheSettings.DISABLED)
                .withQuotas(Map.of("acme", 30L))).describe();
        assertThat(description.toString()).contains(Stores.ROUTER_QUOTA_CHARGES, Stores.ROUTER_QUOTA_PENDING,
                Stores.ROUTER_QUOTA_PARKED, Stores.ROUTER_QUOTA_USAGE, Topics.QUOTA_USAGE.name(), RouterTopology.QUOTA_SETTLER);
    }

    private static RequestEvent acme(String id, String batchId) {
        return request(id, batchId, "millrace-tiny").withTenant("acme");
    }

    private static ResultEvent completion(RequestEvent routed, int totalTokens) {
        return new ResultEvent(routed.requestId(), routed.batchId(), routed.customId(), null, "millrace-tiny", 200,
                json("{\"object\":\"chat.completion\",\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":"
                        + (totalTokens - 1) + ",\"total_tokens\":" + totalTokens + "}}"), null, true, START.toEpochMilli(), null,
                "acme", false, routed.route());
    }
}
