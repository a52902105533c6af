package io.millrace.cdc;

import java.util.Properties;
import org.postgresql.Driver;

/**
 * Where a PostgreSQL JDBC URL points, as the connector wants it (host, port, database, user,
 * password as separate settings), read with the driver's own parser so both agree on the URL.
 */
public record JdbcTarget(String host, int port, String database, String user, String password) {
    public static JdbcTarget parse(String jdbcUrl) {
        Properties p = Driver.parseURL(jdbcUrl, new Properties());
        if (p == null) {
            throw new IllegalArgumentException("'" + jdbcUrl + "' is not a PostgreSQL JDBC URL: use"
                    + " jdbc:postgresql://HOST:PORT/DATABASE?user=USER&password=PASSWORD");
        }
        String host = p.getProperty("PGHOST", "localhost");
        String port = p.getProperty("PGPORT", "5432");
        if (host.contains(",")) {
            throw new IllegalArgumentException("'" + jdbcUrl + "' names several hosts: capture reads one server's"
                    + " replication slot, so name the primary only");
        }
        String user = p.getProperty("user", System.getProperty("user.name"));
        return new JdbcTarget(host, Integer.parseInt(port), p.getProperty("PGDBNAME", user), user, p.getProperty("password"));
    }

    /** The URL as messages may show it: the password left out. */
    public static String redacted(String jdbcUrl) {
        return jdbcUrl.replaceAll("(?i)(password=)[^&]*", "$1...");
    }

    /** For messages: where, without the password. */
    @Override
    public String toString() {
        return user + "@" + host + ":" + port + "/" + database;
    }
}
