package io.millrace.cdc;

/**
 * One row inserted into {@code millrace_requests}, as capture read it.
 *
 * @param id        the row id (a UUID in text), the request's id and idempotency key
 * @param body      the jsonb body as text
 * @param createdAt epoch milliseconds of {@code created_at}
 */
public record CapturedRow(String id, String tenant, String batchId, String customId, String url, String body, long createdAt) {}
