package io.millrace.cdc;

import java.time.OffsetDateTime;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Reads Debezium's change events of {@code millrace_requests}: an insert ({@code op} {@code c}) or a
 * snapshot read ({@code r}) is a row to capture; anything else (heartbeats, tombstones, updates
 * and deletes of an insert-only table) is not.
 */
final class ChangeEvents {
    private ChangeEvents() {}

    /** The inserted row, or null when the event is not an insert into the requests table. */
    static CapturedRow insertedRow(SourceRecord record) {
        if (!(record.value() instanceof Struct value) || value.schema().field("op") == null) {
            return null;
        }
        String op = value.getString("op");
        if (!"c".equals(op) && !"r".equals(op)) {
            return null;
        }
        Struct source = value.schema().field("source") == null ? null : value.getStruct("source");
        if (source != null && source.schema().field("table") != null && !TableContract.REQUESTS.equals(source.getString("table"))) {
            return null;
        }
        Struct after = value.getStruct("after");
        if (after == null) {
            return null;
        }
        return new CapturedRow(text(after, "id"), text(after, "tenant"), text(after, "batch_id"), text(after, "custom_id"),
                text(after, "url"), text(after, "body"), millis(text(after, "created_at")));
    }

    private static String text(Struct s, String field) {
        Field f = s.schema().field(field);
        if (f == null) {
            return null;
        }
        Object v = s.get(f);
        return v == null ? null : v.toString();
    }

    /** Debezium writes timestamptz as ISO-8601 text (io.debezium.time.ZonedTimestamp). */
    static long millis(String isoTimestamp) {
        if (isoTimestamp == null) {
            return 0; // the router stamps the arrival time
        }
        try {
            return OffsetDateTime.parse(isoTimestamp).toInstant().toEpochMilli();
        } catch (java.time.DateTimeException e) {
            return 0;
        }
    }
}
