package io.millrace.router;

import io.millrace.protocol.Headers;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.ErrorHandlerContext;

/**
 * Stamps Millrace's {@link Headers#DLT_REASON} on the dead-letter records Kafka Streams builds for a
 * poison record (KIP-1034), so an operator reads every record of {@code millrace.requests-dlt} the
 * same way, whether the router dead-lettered it itself or a Streams handler did. Kafka's own
 * {@code __streams.errors.*} headers (exception, message, stack trace, source topic, partition,
 * offset) are kept beside it.
 */
final class DeadLetterReasons {
    private DeadLetterReasons() {}

    static List<ProducerRecord<byte[], byte[]>> withReason(List<ProducerRecord<byte[], byte[]>> records, String stage,
            ErrorHandlerContext context, Exception exception) {
        String reason = stage + " failed at " + context.topic() + "-" + context.partition() + "@" + context.offset()
                + " (processor " + context.processorNodeId() + "): " + exception;
        return records.stream().map(r -> {
            RecordHeaders headers = new RecordHeaders(r.headers().toArray());
            headers.remove(Headers.DLT_REASON);
            headers.add(Headers.DLT_REASON, reason.getBytes(StandardCharsets.UTF_8));
            return new ProducerRecord<>(r.topic(), r.partition(), r.timestamp(), r.key(), r.value(), headers);
        }).toList();
    }
}
