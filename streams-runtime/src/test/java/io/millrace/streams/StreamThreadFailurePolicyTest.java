package io.millrace.streams;

import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.streams.errors.MissingSourceTopicException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

class StreamThreadFailurePolicyTest {
    private final AtomicLong clock = new AtomicLong(1_000_000);
    private final StreamThreadFailurePolicy policy = new StreamThreadFailurePolicy("test stage", clock::get);

    @Test
    void replacesTheThreadOnATransientFailure() {
        assertThat(policy.handle(new StreamsException(new TimeoutException("broker slow")))).isEqualTo(REPLACE_THREAD);
    }

    @Test
    void shutsDownOnWhatOnlyAnOperatorCanFix() {
        assertThat(policy.handle(new MissingSourceTopicException("millrace.requests"))).isEqualTo(SHUTDOWN_CLIENT);
        assertThat(policy.handle(new StreamsException(new MissingSourceTopicException("millrace.results"))))
                .isEqualTo(SHUTDOWN_CLIENT);
        assertThat(policy.handle(new StreamsException(new TopicAuthorizationException("no")))).isEqualTo(SHUTDOWN_CLIENT);
        assertThat(policy.handle(new StreamsException(new OutOfMemoryError()))).isEqualTo(SHUTDOWN_CLIENT);
        assertThat(policy.lastFailure()).isInstanceOf(StreamsException.class);
    }

    @Test
    void shutsDownWhenAFailureKeepsRepeating() {
        for (int i = 0; i < StreamThreadFailurePolicy.MAX_REPLACEMENTS; i++) {
            assertThat(policy.handle(new IllegalStateException("poison"))).isEqualTo(REPLACE_THREAD);
        }
        assertThat(policy.handle(new IllegalStateException("poison"))).isEqualTo(SHUTDOWN_CLIENT);
    }

    @Test
    void forgetsReplacementsOlderThanTheWindow() {
        RuntimeException failure = new StreamsException("blip");
        for (int i = 0; i < StreamThreadFailurePolicy.MAX_REPLACEMENTS; i++) {
            policy.handle(failure);
        }
        clock.addAndGet(StreamThreadFailurePolicy.REPLACEMENT_WINDOW.toMillis());

        assertThat(policy.handle(failure)).isEqualTo(REPLACE_THREAD);
        assertThat(policy.lastFailure()).isSameAs(failure);
    }

    @Test
    void hasNoLastFailureBeforeTheFirst() {
        assertThat(policy.lastFailure()).isNull();
    }
}
