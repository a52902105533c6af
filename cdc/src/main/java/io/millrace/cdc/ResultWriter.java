package io.millrace.cdc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Writes result rows back in one transaction: one batched upsert for the results, then the
 * summaries of the batches they belong to, recomputed from the tables. Both are idempotent, so
 * writing the same results again (a replay after a crash) leaves the same rows.
 */
public final class ResultWriter {
    private static final String COLUMNS = "request_id, status_code, response, error, model, usage, completed_at, batch_id,"
            + " custom_id, millrace_request_id";
    private static final String VALUES = "?::uuid, ?, ?::jsonb, ?::jsonb, ?, ?::jsonb, ?, ?, ?, ?";
    private static final String ON_CONFLICT = " ON CONFLICT (request_id) DO UPDATE SET status_code = EXCLUDED.status_code,"
            + " response = EXCLUDED.response, error = EXCLUDED.error, model = EXCLUDED.model, usage = EXCLUDED.usage,"
            + " completed_at = EXCLUDED.completed_at, batch_id = EXCLUDED.batch_id, custom_id = EXCLUDED.custom_id,"
            + " millrace_request_id = EXCLUDED.millrace_request_id";
    /** Only rows whose request is a row of millrace_requests: other entry points' ids match none. */
    static final String UPSERT_TABLE_ONLY = "INSERT INTO millrace_results (" + COLUMNS + ") SELECT " + VALUES
            + " WHERE EXISTS (SELECT 1 FROM millrace_requests WHERE id = ?::uuid)" + ON_CONFLICT;
    static final String UPSERT_ANY = "INSERT INTO millrace_results (" + COLUMNS + ") VALUES (" + VALUES + ")" + ON_CONFLICT;
    /**
     * A batch's summary from the tables as they are now. Under a per-batch lock, so two writers
     * of one batch's results cannot each count without the other's rows and leave a short count.
     */
    static final String SUMMARY = "INSERT INTO millrace_batches (batch_id, requests, completed, failed, updated_at)"
            + " SELECT b.id, (SELECT count(*) FROM millrace_requests r WHERE r.batch_id = b.id),"
            + " (SELECT count(*) FROM millrace_results s WHERE s.batch_id = b.id AND s.status_code = 200),"
            + " (SELECT count(*) FROM millrace_results s WHERE s.batch_id = b.id AND s.status_code <> 200), now()"
            + " FROM (SELECT ?::text AS id) b"
            + " ON CONFLICT (batch_id) DO UPDATE SET requests = EXCLUDED.requests, completed = EXCLUDED.completed,"
            + " failed = EXCLUDED.failed, updated_at = EXCLUDED.updated_at";
    static final String LOCK = "SELECT pg_advisory_xact_lock(hashtext('millrace_batches:' || ?))";

    private final CdcConfig.WriteBack writeBack;

    public ResultWriter(CdcConfig.WriteBack writeBack) {
        this.writeBack = writeBack;
    }

    /**
     * Writes the rows and commits. When one request id appears more than once the last row wins,
     * as compaction keeps the last result. Throws on any failure, with nothing committed.
     */
    public void write(Connection c, Collection<ResultRow> rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        // One statement may not upsert a row twice; the latest of each id is the one to keep.
        Map<java.util.UUID, ResultRow> latest = new LinkedHashMap<>();
        rows.forEach(r -> latest.put(r.requestId(), r));
        c.setAutoCommit(false);
        try {
            try (PreparedStatement p = c.prepareStatement(writeBack == CdcConfig.WriteBack.TABLE ? UPSERT_TABLE_ONLY : UPSERT_ANY)) {
                for (ResultRow r : latest.values()) {
                    int i = 1;
                    p.setString(i++, r.requestId().toString());
                    p.setInt(i++, r.statusCode());
                    setText(p, i++, r.response());
                    setText(p, i++, r.error());
                    setText(p, i++, r.model());
                    setText(p, i++, r.usage());
                    p.setTimestamp(i++, new Timestamp(r.completedAt()));
                    setText(p, i++, r.batchId());
                    setText(p, i++, r.customId());
                    setText(p, i++, r.millraceRequestId());
                    if (writeBack == CdcConfig.WriteBack.TABLE) {
                        p.setString(i, r.requestId().toString());
                    }
                    p.addBatch();
                }
                p.executeBatch();
            }
            // Sorted, so writers lock batches in one order and never deadlock on each other.
            TreeSet<String> batches = new TreeSet<>();
            latest.values().stream().map(ResultRow::batchId).filter(b -> b != null).forEach(batches::add);
            if (!batches.isEmpty()) {
                try (PreparedStatement lock = c.prepareStatement(LOCK); PreparedStatement summary = c.prepareStatement(SUMMARY)) {
                    for (String b : batches) {
                        lock.setString(1, b);
                        lock.execute();
                        summary.setString(1, b);
                        summary.addBatch();
                    }
                    summary.executeBatch();
                }
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            try {
                c.rollback();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private static void setText(PreparedStatement p, int i, String v) throws SQLException {
        if (v == null) {
            p.setNull(i, Types.VARCHAR);
        } else {
            p.setString(i, v);
        }
    }

    static List<String> statements() {
        return List.of(UPSERT_TABLE_ONLY, UPSERT_ANY, SUMMARY, LOCK);
    }
}
