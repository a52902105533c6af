package io.millrace.router;

import static io.millrace.router.Requests.CATALOG;
import static io.millrace.router.Requests.bytes;
import static io.millrace.router.Requests.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.Headers;
import io.millrace.protocol.Ids;
import io.millrace.protocol.Stores;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.CacheEntry;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.protocol.events.Timings;
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
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The response cache in the router's topology (TopologyTestDriver, the service's EOS settings): every
 * rule of the cache, from a miss through the result that fills it to the hit that answers without a
 * worker.
 */
class ResponseCacheTopologyTest {
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final Map<String, String> IDENTITY = Map.of("millrace-tiny", "sha256:tiny-v1", "millrace-small", "sha256:small-v1");
    private static final String GREEDY = "{\"model\":\"millrace-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
            + "\"max_tokens\":8,\"temperature\":0}";

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> requests;
    private TestInputTopic<String, ResultEvent> resultsIn;
    private TestInputTopic<String, CacheEntry> cacheIn;
    private TestOutputTopic<String, RequestEvent> tiny;
    private TestOutputTopic<String, ResultEvent> results;
    private TestOutputTopic<String, CacheEntry> cacheOut;

    private void start(CacheSettings cache) {
        driver = new TopologyTestDriver(RouterTopology.build(new RouterConfig(CATALOG.withAliases(Map.of("gpt-4o-mini", "millrace-tiny")), Stores.DEDUP_RETENTION, IDENTITY, cache)),
                RouterService.streamsConfig("unused:9092", stateDir, Map.of()), START);
        requests = driver.createInputTopic(Topics.REQUESTS.name(), new StringSerializer(), new ByteArraySerializer(),
                START, Duration.ofSeconds(1));
        // Lone requests: the interactive lane.
        tiny = driver.createOutputTopic(Topics.interactive("millrace-tiny").name(), Topics.KEYS.deserializer(),
                Topics.REQUEST_SERDE.deserializer());
        results = driver.createOutputTopic(Topics.RESULTS.name(), Topics.KEYS.deserializer(), Topics.RESULT_SERDE.deserializer());
        if (cache.enabled()) {
            resultsIn = driver.createInputTopic(Topics.RESULTS.name(), Topics.KEYS.serializer(), Topics.RESULT_SERDE.serializer());
            cacheIn = driver.createInputTopic(Topics.RESPONSE_CACHE.name(), Topics.KEYS.serializer(), Topics.CACHE_SERDE.serializer());
            cacheOut = driver.createOutputTopic(Topics.RESPONSE_CACHE.name(), Topics.KEYS.deserializer(),
                    Topics.CACHE_SERDE.deserializer());
        }
    }

    @AfterEach
    void stop() {
        if (driver != null) {
            driver.close();
        }
    }

