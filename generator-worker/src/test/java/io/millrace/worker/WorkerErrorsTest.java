package io.millrace.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

class WorkerErrorsTest {
    @Test
    void kafkaFailuresThatMeanSomeoneElseOwnsUsAreFatal() {
        assertThat(WorkerErrors.classify(new ProducerFencedException("x"))).isEqualTo(WorkerErrors.Action.FATAL);
        assertThat(WorkerErrors.classify(new FencedInstanceIdException("x"))).isEqualTo(WorkerErrors.Action.FATAL);
        assertThat(WorkerErrors.classify(new InvalidProducerEpochException("x"))).isEqualTo(WorkerErrors.Action.RETRIABLE);
        assertThat(WorkerErrors.classify(new TimeoutException("x"))).isEqualTo(WorkerErrors.Action.RETRIABLE);
        assertThat(WorkerErrors.classify(new KafkaException("x"))).isEqualTo(WorkerErrors.Action.RETRIABLE);
    }

    @Test
    void anEngineThatIsGoneIsToldApartFromOneFailedRequest() {
        assertThat(WorkerErrors.engineBroken(new CompletionException(new CancellationException("engine closed")))).isTrue();
        assertThat(WorkerErrors.engineBroken(new RejectedExecutionException("shut down"))).isTrue();
        assertThat(WorkerErrors.engineBroken(new IllegalStateException("engine stopped", new OutOfMemoryError()))).isTrue();

        assertThat(WorkerErrors.engineBroken(new CompletionException(new IllegalStateException("onnxruntime failed")))).isFalse();
        assertThat(WorkerErrors.engineBroken(new IllegalArgumentException("prompt too long"))).isFalse();
    }
}
