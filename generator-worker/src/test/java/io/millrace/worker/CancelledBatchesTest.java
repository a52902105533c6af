package io.millrace.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.events.BatchEvent;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CancelledBatchesTest {
    private final CancelledBatches cancelled = new CancelledBatches();

    private static BatchEvent batch(String id) {
        return new BatchEvent(id, "/v1/chat/completions", "in.jsonl", 3, 1_000, Map.of(), null);
    }

    @Test
    void aCancelledEventCancelsAndIsReportedOnce() {
        cancelled.apply("a", batch("a"));
        assertThat(cancelled.contains("a")).isFalse();
        cancelled.apply("a", batch("a").cancel(2_000));
        cancelled.apply("a", batch("a").cancel(2_000)); // the same state published again
        assertThat(cancelled.contains("a")).isTrue();
        assertThat(cancelled.takeNewlyCancelled()).containsExactly("a");
        assertThat(cancelled.takeNewlyCancelled()).isEmpty();
        assertThat(cancelled.contains(null)).isFalse();
    }

    @Test
    void aStopOutlivesAStaleEventButNotATombstone() {
        cancelled.apply("a", batch("a").cancel(2_000));
        // An ingest that did not see the cancel publishes the batch in progress: still cancelled.
        cancelled.apply("a", batch("a").inProgress(3, 3_000));
        assertThat(cancelled.contains("a")).isTrue();
        assertThat(cancelled.reason("a")).isEqualTo("batch_cancelled");
        assertThat(cancelled.takeNewlyCancelled()).containsExactly("a");

        cancelled.apply("b", batch("b").cancel(2_000));
        cancelled.apply("b", null); // tombstone
        assertThat(cancelled.contains("b")).isFalse();
    }

    @Test
    void anExpiredBatchIsStoppedWithItsOwnCode() {
        cancelled.apply("e", batch("e").expire(5_000));
        assertThat(cancelled.contains("e")).isTrue();
        assertThat(cancelled.reason("e")).isEqualTo("batch_expired");
        assertThat(cancelled.takeNewlyCancelled()).containsExactly("e");
    }
}
