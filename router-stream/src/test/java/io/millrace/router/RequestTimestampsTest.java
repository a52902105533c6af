package io.millrace.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class RequestTimestampsTest {
    private final RequestTimestamps extractor = new RequestTimestamps();

    @Test
    void usesTheRecordsOwnTimestamp() {
        assertThat(extractor.extract(record(5_000L), 9_000L)).isEqualTo(5_000L);
    }

    @Test
    void usesThePartitionTimeForAnInvalidTimestamp() {
        assertThat(extractor.extract(record(-1L), 9_000L)).isEqualTo(9_000L);
    }

    @Test
    void usesTheWallClockWhenThePartitionHasNoTimeYet() {
        long before = System.currentTimeMillis();

        assertThat(extractor.extract(record(-1L), -1L)).isBetween(before, System.currentTimeMillis());
    }

    private static ConsumerRecord<Object, Object> record(long timestamp) {
        return new ConsumerRecord<>("millrace.requests", 0, 0L, timestamp, TimestampType.CREATE_TIME, 0, 0, "k",
                new byte[0], new RecordHeaders(), Optional.empty());
    }
}
