package io.millrace.cdc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * What capture and write-back check before they start, so that a database that cannot serve them
 * fails the start with what to fix, instead of a connector stack trace: reachable, tables and
 * publication there, and for capture logical replication and a role allowed to use it.
 */
public final class DatabaseCheck {
    private DatabaseCheck() {}

    /** Connects, turning the driver's failure into what to check. */
    public static Connection connect(String jdbcUrl) {
        JdbcTarget target = JdbcTarget.parse(jdbcUrl);
        Properties p = new Properties();
        p.setProperty("connectTimeout", "10");
        p.setProperty("ApplicationName", "millrace");
        try {
            return new org.postgresql.Driver().connect(jdbcUrl, p);
        } catch (SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            if (state.startsWith("28")) {
                throw new DatabaseNotReady("PostgreSQL at " + target + " refused the login: " + e.getMessage()
                        + ". Check user and password in the JDBC URL (?user=...&password=...)", e);
            }
            if (state.equals("3D000")) {
                throw new DatabaseNotReady("PostgreSQL at " + target + " has no database '" + target.database()
                        + "': create it (createdb " + target.database() + ") or name another in the JDBC URL", e);
            }
            throw new DatabaseNotReady("cannot reach PostgreSQL at " + target + ": " + e.getMessage()
                    + ". Is the server running, and are host and port in the JDBC URL right?", e);
        }
    }

    /** Capture's needs: logical replication, a role with REPLICATION, the requests table and its publication. */
    public static void forCapture(String jdbcUrl) {
        try (Connection c = connect(jdbcUrl); Statement s = c.createStatement()) {
            JdbcTarget target = JdbcTarget.parse(jdbcUrl);
            String walLevel = single(s, "SHOW wal_level");
            if (!"logical".equals(walLevel)) {
                throw new DatabaseNotReady("PostgreSQL at " + target + " runs with wal_level=" + walLevel
                        + ", and capture needs logical replication: set wal_level = logical (ALTER SYSTEM SET wal_level ="
                        + " logical, or in postgresql.conf) and restart the server");
            }
            String canReplicate = single(s, "SELECT (rolreplication OR rolsuper)::text FROM pg_roles WHERE rolname = current_user");
            if (!"true".equals(canReplicate)) {
                throw new DatabaseNotReady("role '" + target.user() + "' on " + target + " lacks REPLICATION, which capture needs"
                        + " to read a replication slot: ALTER ROLE " + target.user() + " WITH REPLICATION (as a superuser)");
            }
            requireContract(c, target, jdbcUrl, TableContract.REQUESTS);
            if (!DbInit.exists(c, "SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = ?)", TableContract.PUBLICATION)) {
                throw new DatabaseNotReady("PostgreSQL at " + target + " has no publication " + TableContract.PUBLICATION
                        + ": run ./millrace db init --jdbc-url '" + JdbcTarget.redacted(jdbcUrl) + "'");
            }
        } catch (SQLException e) {
            throw new DatabaseNotReady("checking PostgreSQL for capture failed: " + e.getMessage(), e);
        }
    }

    /** Write-back's needs: the tables it writes and reads. */
    public static void forSink(String jdbcUrl) {
        try (Connection c = connect(jdbcUrl)) {
            JdbcTarget target = JdbcTarget.parse(jdbcUrl);
            for (String table : new String[] {TableContract.REQUESTS, TableContract.RESULTS, TableContract.BATCHES}) {
                requireContract(c, target, jdbcUrl, table);
            }
        } catch (SQLException e) {
            throw new DatabaseNotReady("checking PostgreSQL for write-back failed: " + e.getMessage(), e);
        }
    }

    private static void requireContract(Connection c, JdbcTarget target, String jdbcUrl, String table) throws SQLException {
        if (!DbInit.exists(c, "SELECT to_regclass(?) IS NOT NULL", table)) {
            throw new DatabaseNotReady("PostgreSQL at " + target + " has no table " + table + ": run ./millrace db init"
                    + " --jdbc-url '" + JdbcTarget.redacted(jdbcUrl) + "' to create the table contract");
        }
    }

    private static String single(Statement s, String sql) throws SQLException {
        try (ResultSet r = s.executeQuery(sql)) {
            return r.next() ? r.getString(1) : null;
        }
    }
}
