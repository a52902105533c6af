package io.millrace.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.Topics;
import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.protocol.events.WebhookDelivery;
import io.millrace.protocol.events.WebhookEndpoint;
import io.millrace.protocol.events.WebhookEvent;
import io.millrace.protocol.webhooks.WebhookEventIds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WebhookTopologyTest {
    private TopologyTestDriver driver;
    private TestInputTopic<String, BatchEvent> batches;
    private TestInputTopic<String, ResultEvent> results;
    private TestInputTopic<String, WebhookEndpoint> endpoints;
    private TestOutputTopic<String, WebhookEvent> events;
    private TestOutputTopic<String, WebhookDelivery> deliveries;

    @BeforeEach
    void start() throws Exception {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "webhooks-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("webhooks-topology").toString());
        driver = new TopologyTestDriver(WebhookTopology.build(), p);
        batches = driver.createInputTopic(Topics.BATCHES.name(), Topics.KEYS.serializer(), Topics.BATCH_SERDE.serializer());
        results = driver.createInputTopic(Topics.RESULTS.name(), Topics.KEYS.serializer(), Topics.RESULT_SERDE.serializer());
        endpoints = driver.createInputTopic(Topics.WEBHOOK_ENDPOINTS.name(), Topics.KEYS.serializer(),
                Topics.WEBHOOK_ENDPOINT_SERDE.serializer());
        events = driver.createOutputTopic(Topics.WEBHOOK_EVENTS.name(), Topics.KEYS.deserializer(),
                Topics.WEBHOOK_EVENT_SERDE.deserializer());
        deliveries = driver.createOutputTopic(Topics.WEBHOOK_DELIVERIES.name(), Topics.KEYS.deserializer(),
                Topics.WEBHOOK_DELIVERY_SERDE.deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private static BatchEvent fileBatch(String id, String tenant) {
        return BatchEvent.ofFile(id, "/v1/chat/completions", "file-1", "24h", 1_000, 86_401_000, Map.of(), tenant)
                .inProgress(2, 2_000);
    }

    private static ResultEvent result(String requestId, String tenant, boolean ok) {
        return new ResultEvent(requestId, "batch_1", requestId.substring(requestId.indexOf(':') + 1), 1L, "m", ok ? 200 : 400,
                null, ok ? null : new ErrorInfo("invalid_request", "bad", null, 1L), false, 7_000, null, tenant);
    }

    @Test
    void aBatchEndsOnceHoweverOftenItsEventIsPublished() {
        BatchEvent b = fileBatch("batch_1", "acme");
        batches.pipeInput(b.batchId(), b);
        assertThat(events.isEmpty()).isTrue(); // in progress: nothing to tell
        BatchEvent done = b.finalized("file-out", null, 5_000, 6_000);
        batches.pipeInput(b.batchId(), done);
        batches.pipeInput(b.batchId(), done); // published again (a merge, a retried write)
        List<WebhookEvent> out = events.readValuesToList();
        assertThat(out).hasSize(1);
        WebhookEvent e = out.get(0);
        assertThat(e.type()).isEqualTo("batch.completed");
        assertThat(e.id()).isEqualTo(WebhookEventIds.forBatch("batch_1", "batch.completed"));
        assertThat(e.createdAt()).isEqualTo(6);
        assertThat(e.tenant()).isEqualTo("acme");
        assertThat(e.payload().toString()).isEqualTo(
                "{\"object\":\"event\",\"id\":\"" + e.id() + "\",\"type\":\"batch.completed\",\"created_at\":6,\"data\":{\"id\":\"batch_1\"}}");
    }

    @Test
    void failedCancelledAndExpiredBatches() {
        BatchEvent f = BatchEvent.ofFile("batch_f", "/v1/chat/completions", "gone", "24h", 1_000, 2_000, Map.of(), "t")
                .fail(new ErrorInfo("file_not_found", "gone", null, null), 3_000);
        BatchEvent cancelledEarly = BatchEvent.ofFile("batch_c", "/v1/chat/completions", "f", "24h", 1_000, 2_000, Map.of(), "t")
                .cancel(4_000);
        BatchEvent expired = fileBatch("batch_e", "t").expire(9_000).finalized(null, "err", 9_500, 9_600);
        BatchEvent cancelled = fileBatch("batch_x", "t").cancel(8_000).finalized(null, null, 8_500, 8_600);
        for (BatchEvent b : List.of(f, cancelledEarly, expired, cancelled)) {
            batches.pipeInput(b.batchId(), b);
        }
        assertThat(events.readValuesToList()).extracting(e -> e.data().get("id").asText() + " " + e.type())
                .containsExactly("batch_f batch.failed", "batch_c batch.cancelled", "batch_e batch.expired", "batch_x batch.cancelled");
    }

    @Test
    void batchesOfTheBatchCommandEndWhenTheCommandPublishesTheirEnd() {
        BatchEvent local = new BatchEvent("batch_l", "/v1/chat/completions", "in.jsonl", 3, 1_000, Map.of(), null);
        batches.pipeInput(local.batchId(), local);
        assertThat(events.isEmpty()).as("running: nothing to tell").isTrue();
        // Every line answered: the command publishes the end, again after a crash or on a rerun.
        BatchEvent done = local.finalized(null, null, 5_000, 5_000);
        batches.pipeInput(local.batchId(), done);
        batches.pipeInput(local.batchId(), done);
        assertThat(events.readValuesToList()).extracting(e -> e.data().get("id").asText() + " " + e.type() + " " + e.createdAt()
                + " " + e.tenant()).containsExactly("batch_l batch.completed 5 null");
        BatchEvent cancelling = new BatchEvent("batch_k", "/v1/chat/completions", "in.jsonl", 3, 1_000, Map.of(), null)
                .cancel(2_000);
        batches.pipeInput(cancelling.batchId(), cancelling);
        assertThat(events.isEmpty()).as("cancelling: its lines are still being answered").isTrue();
        batches.pipeInput(cancelling.batchId(), cancelling.finalized(null, null, 3_000, 3_000));
        assertThat(events.readValuesToList()).extracting(e -> e.data().get("id").asText() + " " + e.type() + " " + e.createdAt())
                .containsExactly("batch_k batch.cancelled 2");
    }

    @Test
    void eachResultIsOneRequestEventEvenWhenPublishedAgain() {
        ResultEvent ok = result("batch_1:a", "acme", true);
        ResultEvent bad = result("batch_1:b", "acme", false);
        results.pipeInput(ok.requestId(), ok, 7_000);
        results.pipeInput(bad.requestId(), bad, 7_001);
        results.pipeInput(bad.requestId(), bad, 7_002); // ingest re-publishes invalid-line errors after a crash
        List<WebhookEvent> out = events.readValuesToList();
        assertThat(out).extracting(WebhookEvent::type).containsExactly("request.completed", "request.failed");
        assertThat(out.get(1).data().toString())
                .isEqualTo("{\"id\":\"batch_1:b\",\"custom_id\":\"b\",\"batch_id\":\"batch_1\",\"status_code\":400}");
    }

    @Test
    void fansOutToTheSubscribedEndpointsOfTheEventsTenantOnly() {
        endpoints.pipeInput("whep_a", endpoint("whep_a", "acme", List.of("batch.completed", "request.failed")));
        endpoints.pipeInput("whep_b", endpoint("whep_b", "acme", List.of("batch.completed")));
        endpoints.pipeInput("whep_other", endpoint("whep_other", "globex", List.of("batch.completed", "request.failed")));
        endpoints.pipeInput("whep_off", endpoint("whep_off", "acme", List.of("batch.completed")).disable("410 Gone", 1));
        endpoints.pipeInput("whep_gone", endpoint("whep_gone", "acme", List.of("batch.completed")));
        endpoints.pipeInput("whep_gone", null); // deleted
        BatchEvent b = fileBatch("batch_1", "acme").finalized("o", null, 5_000, 6_000);
        batches.pipeInput(b.batchId(), b);
        ResultEvent bad = result("batch_1:b", "acme", false);
        results.pipeInput(bad.requestId(), bad);
        // The driver feeds what the events sink writes to the fan-out's source, as the broker would.
        assertThat(events.readValuesToList()).hasSize(2);
        List<org.apache.kafka.streams.test.TestRecord<String, WebhookDelivery>> out = deliveries.readRecordsToList();
        assertThat(out).extracting(r -> r.key() + " " + r.value().event().type())
                .containsExactlyInAnyOrder("whep_a batch.completed", "whep_b batch.completed", "whep_a request.failed");
        assertThat(out).allSatisfy(r -> {
            assertThat(r.value().endpointId()).isEqualTo(r.key());
            assertThat(r.value().attempt()).isEqualTo(1);
        });
    }

    static WebhookEndpoint endpoint(String id, String tenant, List<String> types) {
        return new WebhookEndpoint(id, tenant, "https://hooks.example.com/" + id, types, null,
                List.of(new WebhookEndpoint.Secret("whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32]), null)), 0,
                null, null);
    }
}
