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
    void theLatestEventIsTheBatchsState() {
        cancelled.apply("a", batch("a").cancel(2_000));
        cancelled.apply("a", batch("a"));
        assertThat(cancelled.contains("a")).isFalse();
        // Live again before the worker acted: nothing to cancel.
        assertThat(cancelled.takeNewlyCancelled()).isEmpty();

        cancelled.apply("b", batch("b").cancel(2_000));
        cancelled.apply("b", null); // tombstone
        assertThat(cancelled.contains("b")).isFalse();
    }
}
