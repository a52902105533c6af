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

    /** Counts over the latest results of a batch; {@link BatchCounts#NONE} when it has none. */
    BatchCounts counts(String batchId);
}
