package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.millrace.protocol.ApiKeys;
import io.millrace.protocol.Json;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.protocol.webhooks.WebhookEventIds;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Webhooks end to end on the real broker, API and webhooks role, with a receiver in Node that
 * verifies every delivery with the {@code standardwebhooks} npm package (tools/webhook-receiver),
 * on 127.0.0.1 only ({@code webhooks.allow.private=true}; no test may reach another address).
 * Events come from what the pipeline's stages write: results on {@code millrace.results} (as a
 * worker commits them) and a batch's end on {@code millrace.batches} (as the API's finalizer
 * publishes it). Retry tiers are shortened to 1s,2s,3s, the attempt timeout to 10 s.
 */
class WebhooksIT {
    @TempDir
    static Path dir;
    static TestKafka kafka;
    static Deployment serve;
    static WebhookReceiver receiver;
    static String receiverBase;
    static KafkaProducer<String, byte[]> producer;
    static final Map<String, String> keys = new HashMap<>();
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        kafka = TestKafka.start(dir.resolve("broker"));
        Settings settings = new Settings(kafka.bootstrapServers(), dir, 0, 0, List.of(), "webhooks-it", -1,
                Map.of("webhooks.retry.delays", "1s,2s,3s", "webhooks.allow.private", "true",
                        "webhooks.timeout", "10s"))
                .withApi(true, Duration.ofSeconds(60));
        serve = Deployment.connect(settings);
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer());
        for (String tenant : List.of("acme", "globex", "gone", "redir", "dead", "live")) {
            ApiKeys.Issued issued = ApiKeys.issue(tenant, 0, 0, System.currentTimeMillis());
            producer.send(new ProducerRecord<>(Topics.API_KEYS.name(), issued.event().keyId(),
                    Topics.API_KEY_SERDE.serializer().serialize(Topics.API_KEYS.name(), issued.event()))).get();
            keys.put(tenant, issued.key());
        }
        serve.startRoles(EnumSet.of(Role.API, Role.WEBHOOKS));
        serve.awaitRunning(Duration.ofSeconds(60));
        receiver = WebhookReceiver.start();
        receiverBase = receiver.base();
    }

    @AfterAll
    static void stop() throws Exception {
        if (receiver != null) {
            receiver.close();
        }
        if (producer != null) {
            producer.close();
        }
        if (serve != null) {
            serve.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void endpointsBelongToTheirTenant() throws Exception {
        JsonNode created = call("POST", "/v1/webhooks", "globex",
                "{\"url\": \"" + receiverBase + "/ok/globex\", \"events\": [\"batch.completed\"], \"description\": \"ops\"}");
        String id = created.get("id").asText();
        assertThat(created.get("secret").asText()).startsWith("whsec_");
        assertThat(call("GET", "/v1/webhooks/" + id, "globex").toString()).doesNotContain("whsec_").contains("\"status\":\"enabled\"");
        assertThat(call("GET", "/v1/webhooks", "globex").get("data")).extracting(n -> n.get("id").asText()).contains(id);
        // Another tenant: not found, not listed, cannot delete, rotate or replay it.
        assertThat(status("GET", "/v1/webhooks/" + id, "acme", null)).isEqualTo(404);
        assertThat(status("DELETE", "/v1/webhooks/" + id, "acme", null)).isEqualTo(404);
        assertThat(status("POST", "/v1/webhooks/" + id + "/rotate_secret", "acme", "")).isEqualTo(404);
        assertThat(status("POST", "/v1/webhooks/" + id + "/replay", "acme", "")).isEqualTo(404);
        assertThat(call("GET", "/v1/webhooks", "acme").get("data")).extracting(n -> n.get("id").asText()).doesNotContain(id);
        assertThat(status("POST", "/v1/webhooks", "globex", "{\"url\": \"ftp://x\", \"events\": [\"batch.completed\"]}")).isEqualTo(400);
        assertThat(call("DELETE", "/v1/webhooks/" + id, "globex").get("deleted").asBoolean()).isTrue();
        assertThat(status("GET", "/v1/webhooks/" + id, "globex", null)).isEqualTo(404);
    }

    /**
     * Every event arrives, through two 503s each, verified by the independent library, accepted
     * once per webhook-id; another tenant's events never arrive; after a rotation both secrets verify.
     */
    @Test
    void deliversEveryEventSignedAndOnceThroughOutages() throws Exception {
        JsonNode endpoint = call("POST", "/v1/webhooks", "acme", "{\"url\": \"" + receiverBase
                + "/ok/acme\", \"events\": [\"batch.completed\", \"request.completed\", \"request.failed\"]}");
        String secret = endpoint.get("secret").asText();
        configure("{\"path\": \"/ok/acme\", \"secrets\": [\"" + secret + "\"], \"failFirst\": 2}");
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String rid = "batch_w:line-" + i;
            publishResult(rid, "acme", i % 2 == 0);
            expected.add(WebhookEventIds.forRequest(rid, i % 2 == 0 ? "request.completed" : "request.failed"));
        }
        publishResult("batch_g:secret", "globex", true); // globex has no endpoint at acme's URL: never delivered there
        BatchEvent done = BatchEvent.ofFile("batch_w", "/v1/chat/completions", "file-w", "24h", 1_000, 86_401_000, Map.of(), "acme")
                .inProgress(5, 2_000).finalized("file-out", "file-err", 3_000, 4_000);
        producer.send(new ProducerRecord<>(Topics.BATCHES.name(), done.batchId(),
                Topics.BATCH_SERDE.serializer().serialize(Topics.BATCHES.name(), done))).get();
        expected.add(WebhookEventIds.forBatch("batch_w", "batch.completed"));

        // One receiver serves every test of the class: its accepted set also holds other tests' events.
        JsonNode state = awaitState(s -> expected.stream().allMatch(id -> s.get("accepted").has(id)), Duration.ofSeconds(60));
        assertThat(state.get("problems")).as("deliveries that did not verify").isEmpty();
        assertThat(state.get("accepted").has(WebhookEventIds.forRequest("batch_g:secret", "request.completed")))
                .as("another tenant's event").isFalse();
        assertThat(state.get("duplicates").asInt()).isZero();
        for (String id : expected) {
            assertThat(state.get("attempts").get(id).asInt()).as("attempts of " + id).isEqualTo(3);
        }
        JsonNode batchEvent = state.get("accepted").get(WebhookEventIds.forBatch("batch_w", "batch.completed"));
        assertThat(batchEvent.get("object").asText()).isEqualTo("event");
        assertThat(batchEvent.get("type").asText()).isEqualTo("batch.completed");
        assertThat(batchEvent.get("data").get("id").asText()).isEqualTo("batch_w");

        // The delivery log: newest first; the 503s name their next attempt, the 200 none.
        JsonNode log = call("GET", "/v1/webhooks/" + endpoint.get("id").asText() + "/deliveries?limit=100", "acme");
        assertThat(log.get("data")).hasSize(expected.size() * 3);
        assertThat(log.get("data")).filteredOn(a -> a.get("status_code").asInt() == 503)
                .allSatisfy(a -> assertThat(a.get("next_attempt_at").isNumber()).isTrue()).hasSize(expected.size() * 2);
        assertThat(log.get("data")).filteredOn(a -> a.get("status_code").asInt() == 200)
                .allSatisfy(a -> assertThat(a.get("next_attempt_at").isNull()).isTrue()).hasSize(expected.size());

        // Rotation: old and new secret both sign during the grace; the receiver checks each one.
        JsonNode rotated = call("POST", "/v1/webhooks/" + endpoint.get("id").asText() + "/rotate_secret", "acme", "");
        String newSecret = rotated.get("secret").asText();
        assertThat(newSecret).startsWith("whsec_").isNotEqualTo(secret);
        configure("{\"path\": \"/ok/acme\", \"secrets\": [\"" + secret + "\", \"" + newSecret + "\"], \"failFirst\": 0}");
        publishResult("batch_w:after-rotation", "acme", true);
        String afterRotation = WebhookEventIds.forRequest("batch_w:after-rotation", "request.completed");
        state = awaitState(s -> s.get("accepted").has(afterRotation), Duration.ofSeconds(30));
        assertThat(state.get("problems")).isEmpty();
    }

    @Test
    void aGoneEndpointIsDisabled() throws Exception {
        JsonNode endpoint = call("POST", "/v1/webhooks", "gone", "{\"url\": \"" + receiverBase
                + "/gone/x\", \"events\": [\"request.completed\"]}");
        configure("{\"path\": \"/gone/x\", \"secrets\": [\"" + endpoint.get("secret").asText() + "\"]}");
        String id = endpoint.get("id").asText();
        publishResult("batch_gone:1", "gone", true);
        awaitTrue(() -> call("GET", "/v1/webhooks/" + id, "gone").get("status").asText().equals("disabled"), Duration.ofSeconds(30));
        assertThat(call("GET", "/v1/webhooks/" + id, "gone").get("disabled_reason").asText()).contains("410");
        publishResult("batch_gone:2", "gone", true);
        Thread.sleep(3_000);
        JsonNode state = state();
        assertThat(state.get("attempts").has(WebhookEventIds.forRequest("batch_gone:2", "request.completed")))
                .as("an attempt to a disabled endpoint").isFalse();
    }

    /**
     * A 302 from a loopback receiver to another loopback port is not followed: that port sees
     * nothing; every attempt fails, the event is dead-lettered after the last tier, and both
     * replays (HTTP and command line) put it back on the delivery topic.
     */
    @Test
    void redirectsAreNotFollowedAndTheDeadLetteredReplay() throws Exception {
        AtomicInteger followed = new AtomicInteger();
        HttpServer other = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        other.createContext("/", ex -> {
            followed.incrementAndGet();
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        other.start();
        try {
            JsonNode endpoint = call("POST", "/v1/webhooks", "redir", "{\"url\": \"" + receiverBase
                    + "/redirect/x\", \"events\": [\"request.failed\"]}");
            configure("{\"path\": \"/redirect/x\", \"secrets\": [\"" + endpoint.get("secret").asText() + "\"]}");
            configure("{\"redirectTo\": \"http://127.0.0.1:" + other.getAddress().getPort() + "/followed\"}");
            String id = endpoint.get("id").asText();
            publishResult("batch_r:1", "redir", false);
            // 1 + 3 tiers = 4 attempts, each a 302, then the dead-letter topic.
            awaitTrue(() -> {
                JsonNode d = call("GET", "/v1/webhooks/" + id + "/deliveries", "redir").get("data");
                return d.size() == 4 && d.get(0).get("next_attempt_at").isNull();
            }, Duration.ofSeconds(60));
            JsonNode log = call("GET", "/v1/webhooks/" + id + "/deliveries?limit=2", "redir");
            assertThat(log.get("data")).allSatisfy(a -> assertThat(a.get("status_code").asInt()).isEqualTo(302));
            assertThat(log.get("has_more").asBoolean()).isTrue();
            JsonNode next = call("GET", "/v1/webhooks/" + id + "/deliveries?after=" + log.get("last_id").asText(), "redir");
            assertThat(next.get("data")).hasSize(2);
            assertThat(next.get("data").get(1).get("attempt").asInt()).isEqualTo(1);
            assertThat(followed.get()).as("requests that reached the redirect's target").isZero();

            assertThat(call("POST", "/v1/webhooks/" + id + "/replay", "redir", "{\"since\": 0}").get("replayed").asInt()).isEqualTo(1);
            awaitTrue(() -> call("GET", "/v1/webhooks/" + id + "/deliveries?limit=100", "redir").get("data").size() >= 5,
                    Duration.ofSeconds(30));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int code = Millrace.run(List.of("webhooks", "replay", "--endpoint", id, "--bootstrap-servers", kafka.bootstrapServers()),
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()));
            assertThat(code).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).contains("replayed 1 dead-lettered event to " + id);
            assertThat(followed.get()).isZero();
        } finally {
            other.stop(0);
        }
    }

    /**
     * An endpoint that accepts connections and never answers does not hold up another endpoint's
     * deliveries on the same partition: once its attempt timed out, its new events wait on the
     * first tier instead of in the poll, and the other endpoint's events arrive well within one
     * timeout (10 s here) of being published; on a retry tier a poll stops waiting for the dead
     * endpoint's call after a third of the timeout, so a retry behind it does not wait the timeout out.
     */
    @Test
    void aDeadEndpointDoesNotHoldUpAnotherOnItsPartition() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            List<java.net.Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept()); // accepted, never answered
                    }
                } catch (java.io.IOException e) {
                    // closed at the end of the test
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            String dead = call("POST", "/v1/webhooks", "dead", "{\"url\": \"http://127.0.0.1:" + silent.getLocalPort()
                    + "/hook\", \"events\": [\"request.completed\"]}").get("id").asText();
            // A live endpoint on the dead one's partition of the delivery topics (ids are random: draw until one is).
            int partition = io.millrace.results.webhooks.KeyPartitionReader.partitionOf(dead, Topics.WEBHOOK_DELIVERY_PARTITIONS);
            JsonNode live = null;
            for (int i = 0; i < 19 && live == null; i++) {
                JsonNode e = call("POST", "/v1/webhooks", "live", "{\"url\": \"" + receiverBase
                        + "/ok/live\", \"events\": [\"request.completed\"]}");
                if (io.millrace.results.webhooks.KeyPartitionReader.partitionOf(e.get("id").asText(),
                        Topics.WEBHOOK_DELIVERY_PARTITIONS) == partition) {
                    live = e;
                } else {
                    call("DELETE", "/v1/webhooks/" + e.get("id").asText(), "live");
                }
            }
            assertThat(live).as("an endpoint id on partition " + partition + " within 19 draws").isNotNull();
            configure("{\"path\": \"/ok/live\", \"secrets\": [\"" + live.get("secret").asText() + "\"]}");
            publishResult("batch_dead:0", "dead", true);
            awaitTrue(() -> call("GET", "/v1/webhooks/" + dead + "/deliveries", "dead").get("data").size() >= 1, Duration.ofSeconds(30));
            for (int i = 1; i <= 3; i++) {
                publishResult("batch_dead:" + i, "dead", true);
                long sent = System.nanoTime();
                publishResult("batch_live:" + i, "live", true);
                String id = WebhookEventIds.forRequest("batch_live:" + i, "request.completed");
                awaitState(s -> s.get("accepted").has(id), Duration.ofSeconds(30));
                assertThat(Duration.ofNanos(System.nanoTime() - sent)).as("delivery time of live event " + i)
                        .isLessThan(Duration.ofSeconds(5));
            }
            // On a retry tier too. The dead endpoint's new events wait on the first tier (1 s) and are
            // attempted there; the live endpoint now fails each event's first attempt, so its retry
            // waits on the same tier's partition right behind. A poll waits for the dead call at most
            // a third of the timeout (3.3 s here) before counting it failed and moving on: the live
            // retry arrives well within one timeout, where waiting out the call would take 10 s.
            configure("{\"path\": \"/ok/live\", \"secrets\": [\"" + live.get("secret").asText() + "\"], \"failFirst\": 1}");
            for (int i = 4; i <= 5; i++) {
                publishResult("batch_dead:" + i, "dead", true);
                long sent = System.nanoTime();
                publishResult("batch_live:" + i, "live", true);
                String id = WebhookEventIds.forRequest("batch_live:" + i, "request.completed");
                JsonNode s = awaitState(st -> st.get("accepted").has(id), Duration.ofSeconds(30));
                assertThat(Duration.ofNanos(System.nanoTime() - sent)).as("delivery time of live retry " + i)
                        .isLessThan(Duration.ofSeconds(8));
                assertThat(s.get("attempts").get(id).asInt()).as("attempts of " + id).isEqualTo(2);
            }
            // The dead endpoint's log says its calls were not waited out.
            assertThat(call("GET", "/v1/webhooks/" + dead + "/deliveries?limit=100", "dead").get("data").toString())
                    .contains("counted as failed, the call goes on");
            assertThat(state().get("problems")).isEmpty();
            // Its retries would otherwise time out on the tiers while the other tests run.
            call("DELETE", "/v1/webhooks/" + dead, "dead");
            for (java.net.Socket s : held) {
                s.close();
            }
        }
    }

    private static void publishResult(String requestId, String tenant, boolean ok) throws Exception {
        String batch = requestId.substring(0, requestId.indexOf(':'));
        ResultEvent r = new ResultEvent(requestId, batch, requestId.substring(requestId.indexOf(':') + 1), 1L, "m", ok ? 200 : 400,
                ok ? Json.object() : null, ok ? null : ErrorInfo.of("invalid_request", "bad"), ok, System.currentTimeMillis(), null,
                tenant);
        producer.send(new ProducerRecord<>(Topics.RESULTS.name(), requestId,
                Topics.RESULT_SERDE.serializer().serialize(Topics.RESULTS.name(), r))).get();
    }

    private static void configure(String json) throws Exception {
        receiver.configure(json);
    }

    private static JsonNode state() throws Exception {
        return receiver.state();
    }

    private static JsonNode awaitState(Predicate<JsonNode> done, Duration limit) throws Exception {
        return receiver.await(done, limit);
    }

    interface Check {
        boolean ok() throws Exception;
    }

    private static void awaitTrue(Check check, Duration limit) throws Exception {
        long end = System.nanoTime() + limit.toNanos();
        while (!check.ok()) {
            if (System.nanoTime() > end) {
                fail("not within " + limit + "; receiver: " + state());
            }
            Thread.sleep(200);
        }
    }

    private static JsonNode call(String method, String path, String tenant) throws Exception {
        return call(method, path, tenant, null);
    }

    private static JsonNode call(String method, String path, String tenant, String body) throws Exception {
        HttpResponse<String> r = send(method, path, tenant, body);
        assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(200);
        return Json.MAPPER.readTree(r.body());
    }

    private static int status(String method, String path, String tenant, String body) throws Exception {
        return send(method, path, tenant, body).statusCode();
    }

    private static HttpResponse<String> send(String method, String path, String tenant, String body) throws Exception {
        int port = serve.api().orElseThrow().httpPort();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + keys.get(tenant)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
