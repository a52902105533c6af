package io.millrace.results;

import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.ResultEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A {@link ResultsView} that shows the batch events this API instance wrote (a batch created, a
 * cancel) at once, before its stores have read them back from {@code millrace.batches}.
 *
 * <p>The stores are materialized from the topic asynchronously, so a client that creates a batch
 * and reads it right away (OpenAI's SDKs poll at once) would otherwise get 404, or see a batch it
 * just cancelled still {@code in_progress}. Each write is kept here until the view shows it, and
 * merged into what the view answers meanwhile, as the stores merge a batch's events. Only this
 * instance's own writes: another instance reads them when its stores do (the API runs one instance
 * per application id, see {@link ResultsApiService}).
 *
 * <p>Memory: one entry per batch written and not yet shown; entries go once the view shows them
 * (checked on every read and every write), so only a view that stopped reading keeps them.
 */
final class ReadYourWritesView implements ResultsView {
    private final ResultsView view;
    private final Map<String, BatchEvent> written = new ConcurrentHashMap<>();

    ReadYourWritesView(ResultsView view) {
        this.view = view;
    }

    /** {@code publish}, then remembering what it wrote: what the HTTP layer writes batch events with. */
    Consumer<BatchEvent> publishingWith(Consumer<BatchEvent> publish) {
        return event -> {
            publish.accept(event); // throws when not written: nothing to remember then
            wrote(event);
        };
    }

    /** Remembers a batch event that is written, and forgets those the view shows by now. */
    void wrote(BatchEvent event) {
        written.merge(event.batchId(), event, (earlier, later) -> later.mergedAfter(earlier));
        try {
            for (String id : List.copyOf(written.keySet())) {
                overlay(id, view.batch(id));
            }
        } catch (NotReadyException e) {
            // The view cannot tell what it shows yet: the entries wait for the next read or write.
        }
    }

    /** How many writes the view does not show yet (for tests). */
    int unseen() {
        return written.size();
    }

    @Override
    public Optional<BatchEvent> batch(String batchId) {
        return overlay(batchId, view.batch(batchId));
    }

    @Override
    public List<BatchEvent> batches() {
        List<BatchEvent> viewed = view.batches();
        if (written.isEmpty()) {
            return viewed;
        }
        Map<String, BatchEvent> byId = new LinkedHashMap<>();
        viewed.forEach(b -> byId.put(b.batchId(), b));
        for (String id : List.copyOf(written.keySet())) {
            overlay(id, Optional.ofNullable(byId.get(id))).ifPresent(b -> byId.put(id, b));
        }
        return new ArrayList<>(byId.values());
    }

    /** The batch as viewed, with this instance's write merged in while the view does not show it yet. */
    private Optional<BatchEvent> overlay(String batchId, Optional<BatchEvent> viewed) {
        BatchEvent mine = written.get(batchId);
        if (mine == null) {
            return viewed;
        }
        if (viewed.isPresent() && shows(viewed.get(), mine)) {
            written.remove(batchId, mine); // not a newer write made meanwhile
            return viewed;
        }
        return Optional.of(viewed.map(mine::mergedAfter).orElse(mine));
    }

    /**
     * Whether a viewed batch holds everything an event wrote: batch events only ever set fields
     * ({@link BatchEvent#mergedAfter}), so the view shows a write once each field it set is set.
     */
    static boolean shows(BatchEvent viewed, BatchEvent mine) {
        return covers(viewed.cancelledAt(), mine.cancelledAt()) && covers(viewed.inProgressAt(), mine.inProgressAt())
                && covers(viewed.failedAt(), mine.failedAt()) && covers(viewed.finalizingAt(), mine.finalizingAt())
                && covers(viewed.completedAt(), mine.completedAt()) && covers(viewed.expiredAt(), mine.expiredAt())
                && covers(viewed.outputFileId(), mine.outputFileId()) && covers(viewed.errorFileId(), mine.errorFileId());
    }

    private static boolean covers(Object viewed, Object mine) {
        return mine == null || viewed != null;
    }

    @Override
    public Optional<ResultEvent> result(String requestId) {
        return view.result(requestId);
    }

    @Override
    public java.util.stream.Stream<ResultEvent> batchResults(String batchId, String after) {
        return view.batchResults(batchId, after);
    }

    @Override
    public BatchCounts counts(String batchId) {
        return view.counts(batchId);
    }
}
