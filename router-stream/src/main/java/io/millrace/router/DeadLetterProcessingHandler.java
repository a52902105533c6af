package io.millrace.router;

import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;

/**
 * A record whose processing throws (a Millrace bug: the router answers every input it
 * understands or not) goes to the dead-letter topic as the bytes that arrived, with the reason, and
 * the router goes on. Its request then has no result until someone re-sends it, but the
 * alternative, failing the stream thread, would replay the same record forever and answer nothing
 * at all. The dead-letter record is written in the same transaction as the offset that skips it.
 * Public because Streams instantiates it by class.
 */
public class DeadLetterProcessingHandler extends LogAndContinueProcessingExceptionHandler {
    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        Response kafka = super.handleError(context, record, exception);
        return Response.resume(DeadLetterReasons.withReason(kafka.deadLetterQueueRecords(), "processing", context,
                exception));
    }
}
