package io.millrace.router;

import io.millrace.protocol.Headers;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Headers of what the router writes: the producer's own headers (tracing context, say) carried
 * over, and the contract's headers set from the value written, so that they never disagree with it.
 */
final class OutputHeaders {
    private OutputHeaders() {}

    /**
     * A copy of {@code input} with {@link Headers#SCHEMA} set to {@code schema} and
     * {@link Headers#BATCH_ID} set to {@code batchId}, or removed when it is null. A copy, because
     * the input's headers belong to the input record.
     */
    static org.apache.kafka.common.header.Headers of(org.apache.kafka.common.header.Headers input, String schema,
            String batchId) {
        RecordHeaders out = new RecordHeaders(input == null ? null : input.toArray());
        out.remove(Headers.SCHEMA);
        out.remove(Headers.BATCH_ID);
        out.add(Headers.SCHEMA, schema.getBytes(StandardCharsets.UTF_8));
        if (batchId != null) {
            out.add(Headers.BATCH_ID, batchId.getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }
}
