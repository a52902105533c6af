package io.millrace.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

/** Debezium's change events as the PostgreSQL connector shapes them (envelope: op, source, after). */
class ChangeEventsTest {
    private static final Schema SOURCE = SchemaBuilder.struct().field("table", Schema.STRING_SCHEMA).build();
    private static final Schema ENVELOPE = SchemaBuilder.struct().field("op", Schema.STRING_SCHEMA)
            .field("source", SOURCE).field("after", SchemaBuilder.struct().name("millrace.public.millrace_requests.Value").optional()
                    .field("id", Schema.STRING_SCHEMA).field("tenant", Schema.OPTIONAL_STRING_SCHEMA)
                    .field("batch_id", Schema.OPTIONAL_STRING_SCHEMA).field("custom_id", Schema.OPTIONAL_STRING_SCHEMA)
                    .field("url", Schema.STRING_SCHEMA).field("body", Schema.STRING_SCHEMA)
                    .field("created_at", Schema.STRING_SCHEMA).build())
            .build();

    @Test
    void insertsAndSnapshotReadsAreRowsToCapture() {
        for (String op : new String[] {"c", "r"}) {
            CapturedRow row = ChangeEvents.insertedRow(event(op, "millrace_requests"));
            assertThat(row).isEqualTo(new CapturedRow("0b7c5ad4-3c34-4b55-9d0c-2b8f3f6c1a01", "acme", null, "c-1",
                    "/v1/chat/completions", "{\"model\": \"m\"}", 1_764_979_200_123L));
        }
    }

    @Test
    void otherEventsAreNot() {
        assertThat(ChangeEvents.insertedRow(event("u", "millrace_requests"))).isNull();
        assertThat(ChangeEvents.insertedRow(event("d", "millrace_requests"))).isNull();
        assertThat(ChangeEvents.insertedRow(event("c", "other_table"))).isNull();
        assertThat(ChangeEvents.insertedRow(new SourceRecord(Map.of(), Map.of(), "t", null, null))).as("a tombstone").isNull();
    }

    @Test
    void aTimestampDebeziumWritesIsReadToTheMillisecond() {
        assertThat(ChangeEvents.millis("2025-12-06T00:00:00.123456Z")).isEqualTo(1_764_979_200_123L);
        assertThat(ChangeEvents.millis("2025-12-06T01:00:00.123+01:00")).isEqualTo(1_764_979_200_123L);
        assertThat(ChangeEvents.millis(null)).as("none: the router stamps the arrival").isZero();
        assertThat(ChangeEvents.millis("yesterday")).isZero();
    }

    private static SourceRecord event(String op, String table) {
        Schema afterSchema = ENVELOPE.field("after").schema();
        Struct after = new Struct(afterSchema).put("id", "0b7c5ad4-3c34-4b55-9d0c-2b8f3f6c1a01").put("tenant", "acme")
                .put("custom_id", "c-1").put("url", "/v1/chat/completions").put("body", "{\"model\": \"m\"}")
                .put("created_at", "2025-12-06T00:00:00.123456Z");
        Struct value = new Struct(ENVELOPE).put("op", op).put("source", new Struct(SOURCE).put("table", table)).put("after", after);
        return new SourceRecord(Map.of(), Map.of(), "millrace.public." + table, ENVELOPE, value);
    }
}
