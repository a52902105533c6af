package io.millrace.router;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.DefaultProductionExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka's default decision (retry retriable send errors, fail on the rest), logged with the input
 * record that caused the write. Never skips: a skipped write would commit the input offset without
 * its answer, and the request would get no result. Public because Streams instantiates it by class.
 */
public class LogAndFailProductionExceptionHandler extends DefaultProductionExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(LogAndFailProductionExceptionHandler.class);

    @Override
    public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
        LOG.error("cannot write to {} for input {}-{}@{} (processor {})", record.topic(), context.topic(),
                context.partition(), context.offset(), context.processorNodeId(), exception);
        return super.handleError(context, record, exception);
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Response handleSerializationError(ErrorHandlerContext context, ProducerRecord record, Exception exception,
            SerializationExceptionOrigin origin) {
        LOG.error("cannot serialize the {} of a record for {} from input {}-{}@{} (processor {})", origin,
                record.topic(), context.topic(), context.partition(), context.offset(), context.processorNodeId(),
                exception);
        return super.handleSerializationError(context, record, exception, origin);
    }
}
