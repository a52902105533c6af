package io.millrace.cdc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code millrace db init}: creates the {@link TableContract} tables, indexes and publication where
 * missing, in one transaction. Running it again changes nothing.
 */
public final class DbInit {
    private DbInit() {}

    /** @return what it created: empty when everything was there */
    public static List<String> run(String jdbcUrl) {
        try (Connection c = DatabaseCheck.connect(jdbcUrl)) {
            c.setAutoCommit(false);
            List<String> created = new ArrayList<>();
            for (String table : List.of(TableContract.REQUESTS, TableContract.RESULTS, TableContract.BATCHES)) {
                if (!exists(c, "SELECT to_regclass(?) IS NOT NULL", table)) {
                    created.add("table " + table);
                }
            }
            try (Statement s = c.createStatement()) {
                for (String sql : TableContract.ddl()) {
                    s.execute(sql);
                }
                if (!exists(c, "SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = ?)", TableContract.PUBLICATION)) {
                    // Only inserts are requests (the table is insert-only): updates and deletes are not published.
                    s.execute("CREATE PUBLICATION " + TableContract.PUBLICATION + " FOR TABLE " + TableContract.REQUESTS
                            + " WITH (publish = 'insert')");
                    created.add("publication " + TableContract.PUBLICATION);
                }
            }
            c.commit();
            return created;
        } catch (SQLException e) {
            throw new DatabaseNotReady("db init failed on " + JdbcTarget.parse(jdbcUrl) + ": " + e.getMessage()
                    + " (the user needs the right to create tables and publications in the database, e.g. its owner)", e);
        }
    }

    static boolean exists(Connection c, String sql, String name) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(sql)) {
            p.setString(1, name);
            try (ResultSet r = p.executeQuery()) {
                return r.next() && r.getBoolean(1);
            }
        }
    }
}
