package io.millrace.worker;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

/**
 * The worker's one table of Kafka failures (see Kafka's ExactlyOnceMessageProcessor). Fatal: another
 * instance took over our transactional or group identity, or the cluster refuses us: stop, since
 * going on could produce duplicates. Retriable: abort the transaction and consume again.
 * Per-request failures never reach here: {@link CompletionHandler} turns them into error results.
 */
final class WorkerErrors {
    enum Action { FATAL, RETRIABLE }

    private WorkerErrors() {}

    static Action classify(KafkaException e) {
        if (e instanceof ProducerFencedException
                || e instanceof FencedInstanceIdException
                || e instanceof OutOfOrderSequenceException
                || e instanceof AuthorizationException
                || e instanceof UnsupportedVersionException) {
            return Action.FATAL;
        }
        // InvalidProducerEpochException and the rest: the transaction is lost, the worker is not.
        return Action.RETRIABLE;
    }
}
