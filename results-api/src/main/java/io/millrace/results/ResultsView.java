package io.millrace.results;

import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.ResultEvent;
import java.util.List;
import java.util.Optional;

/**
 * What the results service knows, read-only. Every method may throw {@link NotReadyException}
 * while the underlying state is not queryable; it never answers from partial state instead.
 */
public interface ResultsView {
    /** The latest result of a request, or empty when none has been committed yet. */
    Optional<ResultEvent> result(String requestId);

    /** A submitted batch, or empty when it is unknown. */
    Optional<BatchEvent> batch(String batchId);

    /** Every batch this instance knows, in no particular order (the list endpoint filters and pages it). */
    List<BatchEvent> batches();

    /**
     * The latest results of a batch's requests, ids {@code <batch_id>:<custom_id>} and
     * {@code <batch_id>#line-N}, read lazily from the store (a range scan: nothing is held but the
     * current result). In request id order within each store partition only: a live store has
     * several, read one after the other. Close the stream. Requests of a batch whose ids
     * do not start with its id (Kafka clients may choose any) are not found here.
     *
     * @param after a request id of this batch to start after, or null for the first
     */
    java.util.stream.Stream<ResultEvent> batchResults(String batchId, String after);

    /** Counts over the latest results of a batch; {@link BatchCounts#NONE} when it has none. */
    BatchCounts counts(String batchId);
}