    @Test
    void aRepeatedGreedyRequestIsAnsweredFromTheCacheWithoutAWorker() {
        start(CacheSettings.DEFAULT);
        RequestEvent first = routeAndAnswer("r1", GREEDY, null);

        requests.pipeInput("r2", bytes(request("r2", GREEDY, null)));

        assertThat(tiny.isEmpty()).as("no request reaches a worker").isTrue();
        TestRecord<String, ResultEvent> hit = results.readRecord();
        assertThat(hit.key()).isEqualTo("r2");
        ResultEvent r = hit.value();
        assertThat(r.cached()).isTrue();
        assertThat(r.generated()).isFalse();
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.model()).isEqualTo("millrace-tiny");
        assertThat(r.customId()).isEqualTo("custom-r2");
        assertThat(r.body().get("id").asText()).isEqualTo(Ids.completionId("r2")).isNotEqualTo(Ids.completionId(first.requestId()));
        assertThat(r.body().get("cached").asBoolean()).isTrue();
        assertThat(r.body().get("generated").asBoolean()).isFalse();
        assertThat(r.body().at("/choices/0/message/content").asText()).isEqualTo("cached text");
        assertThat(new String(hit.headers().lastHeader(Headers.SCHEMA).value())).isEqualTo(Headers.RESULT_V1);
        assertThat(metric(RouterMetrics.CACHE_HITS)).isEqualTo(1.0);
        assertThat(metric(RouterMetrics.CACHE_MISSES)).isEqualTo(1.0);
        assertThat(metric(RouterMetrics.CACHE_STORED)).isEqualTo(1.0);
        assertThat(gauge(RouterMetrics.CACHE_SIZE)).isEqualTo(1.0);
    }

    @Test
    void theSameRequestSpelledDifferentlyHitsAndAnAliasSharesItsTargetsEntries() {
        start(CacheSettings.DEFAULT);
        routeAndAnswer("r1", GREEDY, null);
        String respelled = "{\"temperature\":0.0,\"max_tokens\":8,\"messages\":[{\"content\":\"Hi\",\"role\":\"user\"}],"
                + "\"model\":\"millrace-tiny\",\"user\":\"someone\"}";
        requests.pipeInput("r2", bytes(request("r2", respelled, null)));
        requests.pipeInput("r3", bytes(request("r3", GREEDY.replace("millrace-tiny", "gpt-4o-mini").replace(":0}", ":0e0}"), null)));
        List<ResultEvent> hits = results.readValuesToList();
        assertThat(hits).extracting(ResultEvent::requestId).containsExactly("r2", "r3");
        assertThat(hits).allMatch(ResultEvent::cached);
        assertThat(hits.get(1).model()).as("the alias's served model").isEqualTo("millrace-tiny");
        assertThat(tiny.isEmpty()).isTrue();
    }

    @Test
    void aSeededRequestIsCacheableAndAnotherSeedOrAnotherMessageMisses() {
        start(CacheSettings.DEFAULT);
        String seeded = "{\"model\":\"millrace-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"temperature\":0.9,\"seed\":7}";
        routeAndAnswer("r1", seeded, null);

        requests.pipeInput("r2", bytes(request("r2", seeded.replace("\"seed\":7", "\"seed\":8"), null)));
        requests.pipeInput("r3", bytes(request("r3", seeded.replace("Hi", "Hello"), null)));
        requests.pipeInput("r4", bytes(request("r4", seeded, null)));

        assertThat(tiny.readValuesToList()).extracting(RequestEvent::requestId).containsExactly("r2", "r3");
        assertThat(results.readValuesToList()).extracting(ResultEvent::requestId).containsExactly("r4");
    }

    @Test
    void aSampledRequestIsNeverCachedNorLookedUp() {
        start(CacheSettings.DEFAULT);
        String sampled = "{\"model\":\"millrace-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"temperature\":0.7}";
        requests.pipeInput("r1", bytes(request("r1", sampled, null)));
        RequestEvent routed = tiny.readValue();
        resultsIn.pipeInput("r1", completion(routed, "sampled text"));
        assertThat(cacheOut.isEmpty()).as("nothing stored for a sampled request").isTrue();

        requests.pipeInput("r2", bytes(request("r2", sampled, null)));
        assertThat(tiny.readValue().requestId()).isEqualTo("r2");
        assertThat(results.isEmpty()).isTrue();
        assertThat(metric(RouterMetrics.CACHE_MISSES)).isEqualTo(0.0);
    }

    @Test
    void entriesArePerTenantUnlessTheCacheIsShared() {
        start(CacheSettings.DEFAULT);
        routeAndAnswer("r1", GREEDY, "acme");

        requests.pipeInput("r2", bytes(request("r2", GREEDY, "globex")));
        requests.pipeInput("r3", bytes(request("r3", GREEDY, null)));
        requests.pipeInput("r4", bytes(request("r4", GREEDY, "acme")));

        assertThat(tiny.readValuesToList()).extracting(RequestEvent::requestId).containsExactly("r2", "r3");
        ResultEvent hit = results.readValue();
        assertThat(hit.requestId()).isEqualTo("r4");
        assertThat(hit.tenant()).isEqualTo("acme");
    }

    @Test
    void aSharedCacheAnswersEveryTenant() {
        start(new CacheSettings(true, true, CacheSettings.DEFAULT_TTL, 100));
        routeAndAnswer("r1", GREEDY, "acme");

        requests.pipeInput("r2", bytes(request("r2", GREEDY, "globex")));

        assertThat(tiny.isEmpty()).isTrue();
        ResultEvent hit = results.readValue();
        assertThat(hit.cached()).isTrue();
        assertThat(hit.tenant()).isEqualTo("globex");
    }

    @Test
    void anEntryPastItsTtlIsNotServed() {
        start(new CacheSettings(true, false, Duration.ofHours(1), 100));
        routeAndAnswer("r1", GREEDY, null);

        driver.advanceWallClockTime(Duration.ofMinutes(59));
        requests.pipeInput("r2", bytes(request("r2", GREEDY, null)));
        assertThat(results.readValue().cached()).as("within the TTL").isTrue();

        driver.advanceWallClockTime(Duration.ofMinutes(2));
        requests.pipeInput("r3", bytes(request("r3", GREEDY, null)));
        assertThat(tiny.readValue().requestId()).as("past the TTL: generated again").isEqualTo("r3");
        assertThat(results.isEmpty()).isTrue();
    }

    @Test
    void failedAndCachedResultsAreNotStored() {
        start(CacheSettings.DEFAULT);
        requests.pipeInput("r1", bytes(request("r1", GREEDY, null)));
        RequestEvent routed = tiny.readValue();
        resultsIn.pipeInput("r1", ResultEvent.failure(routed, 500,
                io.millrace.protocol.events.ErrorInfo.of("generation_failed", "boom"), START.toEpochMilli()));
        assertThat(cacheOut.isEmpty()).isTrue();
        KeyValueStore<String, String> pending = driver.getKeyValueStore(Stores.ROUTER_CACHE_PENDING);
        assertThat(pending.get("r1")).as("a result ends the wait, stored or not").isNull();

        // A result for a request this router never sent to a worker (an error, a cache answer) stores nothing.
        resultsIn.pipeInput("other", completion(routed.withModel("millrace-tiny"), "x"));
        assertThat(cacheOut.isEmpty()).isTrue();
    }

    @Test
    void aDuplicateOfAnAnsweredRequestIsDroppedBeforeTheCache() {
        start(CacheSettings.DEFAULT);
        routeAndAnswer("r1", GREEDY, null);
        requests.pipeInput("r1", bytes(request("r1", GREEDY, null)));
        assertThat(results.isEmpty()).isTrue();
        assertThat(tiny.isEmpty()).isTrue();
    }

    @Test
    void anUnreadableCacheRecordIsSkipped() {
        start(CacheSettings.DEFAULT);
        TestInputTopic<String, byte[]> rawCache = driver.createInputTopic(Topics.RESPONSE_CACHE.name(), new StringSerializer(),
                new ByteArraySerializer());
        rawCache.pipeInput("junk", "not json".getBytes());
        requests.pipeInput("r1", bytes(request("r1", GREEDY, null)));
        assertThat(tiny.readValue().requestId()).isEqualTo("r1");
    }

    @Test
    void withTheCacheOffEveryRequestIsGenerated() {
        start(CacheSettings.DISABLED);
        requests.pipeInput("r1", bytes(request("r1", GREEDY, null)));
        requests.pipeInput("r2", bytes(request("r2", GREEDY, null)));
        assertThat(tiny.readValuesToList()).extracting(RequestEvent::requestId).containsExactly("r1", "r2");
        assertThat(results.isEmpty()).isTrue();
        assertThat(driver.producedTopicNames()).doesNotContain(Topics.RESPONSE_CACHE.name());
    }

    /** Routes a request, answers it as a worker would and lets the cache entry it makes arrive. */
    private RequestEvent routeAndAnswer(String id, String body, String tenant) {
        requests.pipeInput(id, bytes(request(id, body, tenant)));
        RequestEvent routed = tiny.readValue();
        assertThat(routed.requestId()).isEqualTo(id);
        resultsIn.pipeInput(id, completion(routed, "cached text"));
        List<TestRecord<String, CacheEntry>> stored = cacheOut.readRecordsToList();
        assertThat(stored).hasSize(1);
        assertThat(stored.get(0).value().expiresAt() - stored.get(0).value().storedAt()).isPositive();
        // TopologyTestDriver does not feed a sink's records back to a global store: the broker does.
        cacheIn.pipeInput(stored.get(0).key(), stored.get(0).value());
        return routed;
    }

    private static RequestEvent request(String id, String body, String tenant) {
        return new RequestEvent(id, null, "custom-" + id, null, "POST", ChatRequestValidator.CHAT_COMPLETIONS, json(body), null,
                START.toEpochMilli(), tenant);
    }

    private static ResultEvent completion(RequestEvent routed, String text) {
        JsonNode body = json("{\"id\":\"" + Ids.completionId(routed.requestId()) + "\",\"object\":\"chat.completion\","
                + "\"created\":1,\"model\":\"millrace-tiny\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                + "\"content\":\"" + text + "\"},\"finish_reason\":\"length\"}],"
                + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}");
        return new ResultEvent(routed.requestId(), null, routed.customId(), null, "millrace-tiny", 200, body, null, true,
                START.toEpochMilli(), new Timings(1L, 1L, 2L, 3L), routed.tenant());
    }

    private double metric(String outcome) {
        return gauge(outcome + "-total");
    }

    private double gauge(String name) {
        return driver.metrics().entrySet().stream()
                .filter(e -> e.getKey().group().equals(RouterMetrics.GROUP) && e.getKey().name().equals(name))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
                .max().orElse(0.0);
    }
}
