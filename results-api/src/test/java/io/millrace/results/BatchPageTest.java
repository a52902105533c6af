package io.millrace.results;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.protocol.events.BatchEvent;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatchPageTest {
    private static BatchEvent at(String id, long createdAt) {
        return new BatchEvent(id, "/v1/chat/completions", null, 1, createdAt, Map.of(), null);
    }

    private static final List<BatchEvent> ALL = List.of(at("b1", 1), at("b3", 3), at("b2", 2), at("b2x", 2));

    private static List<String> ids(BatchPage p) {
        return p.data().stream().map(BatchEvent::batchId).toList();
    }

    @Test
    void newestFirstAndPagedAfterAnId() {
        BatchPage first = BatchPage.of(ALL, null, 2);
        assertThat(ids(first)).containsExactly("b3", "b2x");
        assertThat(first.hasMore()).isTrue();
        BatchPage second = BatchPage.of(ALL, "b2x", 2);
        assertThat(ids(second)).containsExactly("b2", "b1");
        assertThat(second.hasMore()).isFalse();
        assertThat(ids(BatchPage.of(ALL, "nope", 2))).isEmpty();
        assertThat(ids(BatchPage.of(List.of(), null, 20))).isEmpty();
    }

    @Test
    void limitIsOneToAHundredTwentyByDefault() {
        assertThat(BatchPage.limit(null)).isEqualTo(20);
        assertThat(BatchPage.limit("1")).isEqualTo(1);
        assertThat(BatchPage.limit("100")).isEqualTo(100);
        for (String bad : new String[] {"0", "101", "x", "-1"}) {
            assertThatThrownBy(() -> BatchPage.limit(bad)).as(bad).hasMessage("limit");
        }
    }
}
