package io.millrace.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.ResultEvent;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The table contract on a real PostgreSQL (a cluster of the test's own): db init is idempotent,
 * the start-up checks say what to fix, and the write-back writes one row per request id however
 * often the same results come.
 */
class DbInitIT {
    static ThrowawayPostgres pg;

    @BeforeAll
    static void startPostgres() throws Exception {
        pg = ThrowawayPostgres.start(Path.of("target", "pg-db-init-it"));
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void dbInitCreatesTheContractOnceAndThenChangesNothing() throws Exception {
        String url = pg.createDatabase("init_twice");
        assertThat(DbInit.run(url)).containsExactly("table millrace_requests", "table millrace_results", "table millrace_batches",
                "publication millrace_requests_pub");
        String columns = "SELECT string_agg(column_name || ':' || data_type, ',' ORDER BY ordinal_position)"
                + " FROM information_schema.columns WHERE table_name = ";
        String before = pg.query("init_twice", columns + "'millrace_results'");

        assertThat(DbInit.run(url)).isEmpty();

        assertThat(pg.query("init_twice", columns + "'millrace_results'")).isEqualTo(before)
                .startsWith("request_id:uuid,status_code:integer,response:jsonb,error:jsonb,model:text,usage:jsonb,"
                        + "completed_at:timestamp with time zone");
        assertThat(pg.query("init_twice", columns + "'millrace_requests'")).isEqualTo("id:uuid,tenant:text,batch_id:text,"
                + "custom_id:text,url:text,body:jsonb,created_at:timestamp with time zone");
        assertThat(pg.query("init_twice", "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'millrace_requests_pub'"
                + " AND tablename = 'millrace_requests'")).isEqualTo("1");
        // A user inserts with only a body: the rest has defaults.
        pg.execute("init_twice", "INSERT INTO millrace_requests (body) VALUES ('{\"model\": \"m\"}')");
        assertThat(pg.query("init_twice", "SELECT url FROM millrace_requests")).isEqualTo("/v1/chat/completions");
    }

    @Test
    void startUpChecksSayWhatToFix() throws Exception {
        String url = pg.createDatabase("checks");
        assertThatThrownBy(() -> DatabaseCheck.forCapture(url)).isInstanceOf(DatabaseNotReady.class)
                .hasMessageContaining("has no table millrace_requests").hasMessageContaining("./millrace db init --jdbc-url");
        assertThatThrownBy(() -> DatabaseCheck.forSink(url)).hasMessageContaining("./millrace db init");
        DbInit.run(url);
        DatabaseCheck.forCapture(url);
        DatabaseCheck.forSink(url);

        pg.execute("checks", "CREATE ROLE plain LOGIN");
        assertThatThrownBy(() -> DatabaseCheck.forCapture(pg.jdbcUrl("checks", "plain")))
                .hasMessageContaining("role 'plain'").hasMessageContaining("lacks REPLICATION")
                .hasMessageContaining("ALTER ROLE plain WITH REPLICATION");

        String nowhere = "jdbc:postgresql://127.0.0.1:1/checks?user=postgres&password=secret";
        assertThatThrownBy(() -> DatabaseCheck.forCapture(nowhere)).hasMessageContaining("cannot reach PostgreSQL at postgres@127.0.0.1:1/checks")
                .hasMessageContaining("Is the server running").hasMessageNotContaining("secret");
        assertThatThrownBy(() -> DatabaseCheck.forSink(pg.jdbcUrl("no_such_db"))).hasMessageContaining("has no database 'no_such_db'");
    }

    @Test
    void captureSaysWhatToSetWhenTheServerHasNoLogicalReplication() throws Exception {
        try (ThrowawayPostgres replica = ThrowawayPostgres.start(Path.of("target", "pg-db-init-it-replica"), "replica")) {
            String url = replica.createDatabase("app");
            DbInit.run(url);
            assertThatThrownBy(() -> DatabaseCheck.forCapture(url)).isInstanceOf(DatabaseNotReady.class)
                    .hasMessageContaining("runs with wal_level=replica").hasMessageContaining("set wal_level = logical")
                    .hasMessageContaining("restart the server");
            DatabaseCheck.forSink(url); // write-back needs no replication
        }
    }

    @Test
    void writingTheSameResultsAgainLeavesOneRowEachAndTheBatchSummary() throws Exception {
        String url = pg.createDatabase("write_back");
        DbInit.run(url);
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();
        pg.execute("write_back", "INSERT INTO millrace_requests (id, batch_id, body) VALUES ('" + a + "', 'nightly', '{}'),"
                + " ('" + b + "', 'nightly', '{}'), (gen_random_uuid(), 'nightly', '{}')");
        JsonNode completion = Json.parse("{\"object\": \"chat.completion\", \"usage\": {\"total_tokens\": 7}}");
        ResultEvent ok = new ResultEvent(a.toString(), "nightly", null, null, "m", 200, completion, null, true, 1_000, null);
        ResultEvent bad = new ResultEvent(b.toString(), "nightly", null, null, null, 400, null,
                ErrorInfo.of(ErrorCodes.MODEL_NOT_FOUND, "model 'x' is not served"), false, 2_000, null);
        ResultEvent elsewhere = new ResultEvent("batch_1:line-1", "batch_1", "line-1", 1L, "m", 200, completion, null, true, 3_000, null);
        ResultWriter tableOnly = new ResultWriter(CdcConfig.WriteBack.TABLE);
        try (Connection c = DatabaseCheck.connect(url)) {
            for (int i = 0; i < 3; i++) {
                tableOnly.write(c, List.of(ResultRow.of(ok, CdcConfig.WriteBack.TABLE), ResultRow.of(bad, CdcConfig.WriteBack.TABLE)));
            }
            // A result whose id is a UUID but no row of millrace_requests: from elsewhere, not written by default.
            tableOnly.write(c, List.of(ResultRow.of(new ResultEvent(UUID.randomUUID().toString(), null, null, null, "m", 200,
                    completion, null, true, 1, null), CdcConfig.WriteBack.TABLE)));
            assertThat(ResultRow.of(elsewhere, CdcConfig.WriteBack.TABLE)).isNull();
        }
        assertThat(pg.query("write_back", "SELECT count(*) FROM millrace_results")).isEqualTo("2");
        assertThat(pg.query("write_back", "SELECT response->>'object' || ' ' || (usage->>'total_tokens') FROM millrace_results"
                + " WHERE request_id = '" + a + "'")).isEqualTo("chat.completion 7");
        assertThat(pg.query("write_back", "SELECT status_code || ' ' || (response->'error'->>'code') || ' ' || (error IS NULL)"
                + " FROM millrace_results WHERE request_id = '" + b + "'")).isEqualTo("400 model_not_found true");
        assertThat(pg.query("write_back", "SELECT requests || '/' || completed || '/' || failed FROM millrace_batches"
                + " WHERE batch_id = 'nightly'")).isEqualTo("3/1/1");

        try (Connection c = DatabaseCheck.connect(url)) {
            new ResultWriter(CdcConfig.WriteBack.ALL).write(c, List.of(ResultRow.of(elsewhere, CdcConfig.WriteBack.ALL)));
        }
        assertThat(pg.query("write_back", "SELECT millrace_request_id || ' ' || custom_id FROM millrace_results"
                + " WHERE batch_id = 'batch_1'")).isEqualTo("batch_1:line-1 line-1");
    }
}
