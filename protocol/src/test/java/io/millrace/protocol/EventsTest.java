package io.millrace.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.protocol.events.Timings;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class EventsTest {
    @Test
    void requestEventRoundTripsInSnakeCase() throws Exception {
        RequestEvent r = new RequestEvent("b:1", "b", "1", 3L, "POST", "/v1/chat/completions",
                Json.parse("{\"model\":\"m\",\"messages\":[]}"), "m", 1234L);
        byte[] bytes = Topics.REQUEST_SERDE.serializer().serialize("t", r);
        String json = new String(bytes, StandardCharsets.UTF_8);
        assertThat(json).contains("\"request_id\":\"b:1\"").contains("\"custom_id\":\"1\"").contains("\"submitted_at\":1234");
        assertThat(Topics.REQUEST_SERDE.deserializer().deserialize("t", bytes)).isEqualTo(r);
        assertThat(r.requestedModel()).isEqualTo("m");
    }

    @Test
    void healthEventsRoundTripInTheContractsFieldNames() {
        io.millrace.protocol.events.HealthEvent h = new io.millrace.protocol.events.HealthEvent("w1", "m", true, 2, 5, 7, 1,
                1_700_000_000_000L, 2000);
        byte[] bytes = Topics.HEALTH_SERDE.serializer().serialize(Topics.HEALTH.name(), h);
        assertThat(new String(bytes, StandardCharsets.UTF_8)).isEqualTo("{\"worker_id\":\"w1\",\"model\":\"m\",\"live\":true,"
                + "\"running\":2,\"waiting\":5,\"completed\":7,\"failures\":1,\"at\":1700000000000,\"interval_ms\":2000}");
        assertThat(Topics.HEALTH_SERDE.deserializer().deserialize(Topics.HEALTH.name(), bytes)).isEqualTo(h);
        assertThat(Topics.HEALTH.partitions()).as("one partition: a model's reports stay in order").isEqualTo(1);
    }

    @Test
    void minimalRequestFromAnyClientDecodesAndIgnoresUnknownFields() {
        String json = "{\"request_id\":\"k1\",\"custom_id\":\"c\",\"url\":\"/v1/chat/completions\",\"extra\":1,"
                + "\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}";
        RequestEvent r = Topics.REQUEST_SERDE.deserializer().deserialize("t", json.getBytes(StandardCharsets.UTF_8));
        assertThat(r.requestId()).isEqualTo("k1");
        assertThat(r.batchId()).isNull();
        assertThat(r.requestedModel()).isEqualTo("m");
    }

    @Test
    void badBytesGiveASerializationExceptionNamingTheTopic() {
        assertThatThrownBy(() -> Topics.RESULT_SERDE.deserializer().deserialize("millrace.results", "{nope".getBytes()))
                .isInstanceOf(SerializationException.class).hasMessageContaining("millrace.results");
    }

    @Test
    void resultAndBatchEventsRoundTrip() throws Exception {
        ResultEvent ok = new ResultEvent("b:1", "b", "1", 1L, "m", 200, Json.parse("{\"object\":\"chat.completion\"}"), null,
                true, 99L, new Timings(1L, 2L, 3L, 4L));
        assertThat(Topics.RESULT_SERDE.deserializer().deserialize("t", Topics.RESULT_SERDE.serializer().serialize("t", ok)))
                .isEqualTo(ok);
        BatchEvent b = new BatchEvent("b", "/v1/chat/completions", "in.jsonl", 20, 5L, Map.of("k", "v"), null);
        assertThat(Topics.BATCH_SERDE.deserializer().deserialize("t", Topics.BATCH_SERDE.serializer().serialize("t", b)))
                .isEqualTo(b);
        // A batch of a stored file, through its life: validating, in progress, failed.
        BatchEvent created = BatchEvent.ofFile("b2", "/v1/chat/completions", "file-1", "24h", 5L, 10L, null, "acme");
        assertThat(created.validating()).isTrue();
        for (BatchEvent e : List.of(created, created.inProgress(6, 7L), created.fail(ErrorInfo.of("file_not_found", "gone"), 8L))) {
            assertThat(Topics.BATCH_SERDE.deserializer().deserialize("t", Topics.BATCH_SERDE.serializer().serialize("t", e)))
                    .isEqualTo(e);
        }
        assertThat(created.inProgress(6, 7L).validating()).isFalse();
        assertThat(created.fail(ErrorInfo.of("file_not_found", "gone"), 8L).failed()).isTrue();
        // An event of the earlier shape (no file fields) still reads, as a batch in progress.
        BatchEvent old = Topics.BATCH_SERDE.deserializer().deserialize("t", ("{\"batch_id\":\"b\",\"endpoint\":\"/v1/chat/completions\","
                + "\"input_file\":\"in.jsonl\",\"total\":2,\"created_at\":5,\"metadata\":{},\"cancelled_at\":null}").getBytes());
        assertThat(old).isEqualTo(new BatchEvent("b", "/v1/chat/completions", "in.jsonl", 2, 5L, Map.of(), null));
        assertThat(old.validating()).isFalse();
    }

    @Test
    void batchEventsMergeSoAStaleWriterLosesNothing() {
        BatchEvent created = BatchEvent.ofFile("b", "/v1/chat/completions", "file-1", "24h", 5L, 10L, null, "acme");
        BatchEvent running = created.inProgress(6, 7L);
        // A cancel published from a copy that had not seen the ingest keeps the total and the start.
        BatchEvent staleCancel = created.cancel(8L).mergedAfter(running);
        assertThat(staleCancel.total()).isEqualTo(6);
        assertThat(staleCancel.inProgressAt()).isEqualTo(7L);
        assertThat(staleCancel.cancelledAt()).isEqualTo(8L);
        // An ingest that did not see the cancel arrive while it read the file keeps the cancel.
        BatchEvent lateIngest = created.inProgress(6, 9L).mergedAfter(created.cancel(8L));
        assertThat(lateIngest.cancelled()).isTrue();
        assertThat(lateIngest.total()).isEqualTo(6);
        // Files, expiry and completion are kept the same way; another batch's event is not merged.
        BatchEvent done = running.expire(11L).finalized("file-o", "file-e", 12L, 13L);
        assertThat(done.completedAt()).as("an expired batch does not complete").isNull();
        BatchEvent merged = running.mergedAfter(done);
        assertThat(merged.outputFileId()).isEqualTo("file-o");
        assertThat(merged.errorFileId()).isEqualTo("file-e");
        assertThat(merged.expiredAt()).isEqualTo(11L);
        assertThat(merged.finalized()).isTrue();
        assertThat(running.mergedAfter(BatchEvent.ofFile("other", "/v1/chat/completions", "f", "24h", 1L, 2L, null, null)))
                .isSameAs(running);
        assertThat(running.finalized("o", null, 12L, 13L).completedAt()).isEqualTo(13L);
    }

    @Test
    void outputLinesFollowTheOpenAiBatchFormat() throws Exception {
        ResultEvent ok = new ResultEvent("b:1", "b", "1", 1L, "m", 200, Json.parse("{\"object\":\"chat.completion\"}"), null,
                true, 99L, null);
        assertThat(Json.write(BatchOutputLine.of(ok))).isEqualTo("{\"id\":\"" + Ids.batchRequestId("b:1")
                + "\",\"custom_id\":\"1\",\"response\":{\"status_code\":200,\"request_id\":\"b:1\","
                + "\"body\":{\"object\":\"chat.completion\"}},\"error\":null}");
        RequestEvent req = new RequestEvent("b:2", "b", "2", 7L, null, null, null, null, 0);
        ResultEvent bad = ResultEvent.failure(req, 400, ErrorInfo.of(ErrorCodes.INVALID_ROLE, "bad role").atParam("messages[0].role"), 1L);
        // A request that failed is answered as OpenAI answers it: status code and error body.
        assertThat(Json.write(BatchOutputLine.of(bad))).isEqualTo("{\"id\":\"" + Ids.batchRequestId("b:2")
                + "\",\"custom_id\":\"2\",\"response\":{\"status_code\":400,\"request_id\":\"b:2\",\"body\":{\"error\":"
                + "{\"code\":\"invalid_role\",\"message\":\"bad role\",\"param\":\"messages[0].role\",\"line\":7,"
                + "\"type\":\"invalid_request_error\"}}},\"error\":null}");
        // A line that is no request at all has no response: the top-level error, as OpenAI's batch errors.
        ResultEvent notJson = ResultEvent.failure(req, 400, ErrorInfo.of(ErrorCodes.INVALID_JSON, "not json"), 1L);
        assertThat(Json.write(BatchOutputLine.of(notJson))).isEqualTo("{\"id\":\"" + Ids.batchRequestId("b:2")
                + "\",\"custom_id\":\"2\",\"response\":null,\"error\":{\"code\":\"invalid_json\",\"message\":\"not json\","
                + "\"line\":7}}");
        ResultEvent expired = ResultEvent.failure(req, 499, ErrorInfo.of(ErrorCodes.BATCH_EXPIRED, "late"), 1L);
        assertThat(BatchOutputLine.of(expired).get("response").isNull()).isTrue();
        assertThat(BatchOutputLine.of(expired).at("/error/code").asText()).isEqualTo("batch_expired");
    }

    @Test
    void idsAreStableAndChecked() {
        assertThat(Ids.batchRequestId("b:1")).isEqualTo(Ids.batchRequestId("b:1")).startsWith("batch_req_").hasSize(34);
        assertThat(Ids.batchIdForDigest(Ids.sha256().digest(new byte[] {1}))).startsWith("batch_").hasSize(38);
        assertThat(Ids.requestId("b", "c")).isEqualTo("b:c");
        assertThatThrownBy(() -> Ids.checkBatchId("bad id!")).hasMessageContaining("letters, digits");
        assertThatThrownBy(() -> Topics.generation("no spaces")).hasMessageContaining("cannot name a topic");
        assertThat(Topics.generation("millrace-tiny").name()).isEqualTo("millrace.gen.millrace-tiny");
        assertThat(Topics.all(java.util.List.of("a"))).extracting(Topic::name)
                .containsExactly("millrace.requests", "millrace.requests-dlt", "millrace.results", "millrace.batches",
                        "millrace.api-keys", "millrace.files", "millrace.file-chunks", "millrace.stream",
                        "millrace.cancels", "millrace.response-cache", "millrace.health", "millrace.quota-usage", "millrace.cdc-offsets",
                        "millrace.gen.a",
                        "millrace.gen.a.interactive",
                        "millrace.gen.a-retry-1000",
                        "millrace.gen.a-retry-10000", "millrace.gen.a-retry-60000", "millrace.gen.a-dlt");
    }

    @Test
    void retryAndDeadLetterTopicsFollowSpringKafkasNamingAndCannotCollideWithAModel() {
        assertThat(Topics.retry("m", 1500).name()).isEqualTo("millrace.gen.m-retry-1500");
        assertThat(Topics.retry("m", 1500).partitions()).isEqualTo(Topics.REQUEST_PARTITIONS);
        assertThat(Topics.deadLetter("m").name()).isEqualTo("millrace.gen.m-dlt");
        assertThat(Topics.isRetry("millrace.gen.m-retry-1500")).isTrue();
        assertThat(Topics.isRetry("millrace.gen.m")).isFalse();
        assertThat(Topics.isRetry("millrace.gen.m-dlt")).isFalse();
        assertThatThrownBy(() -> Topics.generation("m-retry-1500")).hasMessageContaining("collide");
        assertThatThrownBy(() -> Topics.generation("m-dlt")).hasMessageContaining("collide");
        assertThatThrownBy(() -> Topics.retry("m", 0)).hasMessageContaining("at least 1 ms");
        assertThat(Topics.all(java.util.List.of("a"), java.util.List.of())).extracting(Topic::name)
                .endsWith("millrace.gen.a", "millrace.gen.a.interactive", "millrace.gen.a-dlt");
    }

    @Test
    void theInteractiveLaneIsAModelsOwnTopicThatNoModelNameCanCollideWith() {
        assertThat(Topics.interactive("m").name()).isEqualTo("millrace.gen.m.interactive");
        assertThat(Topics.interactive("m").partitions()).isEqualTo(Topics.REQUEST_PARTITIONS);
        assertThat(Topics.interactive("m").configs()).isEqualTo(Topics.generation("m").configs());
        assertThat(Topics.isInteractive("millrace.gen.m.interactive")).isTrue();
        assertThat(Topics.isInteractive("millrace.gen.m")).isFalse();
        assertThat(Topics.isRetry("millrace.gen.m.interactive")).isFalse();
        // "m.interactive" would be served on m's lane: refused like the retry and dead-letter suffixes.
        assertThatThrownBy(() -> Topics.generation("m.interactive")).hasMessageContaining("collide");
        assertThatThrownBy(() -> new ModelCatalog(java.util.List.of(new ModelCatalog.Entry("m.interactive", 1024))))
                .hasMessageContaining("interactive lane");
    }

    @Test
    void aRequestIsInteractiveWhenItSaysSoOrWhenItIsNoBatchLine() {
        RequestEvent lone = new RequestEvent("r", null, "r", null, null, null, null, null, 0);
        RequestEvent line = new RequestEvent("b:r", "b", "r", 1L, null, null, null, null, 0);
        assertThat(lone.interactive()).isTrue();
        assertThat(line.interactive()).isFalse();
        assertThat(lone.withPriority(RequestEvent.BATCH).interactive()).isFalse();
        assertThat(line.withPriority(RequestEvent.INTERACTIVE).interactive()).isTrue();
    }
}
