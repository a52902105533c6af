package io.millrace.results;

import static io.millrace.results.Fixtures.T0;
import static io.millrace.results.Fixtures.batch;
import static io.millrace.results.Fixtures.failure;
import static io.millrace.results.Fixtures.success;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.Topics;
import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.ResultEvent;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultsTopologyTest {
    @TempDir
    Path stateDir;
    TopologyHarness t;

    @BeforeEach
    void start() {
        t = new TopologyHarness(stateDir);
    }

    @AfterEach
    void stop() {
        t.close();
    }

    @Test
    void countsCompletedFailedAndGeneratedPerBatch() {
        t.publish(success("b1", "a", T0 + 1_000));
        t.publish(success("b1", "b", T0 + 3_000));
        t.publish(failure("b1", "c", T0 + 2_000));
        t.publish(success("b2", "a", T0 + 5_000));

        assertThat(t.view.counts("b1")).isEqualTo(new BatchCounts(2, 1, 2, T0 + 1_000, T0 + 3_000));
        assertThat(t.view.counts("b2")).isEqualTo(new BatchCounts(1, 0, 1, T0 + 5_000, T0 + 5_000));
        assertThat(t.view.counts("unknown")).isEqualTo(BatchCounts.NONE);
    }

    @Test
    void storesTheLatestResultPerRequestId() {
        ResultEvent first = failure("b1", "a", T0);
        ResultEvent retried = success("b1", "a", T0 + 9_000);
        t.publish(first);
        t.publish(retried);

        assertThat(t.view.result(retried.requestId())).contains(retried);
        assertThat(t.view.result("b1:missing")).isEmpty();
    }

    @Test
    void anUpdatedResultMovesFromFailedToCompletedWithoutDoubleCounting() {
        t.publish(failure("b1", "a", T0 + 1_000));
        t.publish(success("b1", "b", T0 + 2_000));
        assertThat(t.view.counts("b1")).isEqualTo(new BatchCounts(1, 1, 1, T0 + 1_000, T0 + 2_000));

        t.publish(success("b1", "a", T0 + 7_000));

        // Timestamps span every result seen: the superseded failure still dates the first one.
        assertThat(t.view.counts("b1")).isEqualTo(new BatchCounts(2, 0, 2, T0 + 1_000, T0 + 7_000));
    }

    @Test
    void theSameResultPublishedTwiceCountsOnce() {
        ResultEvent r = success("b1", "a", T0);
        t.publish(r);
        t.publish(r);
        t.publish(r);

        assertThat(t.view.counts("b1")).isEqualTo(new BatchCounts(1, 0, 1, T0, T0));
    }

    @Test
    void aDeletedResultIsNoLongerCounted() {
        t.publish(success("b1", "a", T0));
        t.publish(failure("b1", "b", T0 + 1));
        t.results.pipeInput("b1:b", null);

        assertThat(t.view.counts("b1")).isEqualTo(new BatchCounts(1, 0, 1, T0, T0 + 1));
        assertThat(t.view.result("b1:b")).isEmpty();
    }

    @Test
    void aLoneRequestIsStoredButCountsTowardsNoBatch() {
        ResultEvent lone = success(null, "lone-1", T0);
        t.publish(lone);

        assertThat(t.view.result("lone-1")).contains(lone);
        assertThat(t.driver.getKeyValueStore(io.millrace.protocol.Stores.BATCH_COUNTS).approximateNumEntries()).isZero();
    }

    @Test
    void storesBatchesById() {
        t.publish(batch("b1", 3));

        assertThat(t.view.batch("b1")).contains(batch("b1", 3));
        assertThat(t.view.batch("b2")).isEmpty();
    }

    @Test
    void mergesABatchsEventsSoAStaleCancelKeepsItsProgress() {
        BatchEvent created = BatchEvent.ofFile("b1", "/v1/chat/completions", "file-1", "24h", T0, T0 + 1, null, null);
        t.publish(created);
        t.publish(created.inProgress(4, T0 + 10));
        t.publish(created.cancel(T0 + 20)); // read from a view that had not seen it go in progress

        BatchEvent b = t.view.batch("b1").orElseThrow();
        assertThat(b.total()).isEqualTo(4);
        assertThat(b.inProgressAt()).isEqualTo(T0 + 10);
        assertThat(b.cancelled()).isTrue();
    }

    @Test
    void scansTheResultsOfOneBatchInRequestIdOrderAfterACursor() {
        t.publish(success("b1", "c", T0));
        t.publish(success("b1", "a", T0));
        t.publish(failure("b1", "b", T0));
        t.publish(success("b10", "a", T0)); // another batch whose id extends this one
        t.publish(success("b0", "z", T0));
        t.publish(new io.millrace.protocol.events.ResultEvent("b1#line-4", "b1", null, 4L, null, 400, null,
                io.millrace.protocol.events.ErrorInfo.of("invalid_json", "x"), false, T0, null));

        try (java.util.stream.Stream<io.millrace.protocol.events.ResultEvent> all = t.view.batchResults("b1", null)) {
            assertThat(all.map(io.millrace.protocol.events.ResultEvent::requestId))
                    .containsExactly("b1#line-4", "b1:a", "b1:b", "b1:c");
        }
        try (java.util.stream.Stream<io.millrace.protocol.events.ResultEvent> rest = t.view.batchResults("b1", "b1:a")) {
            assertThat(rest.map(io.millrace.protocol.events.ResultEvent::requestId)).containsExactly("b1:b", "b1:c");
        }
    }

    @Test
    void skipsARecordThatDoesNotParse() {
        t.publish(success("b1", "a", T0));
        t.driver.createInputTopic(Topics.RESULTS.name(), Topics.KEYS.serializer(),
                        new org.apache.kafka.common.serialization.StringSerializer())
                .pipeInput("b1:b", "not json");
        t.publish(success("b1", "c", T0));

        assertThat(t.view.counts("b1").completed()).isEqualTo(2);
    }

    @Test
    void namesEveryProcessorAndInternalTopic() {
        String description = ResultsTopology.build().describe().toString();

        assertThat(description).doesNotContain("KSTREAM-", "KTABLE-");
        assertThat(description).contains(ResultsTopology.RESULTS_BY_BATCH + "-repartition");
    }
}
