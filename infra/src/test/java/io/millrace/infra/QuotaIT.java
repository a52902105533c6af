package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.Json;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.QuotaUsage;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.router.RouterService;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quotas on the real broker, every role in one {@code serve} with keys required, the response cache
 * off (a cache hit costs nothing, so it would hide the quota) and a 10 s quota window
 * ({@code router.quota.window}: a test cannot wait for 00:00 UTC):
 *
 * <ul>
 *   <li>{@code capped} may use 1 token per window: its first chat completion over HTTP is admitted
 *       (its usage was 0), and once that is charged the next ones are answered 429
 *       {@code quota_exceeded}, with the quota, the usage and the reset time;
 *   <li>{@code metered} too: of its batch lines, one is sent on per window; the others wait in the
 *       router (the gauge {@code parked-requests} counts them) and are released one per window. Every
 *       line is answered exactly once.
 * </ul>
 */
class QuotaIT {
    private static final String CAPPED = "capped";
    private static final String METERED = "metered";
    private static final String MODEL = "millrace-tiny";
    private static final int LINES = 4;

    @TempDir
    static Path dir;
    @AutoClose
    static RunningServe running;
    static Deployment serve;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startServe() throws Exception {
        DeploymentConfig quotas = new DeploymentConfig(null, List.of(), Map.of(), Map.of(), DeploymentConfig.AutoRouting.OFF,
                Map.of(CAPPED, 1L, METERED, 1L), Map.of());
        running = RunningServe.start(dir, bootstrap -> new Settings(bootstrap, dir, 0, 0, List.of(), "quota-it", -1,
                Map.of("cache.enabled", "false", "router.quota.window", "10s"), true, Duration.ofSeconds(60), quotas));
        serve = running.deployment();
    }

    @Test
    void aTenantOverItsQuotaGets429FromTheApiAndEveryRequestOneAnswer() throws Exception {
        String key = TestKeys.create(serve, CAPPED, 0);

        HttpResponse<String> first = chat(key);
        assertThat(first.statusCode()).as("admitted: nothing used yet").isEqualTo(200);
        long used = Json.parse(first.body()).at("/usage/total_tokens").asLong();
        assertThat(used).isPositive();

        // The first request's charge is its task's at once; a request routed by another task sees it
        // once that task's commit reaches the shared usage topic (milliseconds), and a new window may
        // begin in between: allow a few tries.
        List<HttpResponse<String>> after = new ArrayList<>();
        do {
            after.add(chat(key));
        } while (after.get(after.size() - 1).statusCode() == 200 && after.size() < 4);
        HttpResponse<String> refused = after.get(after.size() - 1);
        assertThat(refused.statusCode()).isEqualTo(429);
        JsonNode error = Json.parse(refused.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("quota_exceeded");
        assertThat(error.get("message").asText()).contains("tenant 'capped' has used").contains("of its quota of 1 tokens per 10s")
                .contains("the quota resets at");

        // One committed result per request id the API took, nothing more.
        Set<String> ids = new LinkedHashSet<>();
        ids.add(requestId(first));
        after.forEach(r -> ids.add(requestId(r)));
        Map<String, List<ResultEvent>> all = WorkerHarness.committedResults(serve.bootstrapServers());
        assertThat(ids).allSatisfy(id -> assertThat(all.get(id)).as("results of " + id).hasSize(1));
    }

    @Test
    void batchLinesOverQuotaWaitForTheNextWindowAndAreEachAnsweredOnce() throws Exception {
        RouterService router = serve.router().orElseThrow();
        // One partition of millrace.requests (ids chosen by the producer's partitioner), so one router task
        // charges them all: a task's own charges are exact, while other tasks' arrive after their commit,
        // by which a burst spread over partitions may pass the quota a little (README, "Quotas").
        List<String> ids = idsOnOnePartition("metered-batch:line-", LINES);
        try (KafkaProducer<String, RequestEvent> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                serve.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all"), Topics.REQUESTS.keySerde().serializer(),
                Topics.REQUESTS.valueSerde().serializer())) {
            for (String id : ids) {
                RequestEvent line = new RequestEvent(id, "metered-batch", id, null, "POST", "/v1/chat/completions",
                        Json.parse("{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Line " + id
                                + "\"}],\"max_tokens\":4}"), null, 0L).withTenant(METERED);
                producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), id, line));
            }
            producer.flush();
        }

        long mostWaiting = 0;
        Map<String, List<ResultEvent>> all = Map.of();
        for (long deadline = System.currentTimeMillis() + 120_000; System.currentTimeMillis() < deadline; Thread.sleep(50)) {
            mostWaiting = Math.max(mostWaiting, router.parkedRequests("quota"));
            all = WorkerHarness.committedResults(serve.bootstrapServers());
            if (all.keySet().containsAll(ids)) {
                break;
            }
        }
        // One line goes at once; a new window may begin during the burst and let one more go: the rest wait.
        assertThat(mostWaiting).as("lines waiting for the next window at most").isGreaterThanOrEqualTo(LINES - 2);
        assertThat(router.parkedRequests("quota")).as("none waits any more").isZero();

        // Nothing lost, nothing duplicated: each line exactly one committed result, a completion.
        Map<String, List<ResultEvent>> results = all;
        Map<String, Integer> counts = ids.stream().collect(Collectors.toMap(id -> id, id -> results.getOrDefault(id, List.of()).size()));
        assertThat(counts).as("committed results per line").allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
        assertThat(ids).allSatisfy(id -> assertThat(results.get(id).get(0).statusCode()).isEqualTo(200));

        // Each window charged at most what one line costs over the quota of 1: one line per window.
        Map<Long, Long> perWindow = new java.util.TreeMap<>();
        TopicScan.toEnd(serve.bootstrapServers(), Topics.QUOTA_USAGE.name(), r -> {
            QuotaUsage u = Topics.QUOTA_USAGE_SERDE.deserializer().deserialize(r.topic(), r.value());
            if (u != null && METERED.equals(u.tenant())) {
                perWindow.merge(u.windowStart(), 1L, Long::sum);
            }
        });
        assertThat(perWindow.size()).as("windows the lines were charged in").isGreaterThanOrEqualTo(LINES - 1);
    }

    /** {@code n} ids {@code prefix<i>} that Kafka's default partitioner puts on one partition of millrace.requests. */
    private static List<String> idsOnOnePartition(String prefix, int n) {
        int target = partition(prefix + 0);
        List<String> ids = new ArrayList<>();
        for (int i = 0; ids.size() < n; i++) {
            if (partition(prefix + i) == target) {
                ids.add(prefix + i);
            }
        }
        return ids;
    }

    private static int partition(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % Topics.REQUEST_PARTITIONS;
    }

    private static HttpResponse<String> chat(String key) throws Exception {
        HttpRequest post = HttpRequest.newBuilder(URI.create("http://localhost:" + serve.api().orElseThrow().httpPort()
                + "/v1/chat/completions")).header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"Hi\"}],\"max_tokens\":2}")).build();
        return http.send(post, HttpResponse.BodyHandlers.ofString());
    }

    private static String requestId(HttpResponse<String> response) {
        return response.headers().firstValue("x-request-id").orElseThrow();
    }
}
