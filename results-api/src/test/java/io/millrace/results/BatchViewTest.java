package io.millrace.results;

import static io.millrace.results.Fixtures.T0;
import static io.millrace.results.Fixtures.batch;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.events.BatchEvent;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatchViewTest {
    static final long CREATED_S = T0 / 1000;

    @Test
    void inProgressUntilEveryRequestHasAResult() {
        JsonNode o = BatchView.of(batch("b1", 3), new BatchCounts(1, 1, 1, T0 + 1_000, T0 + 2_000));

        assertThat(o.get("status").asText()).isEqualTo("in_progress");
        assertThat(o.get("created_at").asLong()).isEqualTo(CREATED_S);
        assertThat(o.get("in_progress_at").asLong()).isEqualTo(CREATED_S);
        assertThat(o.get("expires_at").asLong()).isEqualTo(CREATED_S + 86_400);
        assertThat(o.get("completed_at").isNull()).isTrue();
        assertThat(o.get("finalizing_at").isNull()).isTrue();
        assertThat(o.get("request_counts").toString()).isEqualTo("{\"total\":3,\"completed\":1,\"failed\":1}");
    }

    @Test
    void completedWhenEveryRequestHasAResultAtTheLastResultTime() {
        JsonNode o = BatchView.of(batch("b1", 3), new BatchCounts(2, 1, 2, T0 + 1_000, T0 + 42_999));

        assertThat(o.get("status").asText()).isEqualTo("completed");
        assertThat(o.get("completed_at").asLong()).isEqualTo(CREATED_S + 43);
        assertThat(o.get("finalizing_at").asLong()).isEqualTo(CREATED_S + 43);

        // The end the batch command publishes afterwards (for its webhook event) changes nothing shown.
        JsonNode ended = BatchView.of(batch("b1", 3).finalized(null, null, T0 + 60_000, T0 + 60_000),
                new BatchCounts(2, 1, 2, T0 + 1_000, T0 + 42_999));
        assertThat(ended).isEqualTo(o);
    }

    @Test
    void aCancelledBatchIsCancellingUntilEveryRequestIsAnsweredThenCancelled() {
        BatchEvent cancelled = batch("b1", 3).cancel(T0 + 5_000);

        JsonNode cancelling = BatchView.of(cancelled, new BatchCounts(1, 0, 1, T0 + 1_000, T0 + 1_000));
        assertThat(cancelling.get("status").asText()).isEqualTo("cancelling");
        assertThat(cancelling.get("cancelling_at").asLong()).isEqualTo(CREATED_S + 5);
        assertThat(cancelling.get("cancelled_at").isNull()).isTrue();

        JsonNode done = BatchView.of(cancelled, new BatchCounts(1, 2, 1, T0 + 1_000, T0 + 6_000));
        assertThat(done.get("status").asText()).isEqualTo("cancelled");
        assertThat(done.get("cancelled_at").asLong()).isEqualTo(CREATED_S + 6);
        assertThat(done.get("completed_at").isNull()).isTrue();
        assertThat(done.get("request_counts").toString()).isEqualTo("{\"total\":3,\"completed\":1,\"failed\":2}");
    }

    @Test
    void aFileBatchIsFinalizingUntilItsFilesAreStoredThenCompletedWithThem() {
        BatchEvent running = BatchEvent.ofFile("b1", "/v1/chat/completions", "file-in", "24h", T0, T0 + 86_400_000L, null, null)
                .inProgress(3, T0 + 1_000);
        BatchCounts all = new BatchCounts(2, 1, 2, T0 + 2_000, T0 + 9_000);

        JsonNode finalizing = BatchView.of(running, all);
        assertThat(finalizing.get("status").asText()).isEqualTo("finalizing");
        assertThat(finalizing.get("finalizing_at").asLong()).isEqualTo(CREATED_S + 9);
        assertThat(finalizing.get("completed_at").isNull()).isTrue();
        assertThat(finalizing.get("output_file_id").isNull()).isTrue();

        JsonNode completed = BatchView.of(running.finalized("file-out", "file-err", T0 + 10_000, T0 + 11_000), all);
        assertThat(completed.get("status").asText()).isEqualTo("completed");
        assertThat(completed.get("output_file_id").asText()).isEqualTo("file-out");
        assertThat(completed.get("error_file_id").asText()).isEqualTo("file-err");
        assertThat(completed.get("finalizing_at").asLong()).isEqualTo(CREATED_S + 10);
        assertThat(completed.get("completed_at").asLong()).isEqualTo(CREATED_S + 11);
    }

    @Test
    void anExpiredFileBatchFinalizesWhatFinishedAndEndsExpired() {
        BatchEvent expired = BatchEvent.ofFile("b1", "/v1/chat/completions", "file-in", "24h", T0, T0 + 5_000, null, null)
                .inProgress(3, T0 + 1_000).expire(T0 + 6_000);

        JsonNode ending = BatchView.of(expired, new BatchCounts(1, 0, 1, T0 + 2_000, T0 + 2_000));
        assertThat(ending.get("status").asText()).isEqualTo("finalizing");
        assertThat(ending.get("expired_at").asLong()).isEqualTo(CREATED_S + 6);

        JsonNode ended = BatchView.of(expired.finalized("file-out", "file-err", T0 + 7_000, T0 + 8_000),
                new BatchCounts(1, 2, 1, T0 + 2_000, T0 + 6_500));
        assertThat(ended.get("status").asText()).isEqualTo("expired");
        assertThat(ended.get("completed_at").isNull()).isTrue();
        assertThat(ended.get("output_file_id").asText()).isEqualTo("file-out");
        assertThat(ended.get("expires_at").asLong()).isEqualTo(CREATED_S + 5);
    }

    @Test
    void anEmptyBatchIsCompletedWhenCreated() {
        JsonNode o = BatchView.of(batch("b0", 0), BatchCounts.NONE);

        assertThat(o.get("status").asText()).isEqualTo("completed");
        assertThat(o.get("completed_at").asLong()).isEqualTo(CREATED_S);
    }

    @Test
    void hasEveryFieldOfTheOpenAiBatchObject() {
        JsonNode o = BatchView.of(batch("b1", 1), BatchCounts.NONE);

        List<String> names = new java.util.ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactly("id", "object", "endpoint", "errors", "input_file_id", "completion_window",
                "status", "output_file_id", "error_file_id", "created_at", "in_progress_at", "expires_at",
                "finalizing_at", "completed_at", "failed_at", "expired_at", "cancelling_at", "cancelled_at",
                "request_counts", "metadata");
        assertThat(o.get("id").asText()).isEqualTo("b1");
        assertThat(o.get("object").asText()).isEqualTo("batch");
        assertThat(o.get("endpoint").asText()).isEqualTo("/v1/chat/completions");
        assertThat(o.get("completion_window").asText()).isEqualTo("24h");
        for (String nullField : List.of("errors", "input_file_id", "output_file_id", "error_file_id", "failed_at",
                "expired_at", "cancelling_at", "cancelled_at")) {
            assertThat(o.get(nullField).isNull()).as(nullField).isTrue();
        }
    }

    @Test
    void metadataCarriesTheInputFileNameUnlessTheCallerSetThatKey() {
        assertThat(BatchView.of(batch("b1", 1), BatchCounts.NONE).get("metadata").toString())
                .isEqualTo("{\"input_file\":\"input.jsonl\",\"project\":\"demo\"}");

        BatchEvent own = new BatchEvent("b1", "/v1/chat/completions", "input.jsonl", 1, T0, Map.of("input_file", "mine"), null);
        assertThat(BatchView.of(own, BatchCounts.NONE).get("metadata").toString()).isEqualTo("{\"input_file\":\"mine\"}");

        BatchEvent bare = new BatchEvent("b1", "/v1/chat/completions", null, 1, T0, null, null);
        assertThat(BatchView.of(bare, BatchCounts.NONE).get("metadata").isNull()).isTrue();
    }

    private static final BatchEvent OF_FILE = BatchEvent.ofFile("batch_f", "/v1/chat/completions", "file-1", "24h",
            T0, T0 + 86_400_000, Map.of("project", "demo"), "acme");

    @Test
    void aBatchOfAStoredFileValidatesUntilIngestedThenRunsToCompletion() {
        JsonNode validating = BatchView.of(OF_FILE, BatchCounts.NONE);
        assertThat(validating.get("status").asText()).isEqualTo("validating");
        assertThat(validating.get("input_file_id").asText()).isEqualTo("file-1");
        assertThat(validating.get("completion_window").asText()).isEqualTo("24h");
        assertThat(validating.get("in_progress_at").isNull()).isTrue();
        assertThat(validating.get("expires_at").asLong()).isEqualTo(CREATED_S + 86_400);
        assertThat(validating.get("metadata").toString()).isEqualTo("{\"project\":\"demo\"}");
        assertThat(validating.get("request_counts").toString()).isEqualTo("{\"total\":0,\"completed\":0,\"failed\":0}");
        // Error results of bad lines may be counted before ingest announces the total: still validating.
        assertThat(BatchView.of(OF_FILE, new BatchCounts(0, 1, 0, T0 + 500, T0 + 500)).get("status").asText())
                .isEqualTo("validating");

        BatchEvent running = OF_FILE.inProgress(3, T0 + 2_000);
        JsonNode inProgress = BatchView.of(running, new BatchCounts(1, 1, 1, T0 + 1_000, T0 + 1_500));
        assertThat(inProgress.get("status").asText()).isEqualTo("in_progress");
        assertThat(inProgress.get("in_progress_at").asLong()).isEqualTo(CREATED_S + 2);

        // Every line answered: finalizing until the output files are stored (see the test above).
        JsonNode done = BatchView.of(running, new BatchCounts(2, 1, 2, T0 + 1_000, T0 + 9_000));
        assertThat(done.get("status").asText()).isEqualTo("finalizing");
        assertThat(done.get("finalizing_at").asLong()).isEqualTo(CREATED_S + 9);
        assertThat(done.get("errors").isNull()).isTrue();
    }

    @Test
    void aBatchWhoseFileIsGoneFailedWithItsError() {
        BatchEvent failed = OF_FILE.fail(new io.millrace.protocol.events.ErrorInfo("file_not_found", "gone", "input_file_id", null),
                T0 + 3_000);
        JsonNode o = BatchView.of(failed, BatchCounts.NONE);
        assertThat(o.get("status").asText()).isEqualTo("failed");
        assertThat(o.get("failed_at").asLong()).isEqualTo(CREATED_S + 3);
        assertThat(o.get("in_progress_at").isNull()).isTrue();
        assertThat(o.get("completed_at").isNull()).isTrue();
        assertThat(o.get("errors").toString()).isEqualTo("{\"object\":\"list\",\"data\":[{\"code\":\"file_not_found\","
                + "\"message\":\"gone\",\"param\":\"input_file_id\",\"line\":null}]}");
    }

    @Test
    void aBatchCancelledWhileValidatingIsCancelledAtOnce() {
        JsonNode o = BatchView.of(OF_FILE.cancel(T0 + 4_000), BatchCounts.NONE);
        assertThat(o.get("status").asText()).isEqualTo("cancelled");
        assertThat(o.get("cancelling_at").asLong()).isEqualTo(CREATED_S + 4);
        assertThat(o.get("cancelled_at").asLong()).isEqualTo(CREATED_S + 4);
    }

    @Test
    void everyFieldOfOpenAisBatchObjectIsThere() {
        JsonNode o = BatchView.of(OF_FILE, BatchCounts.NONE);
        assertThat(o.fieldNames()).toIterable().containsExactly("id", "object", "endpoint", "errors", "input_file_id",
                "completion_window", "status", "output_file_id", "error_file_id", "created_at", "in_progress_at", "expires_at",
                "finalizing_at", "completed_at", "failed_at", "expired_at", "cancelling_at", "cancelled_at", "request_counts",
                "metadata");
    }
}
