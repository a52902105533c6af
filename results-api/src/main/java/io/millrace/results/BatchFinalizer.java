package io.millrace.results;

import io.millrace.protocol.BatchOutputLine;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.FileEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.results.files.FilesApi;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends the batches of stored files: once every request of one has its result, writes its output
 * file (the successful results) and error file (the rest) as OpenAI output lines into the Files
 * store, owned by the batch's tenant with purpose {@code batch_output}, then publishes the batch
 * event with their ids ({@link BatchEvent#finalized}). A batch past {@code expires_at} with
 * requests unanswered is first published expired, so workers answer those {@code batch_expired},
 * and then ends the same way. Batches of the batch command are left alone: it writes its own files.
 *
 * <p>Guarantees:
 * <ul>
 *   <li><b>One output file per batch.</b> File ids derive from the batch id, a file already
 *       stored is not written again ({@link FilesApi#storeOnce}), and the batch event names the
 *       files only after both are stored. A crash anywhere repeats the step on the next tick or
 *       restart, finding what was already stored; finalizing twice publishes the same ids.</li>
 *   <li><b>Constant memory.</b> Results are read by a range scan of the result store and pulled
 *       into chunks as they are written: a 50,000-line output is never held whole.</li>
 *   <li><b>Single instance.</b> It acts on what this instance's views hold, which is every batch
 *       only while one instance runs per application id (see {@link ResultsApiService}).</li>
 * </ul>
 *
 * <p>Error table: a view not ready skips the tick; anything failing for one batch (a broker
 * unavailable, a store migrating) is logged and retried on the next tick, never skipped for good.
 */
final class BatchFinalizer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BatchFinalizer.class);
    /** How long a step this instance published is not repeated while the view catches up with it. */
    private static final Duration QUIET = Duration.ofSeconds(10);

    /** What a batch needs next. */
    enum Step { NONE, EXPIRE, FINALIZE }

    private final ResultsView view;
    private final FilesApi files;
    private final Consumer<BatchEvent> publish;
    private final Clock clock;
    private final Map<String, Long> recentlyPublished = new ConcurrentHashMap<>();
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "millrace-batch-finalizer");
        t.setDaemon(true);
        return t;
    });

    BatchFinalizer(ResultsView view, FilesApi files, Consumer<BatchEvent> publish, Clock clock) {
        this.view = view;
        this.files = files;
        this.publish = publish;
        this.clock = clock;
    }

    void start(Duration every) {
        ticker.scheduleWithFixedDelay(this::tick, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Pure: what the batch needs now, from its merged event and counts. */
    static Step next(BatchEvent b, BatchCounts counts, long now) {
        if (b.inputFileId() == null || b.validating() || b.failed() || b.finalized()) {
            return Step.NONE;
        }
        if (counts.answered() >= b.total()) {
            return Step.FINALIZE;
        }
        if (!b.stopped() && b.expiresAt() != null && now >= b.expiresAt()) {
            return Step.EXPIRE;
        }
        return Step.NONE;
    }

    void tick() {
        long now = clock.millis();
        recentlyPublished.values().removeIf(at -> at < now - QUIET.toMillis());
        try {
            for (BatchEvent b : view.batches()) {
                if (recentlyPublished.containsKey(b.batchId())) {
                    continue;
                }
                try {
                    step(b, now);
                } catch (IOException | RuntimeException e) {
                    log.warn("batch {}: finalizing failed ({}); retrying", b.batchId(), e.toString());
                }
            }
        } catch (NotReadyException e) {
            log.debug("batch finalizer: views not ready", e);
        } catch (RuntimeException e) {
            // The executor would cancel every later tick on a throw: log and go on.
            log.warn("batch finalizer tick failed: {}", e.toString(), e);
        }
    }

    private void step(BatchEvent b, long now) throws IOException {
        switch (next(b, view.counts(b.batchId()), now)) {
            case EXPIRE -> {
                publish.accept(b.expire(now));
                recentlyPublished.put(b.batchId(), now);
                log.info("batch {} expired with requests unanswered: workers answer them batch_expired", b.batchId());
            }
            case FINALIZE -> {
                BatchCounts counts = view.counts(b.batchId());
                String output = counts.completed() > 0 ? write(b, "output", true).fileId() : null;
                String errors = counts.failed() > 0 ? write(b, "error", false).fileId() : null;
                publish.accept(b.finalized(output, errors, now, clock.millis()));
                recentlyPublished.put(b.batchId(), now);
                log.info("batch {} finalized: output {} ({} lines), errors {} ({} lines)", b.batchId(), output,
                        counts.completed(), errors, counts.failed());
            }
            case NONE -> { }
        }
    }

    private FileEvent write(BatchEvent b, String kind, boolean successes) throws IOException {
        String id = FilesApi.batchFileId(b.batchId(), b.createdAt(), kind);
        try (Stream<ResultEvent> results = view.batchResults(b.batchId(), null)) {
            Iterator<byte[]> lines = results.filter(r -> r.succeeded() == successes).map(BatchFinalizer::line).iterator();
            return files.storeOnce(id, b.batchId() + "_" + kind + ".jsonl", b.tenant(), lines);
        }
    }

    static byte[] line(ResultEvent r) {
        return (Json.write(BatchOutputLine.of(r)) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        ticker.shutdownNow();
        try {
            ticker.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
