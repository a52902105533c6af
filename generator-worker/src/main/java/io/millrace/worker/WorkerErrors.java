package io.millrace.worker;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

/**
 * The worker's one table of failures (see Kafka's ExactlyOnceMessageProcessor).
 *
 * <ul>
 *   <li>Kafka, fatal: another instance took over our transactional or group identity, or the
 *       cluster refuses us: stop, since going on could produce duplicates.
 *   <li>Kafka, retriable: abort the transaction, forget the affected partitions' in-flight
 *       requests and consume them again from the committed offsets.
 *   <li>Engine, broken: the engine was closed or its threads died, so it would fail every request:
 *       stop the worker (uncommitted requests go to the partitions' next owner) rather than answer
 *       a whole backlog with errors.
 *   <li>Engine, per request: anything else the engine fails a request with becomes that request's
 *       {@code generation_failed} result ({@link CompletionHandler}); the partition moves on.
 * </ul>
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

    /**
     * Whether the engine failing a request means the engine is gone: a cancellation (the worker
     * cancels requests only through futures it then forgets or answers itself, so a cancellation
     * that reaches a result is the engine's: {@code CompletionEngine.close()} fails what is queued
     * with one), a refused submit, or an {@link Error} such as exhausted memory, anywhere in the
     * cause chain.
     */
    static boolean engineBroken(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof CancellationException || t instanceof RejectedExecutionException || t instanceof Error) {
                return true;
            }
        }
        return false;
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** The engine of a served model is gone: the worker stops (see {@link #engineBroken}). */
    static final class EngineFailedException extends RuntimeException {
        EngineFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
