package io.millrace.router;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * The time of a request record: its own timestamp, which the dedup window is measured in. Any
 * client may produce requests, so an invalid (negative) timestamp must not stop the stream thread
 * as Streams' default extractor would: it takes the partition's time instead, or the wall clock
 * when the partition has none yet (its first record), where Kafka's
 * {@code UsePartitionTimeOnInvalidTimestamp} would still throw.
 */
final class RequestTimestamps implements TimestampExtractor {
    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        if (record.timestamp() >= 0) {
            return record.timestamp();
        }
        return partitionTime >= 0 ? partitionTime : System.currentTimeMillis();
    }
}
