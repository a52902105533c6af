package io.millrace.worker;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CancelledRequestsTest {
    final CancelledRequests cancelled = new CancelledRequests();

    @Test
    void aCancelIsNewOnceAndKnownAfter() {
        cancelled.cancel("r1");
        cancelled.cancel("r1"); // a cancel published twice stops the request once

        assertThat(cancelled.takeNewlyCancelled()).containsExactly("r1");
        assertThat(cancelled.takeNewlyCancelled()).isEmpty();
        assertThat(cancelled.contains("r1")).as("a request arriving after its cancel is answered at once").isTrue();
        assertThat(cancelled.contains("r2")).isFalse();
        assertThat(cancelled.contains(null)).isFalse();
    }

    @Test
    void theOldestAreForgottenPastTheCapacity() {
        for (int i = 0; i <= CancelledRequests.CAPACITY; i++) {
            cancelled.cancel("r" + i);
        }

        assertThat(cancelled.contains("r0")).isFalse();
        assertThat(cancelled.contains("r1")).isTrue();
        assertThat(cancelled.contains("r" + CancelledRequests.CAPACITY)).isTrue();
    }
}
