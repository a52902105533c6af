package io.millrace.results;

import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.streams.errors.MissingSourceTopicException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

class StreamThreadFailurePolicyTest {
    final AtomicLong now = new AtomicLong(1_000_000);
    final StreamThreadFailurePolicy policy = new StreamThreadFailurePolicy(now::get);

    @Test
    void replacesTheThreadOnATransientFailure() {
        assertThat(policy.handle(new StreamsException(new TimeoutException("broker away")))).isEqualTo(REPLACE_THREAD);
    }

    @Test
    void shutsDownOnAFailureAnOperatorMustFix() {
        assertThat(policy.handle(new StreamsException(new MissingSourceTopicException("millrace.results"))))
                .isEqualTo(SHUTDOWN_CLIENT);
        assertThat(policy.handle(new StreamsException(new OutOfMemoryError()))).isEqualTo(SHUTDOWN_CLIENT);
    }

    @Test
    void shutsDownWhenAFailureKeepsRepeatingAndForgivesOldOnes() {
        RuntimeException failure = new StreamsException("boom");
        for (int i = 0; i < StreamThreadFailurePolicy.MAX_REPLACEMENTS; i++) {
            assertThat(policy.handle(failure)).isEqualTo(REPLACE_THREAD);
        }
        assertThat(policy.handle(failure)).isEqualTo(SHUTDOWN_CLIENT);

        now.addAndGet(StreamThreadFailurePolicy.REPLACEMENT_WINDOW.toMillis());
        assertThat(policy.handle(failure)).isEqualTo(REPLACE_THREAD);
        assertThat(policy.lastFailure()).isSameAs(failure);
    }
}
