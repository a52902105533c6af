package io.millrace.results;

import io.millrace.protocol.events.ResultEvent;

/**
 * How far one batch has got, counted over the latest result of each of its requests.
 *
 * <p>The counts are exact under updates: the aggregate subtracts a request's previous result
 * before it adds the new one. The two timestamps cannot be undone that way (a minimum or maximum
 * has no inverse), so they span every result ever seen for the batch, superseded ones included.
 * Results only move forward in time, so {@code lastCompletedAt} is still the time of the newest
 * current result.
 *
 * @param completed        results without an error (OpenAI's {@code request_counts.completed})
 * @param failed           results with an error (OpenAI's {@code request_counts.failed})
 * @param generated        results that cost generation (not errors, not cache answers)
 * @param firstCompletedAt epoch milliseconds of the earliest result, null before the first one
 * @param lastCompletedAt  epoch milliseconds of the latest result, null before the first one
 */
public record BatchCounts(long completed, long failed, long generated, Long firstCompletedAt, Long lastCompletedAt) {
    /** A batch with no results yet. */
    public static final BatchCounts NONE = new BatchCounts(0, 0, 0, null, null);

    /** Requests of the batch that have a result, successful or not. */
    public long answered() {
        return completed + failed;
    }

    /** These counts with one more current result. */
    public BatchCounts plus(ResultEvent r) {
        return new BatchCounts(
                completed + (r.succeeded() ? 1 : 0),
                failed + (r.succeeded() ? 0 : 1),
                generated + (r.generated() ? 1 : 0),
                firstCompletedAt == null ? r.completedAt() : Math.min(firstCompletedAt, r.completedAt()),
                lastCompletedAt == null ? r.completedAt() : Math.max(lastCompletedAt, r.completedAt()));
    }

    /** These counts without a result that was superseded or deleted; timestamps stay (see above). */
    public BatchCounts minus(ResultEvent r) {
        return new BatchCounts(
                completed - (r.succeeded() ? 1 : 0),
                failed - (r.succeeded() ? 0 : 1),
                generated - (r.generated() ? 1 : 0),
                firstCompletedAt,
                lastCompletedAt);
    }
}
