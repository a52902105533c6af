package io.millrace.router;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;

/**
 * A record the router cannot deserialize goes to the dead-letter topic with its reason, and the
 * router goes on: one poison record must not stop the topology for every request behind it.
 * (The request source reads bytes, so this is the backstop for the other sources, such as the
 * response cache's String keys.) Public because Streams instantiates it by class.
 */
public class DeadLetterDeserializationHandler extends LogAndContinueExceptionHandler {
    @Override
    public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
        Response kafka = super.handleError(context, record, exception);
        return Response.resume(DeadLetterReasons.withReason(kafka.deadLetterQueueRecords(), "deserialization", context,
                exception));
    }
}
