package io.millrace.cdc;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The settings of the {@code cdc} and {@code db-sink} roles, from {@code --cdc-jdbc-url} and
 * {@code --set cdc.*}, checked at start so a bad value fails before anything connects.
 *
 * @param jdbcUrl     the PostgreSQL database holding the table contract ({@link TableContract}), with
 *                    its user and password as URL parameters ({@code ?user=..&password=..})
 * @param slot        the logical replication slot capture reads (one per database and Millrace deployment)
 * @param writeBack   which results the sink writes back as rows
 * @param sinkBatch   the most results written back in one transaction (one batched statement)
 * @param offsetFlush how often capture records in Kafka how far it has read: a restart replays at most
 *                    this much, and the router drops the replayed ids
 */
public record CdcConfig(String jdbcUrl, String slot, WriteBack writeBack, int sinkBatch, Duration offsetFlush) {
    public static final String JDBC_URL = "cdc.jdbc.url";
    public static final String SLOT = "cdc.slot";
    public static final String WRITE_BACK = "cdc.write.back";
    public static final String SINK_BATCH = "cdc.sink.batch";
    public static final String OFFSET_FLUSH_MS = "cdc.offset.flush.ms";
    /** PostgreSQL's rule for slot names. */
    private static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");

    /** Which results become rows of {@code millrace_results}. */
    public enum WriteBack {
        /** Only results of requests that came from {@code millrace_requests} (the default). */
        TABLE,
        /** Results from every entry point (batch files, HTTP, Kafka clients) as well. */
        ALL
    }

    public CdcConfig {
        if (jdbcUrl != null && !jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("--cdc-jdbc-url '" + jdbcUrl + "' is not a PostgreSQL JDBC URL: use"
                    + " jdbc:postgresql://HOST:PORT/DATABASE?user=USER&password=PASSWORD");
        }
        if (!SLOT_NAME.matcher(slot).matches()) {
            throw new IllegalArgumentException(SLOT + " is '" + slot + "': a replication slot name is 1 to 63 lower-case"
                    + " letters, digits or '_'");
        }
        if (sinkBatch < 1 || sinkBatch > 10_000) {
            throw new IllegalArgumentException(SINK_BATCH + " is " + sinkBatch + ": use 1 to 10000");
        }
        if (offsetFlush.toMillis() < 100 || offsetFlush.toMillis() > 600_000) {
            throw new IllegalArgumentException(OFFSET_FLUSH_MS + " is " + offsetFlush.toMillis() + ": use 100 to 600000");
        }
    }

    /** Whether a database was given: without one, neither role can run. */
    public boolean enabled() {
        return jdbcUrl != null;
    }

    /** From {@code --set} pairs: the {@code cdc.*} ones are read, others ignored. */
    public static CdcConfig from(Map<String, ?> settings) {
        Object url = settings.get(JDBC_URL);
        String jdbc = url == null || url.toString().isBlank() ? null : url.toString().trim();
        String slot = string(settings, SLOT, "millrace");
        WriteBack writeBack;
        String wb = string(settings, WRITE_BACK, "table").toUpperCase(Locale.ROOT);
        try {
            writeBack = WriteBack.valueOf(wb);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(WRITE_BACK + " is '" + settings.get(WRITE_BACK) + "': use table (only results of"
                    + " rows of millrace_requests) or all (results from every entry point)");
        }
        return new CdcConfig(jdbc, slot, writeBack, integer(settings, SINK_BATCH, 500),
                Duration.ofMillis(integer(settings, OFFSET_FLUSH_MS, 5_000)));
    }

    private static String string(Map<String, ?> settings, String key, String dflt) {
        Object v = settings.get(key);
        return v == null ? dflt : v.toString().trim();
    }

    private static int integer(Map<String, ?> settings, String key, int dflt) {
        Object v = settings.get(key);
        if (v == null) {
            return dflt;
        }
        try {
            return Integer.parseInt(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " is '" + v + "': use a whole number");
        }
    }
}
