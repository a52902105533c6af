package io.millrace.cdc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL cluster of a test's own: {@code initdb} and {@code pg_ctl} from the machine's server
 * binaries, on a free port, with {@code wal_level=logical}, its data under the given directory
 * (under target/). Run as user {@code postgres} when the tests run as root, since the server
 * refuses root. The machine's own server, if any, is left alone. Where the binaries are missing
 * the test fails saying what to install: never a silent skip.
 *
 * <p>Logins are trusted on 127.0.0.1 (a throwaway cluster); {@link #jdbcUrl} names superuser
 * {@code postgres} unless told another user.
 */
public final class ThrowawayPostgres implements AutoCloseable {
    /** Where to look for initdb and pg_ctl besides $MILLRACE_PG_BIN: Debian's and Red Hat's layouts. */
    private static final List<Path> BIN_ROOTS = List.of(Path.of("/usr/lib/postgresql"), Path.of("/usr/pgsql"));

    private final Path bin;
    private final Path dataDir;
    private final Path sockets;
    private final String walLevel;
    private final Path log;
    private final int port;
    private final boolean asPostgresUser;

    private ThrowawayPostgres(Path bin, Path dataDir, Path sockets, String walLevel, Path log, int port, boolean asPostgresUser) {
        this.bin = bin;
        this.dataDir = dataDir;
        this.sockets = sockets;
        this.walLevel = walLevel;
        this.log = log;
        this.port = port;
        this.asPostgresUser = asPostgresUser;
    }

    /** Initialises and starts a cluster under {@code dir} (created; emptied first). */
    public static ThrowawayPostgres start(Path dir) throws IOException, InterruptedException {
        return start(dir, "logical");
    }

    /** As {@link #start(Path)} with another {@code wal_level}: {@code replica} shows what capture says about it. */
    public static ThrowawayPostgres start(Path dir, String walLevel) throws IOException, InterruptedException {
        Path bin = binaries();
        boolean root = "root".equals(System.getProperty("user.name"));
        Path base = dir.toAbsolutePath();
        deleteTree(base);
        Files.createDirectories(base);
        Path data = base.resolve("data");
        Path sockets = base.resolve("sockets");
        Files.createDirectories(sockets);
        Path log = base.resolve("postgres.log");
        if (root) {
            // The server runs as postgres: it must own its directory and reach it from /.
            run(List.of("chown", "-R", "postgres:postgres", base.toString()), null);
            for (Path p = base.getParent(); p != null; p = p.getParent()) {
                if (!Files.getPosixFilePermissions(p).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
                    throw new IllegalStateException("user postgres cannot reach " + base + ": " + p + " is not searchable by"
                            + " others (chmod o+x " + p + "), or put the cluster elsewhere");
                }
            }
        }
        ThrowawayPostgres pg = new ThrowawayPostgres(bin, data, sockets, walLevel, log, freePort(), root);
        pg.pg(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "postgres", "--auth=trust",
                "--encoding=UTF8", "--no-sync"));
        pg.startServer();
        return pg;
    }

    /** Starts the server again after {@link #stopServer()}, on the same port, with the same data. */
    public void startServer() throws IOException, InterruptedException {
        pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-l", log.toString(), "-w", "-t", "60",
                "-o", "-p " + port + " -c listen_addresses=127.0.0.1 -k " + sockets + " -c wal_level=" + walLevel
                        + " -c max_replication_slots=10 -c max_wal_senders=10 -c fsync=off",
                "start"));
    }

    /** Stops the server (fast shutdown: clients are disconnected), keeping its data: the database gone for a while. */
    public void stopServer() throws IOException, InterruptedException {
        pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "fast", "-w", "stop"));
    }

    /** The directory of initdb and pg_ctl: $MILLRACE_PG_BIN, else the newest installed version. */
    static Path binaries() {
        String env = System.getenv("MILLRACE_PG_BIN");
        if (env != null && !env.isBlank()) {
            Path p = Path.of(env);
            if (Files.isExecutable(p.resolve("initdb")) && Files.isExecutable(p.resolve("pg_ctl"))) {
                return p;
            }
            throw new IllegalStateException("MILLRACE_PG_BIN=" + env + " has no initdb and pg_ctl: point it at the bin"
                    + " directory of a PostgreSQL server installation (13 or newer)");
        }
        List<Path> found = new ArrayList<>();
        for (Path root : BIN_ROOTS) {
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (Stream<Path> versions = Files.list(root)) {
                versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb"))
                        && Files.isExecutable(b.resolve("pg_ctl"))).forEach(found::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return found.stream().max(Comparator.comparing(ThrowawayPostgres::version)).orElseThrow(() -> new IllegalStateException(
                "the CDC tests need PostgreSQL's server binaries (initdb, pg_ctl), version 13 or newer, and found none under "
                        + BIN_ROOTS + ": install them (Debian/Ubuntu: apt-get install postgresql; Fedora/RHEL: dnf install"
                        + " postgresql-server) or set MILLRACE_PG_BIN to their bin directory"));
    }

    private static int version(Path bin) {
        try {
            return Integer.parseInt(bin.getParent().getFileName().toString().replaceAll("[^0-9]", ""));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    public int port() {
        return port;
    }

    /** A JDBC URL of database {@code db} as {@code user}. */
    public String jdbcUrl(String db, String user) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + db + "?user=" + user;
    }

    /** A JDBC URL of database {@code db} as superuser postgres. */
    public String jdbcUrl(String db) {
        return jdbcUrl(db, "postgres");
    }

    /** Creates a database (its own per test class, so tests never see each other's rows or slots). */
    public String createDatabase(String name) throws SQLException {
        execute("postgres", "CREATE DATABASE " + name);
        return jdbcUrl(name);
    }

    /** Runs statements as superuser on database {@code db}. */
    public void execute(String db, String... sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl(db)); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }

    /** The first column of the first row of a query on {@code db}, as text. */
    public String query(String db, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl(db)); Statement s = c.createStatement();
                ResultSet r = s.executeQuery(sql)) {
            return r.next() ? r.getString(1) : null;
        }
    }

    /**
     * Drops every replication slot of the cluster (those still held by a connection are
     * terminated first) and returns their names: a slot left behind holds WAL forever.
     */
    public List<String> dropReplicationSlots() throws SQLException {
        List<String> dropped = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres")); Statement s = c.createStatement()) {
            s.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE active_pid IS NOT NULL");
            for (int tries = 0; ; tries++) {
                try (ResultSet r = s.executeQuery("SELECT slot_name FROM pg_replication_slots WHERE NOT active")) {
                    List<String> names = new ArrayList<>();
                    while (r.next()) {
                        names.add(r.getString(1));
                    }
                    for (String n : names) {
                        s.execute("SELECT pg_drop_replication_slot('" + n + "')");
                        dropped.add(n);
                    }
                }
                String left = query("postgres", "SELECT count(*) FROM pg_replication_slots");
                if ("0".equals(left) || tries > 50) {
                    break;
                }
                Thread.sleep(100); // a terminated walsender takes a moment to let its slot go
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return dropped;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "immediate", "-w", "stop"));
        deleteTree(dataDir.getParent());
    }

    private void pg(List<String> command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (asPostgresUser) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        run(full, log);
    }

    private static void run(List<String> command, Path log) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            String server = log != null && Files.exists(log) ? "\nserver log:\n" + Files.readString(log) : "";
            throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out + server);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
