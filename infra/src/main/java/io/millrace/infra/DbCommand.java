package io.millrace.infra;

import io.millrace.cdc.CdcConfig;
import io.millrace.cdc.DbInit;
import io.millrace.cdc.JdbcTarget;
import io.millrace.cdc.TableContract;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code millrace db init --jdbc-url URL}: creates the table contract (README "Database in,
 * database out") and the publication capture reads, where missing. Running it again changes nothing.
 */
@Command(name = "db", description = "Prepare a PostgreSQL database for rows in, rows out.")
final class DbCommand {
    private final PrintStream out;

    DbCommand(PrintStream out) {
        this.out = out;
    }

    @Command(name = "init", description = {"Create millrace_requests, millrace_results, millrace_batches and the publication"
            + " capture reads, where missing.", "Idempotent: running it again changes nothing."})
    int init(@Option(names = "--jdbc-url", required = true, paramLabel = "URL",
            description = "jdbc:postgresql://HOST:PORT/DATABASE?user=USER&password=PASSWORD") String jdbcUrl) {
        try {
            CdcConfig.from(Map.of(CdcConfig.JDBC_URL, jdbcUrl));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage().replace("--cdc-jdbc-url", "--jdbc-url"));
        }
        List<String> created = DbInit.run(jdbcUrl);
        String where = JdbcTarget.parse(jdbcUrl).toString();
        out.println(created.isEmpty() ? "the table contract is in place on " + where + ": nothing to create"
                : "created on " + where + ": " + String.join(", ", created));
        out.println("insert requests into " + TableContract.REQUESTS + " and read answers from " + TableContract.RESULTS
                + " once serve runs with --cdc-jdbc-url (the server needs wal_level=logical)");
        return 0;
    }
}
