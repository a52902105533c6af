package io.millrace.cdc;

import java.util.List;

/**
 * The tables a database application writes requests to and reads results from, and the
 * publication capture reads through. Their names and columns are the contract: columns may be
 * added, none renamed. Every statement is idempotent, so {@code db init} may run any number of
 * times (and against a database whose tables a user created first).
 */
public final class TableContract {
    public static final String REQUESTS = "millrace_requests";
    public static final String RESULTS = "millrace_results";
    public static final String BATCHES = "millrace_batches";
    /** The publication of {@link #REQUESTS} that the pgoutput plugin streams. */
    public static final String PUBLICATION = "millrace_requests_pub";

    /** Insert-only: a row is one request, its id the request id and idempotency key. */
    static final String CREATE_REQUESTS = """
            CREATE TABLE IF NOT EXISTS millrace_requests (
              id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
              tenant text,
              batch_id text,
              custom_id text,
              url text NOT NULL DEFAULT '/v1/chat/completions',
              body jsonb NOT NULL,
              created_at timestamptz NOT NULL DEFAULT now())""";

    /**
     * One row per request id, whatever is replayed. {@code response} is the response body and
     * {@code error} the error object of the request's OpenAI batch output line; {@code batch_id}
     * and {@code custom_id} are added columns (the contract allows more), copied from the request.
     */
    static final String CREATE_RESULTS = """
            CREATE TABLE IF NOT EXISTS millrace_results (
              request_id uuid PRIMARY KEY,
              status_code int NOT NULL,
              response jsonb,
              error jsonb,
              model text,
              usage jsonb,
              completed_at timestamptz NOT NULL)""";

    /** Columns added to the contract's result table, for tables created before them or by a user. */
    static final List<String> RESULT_COLUMNS = List.of(
            "ALTER TABLE millrace_results ADD COLUMN IF NOT EXISTS batch_id text",
            "ALTER TABLE millrace_results ADD COLUMN IF NOT EXISTS custom_id text",
            // The pipeline's request id: equal to request_id's text for rows of millrace_requests;
            // for results of other entry points (write-back "all") request_id is derived from it.
            "ALTER TABLE millrace_results ADD COLUMN IF NOT EXISTS millrace_request_id text");

    /** Per batch id: requests in the table, and their results so far; recomputed as results are written. */
    static final String CREATE_BATCHES = """
            CREATE TABLE IF NOT EXISTS millrace_batches (
              batch_id text PRIMARY KEY,
              requests bigint NOT NULL,
              completed bigint NOT NULL,
              failed bigint NOT NULL,
              updated_at timestamptz NOT NULL)""";

    static final List<String> INDEXES = List.of(
            "CREATE INDEX IF NOT EXISTS millrace_requests_batch_id ON millrace_requests (batch_id) WHERE batch_id IS NOT NULL",
            "CREATE INDEX IF NOT EXISTS millrace_results_batch_id ON millrace_results (batch_id) WHERE batch_id IS NOT NULL");

    /** The DDL of {@code db init}, in order; the publication is created separately (it has no IF NOT EXISTS). */
    static List<String> ddl() {
        List<String> all = new java.util.ArrayList<>(List.of(CREATE_REQUESTS, CREATE_RESULTS));
        all.addAll(RESULT_COLUMNS);
        all.add(CREATE_BATCHES);
        all.addAll(INDEXES);
        return all;
    }

    private TableContract() {}
}
