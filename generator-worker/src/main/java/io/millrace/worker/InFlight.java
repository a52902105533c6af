package io.millrace.worker;

import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.kafka.common.TopicPartition;

/**
 * The requests a worker has consumed and not yet committed: per partition, in offset order, each
 * with its pending result.
 *
 * <p>Commit boundary: a partition's results are taken only as a prefix of its queue, up to its
 * first entry without a result. Results become visible together with their offsets (one
 * transaction), so no offset is ever committed past an unanswered request, and no result is
 * visible for a request whose offset is not committed. Results after the boundary are held, not
 * sent: sending them early would make them visible while their requests are still to be consumed
 * again after a crash, and they would then be answered twice.
 *
 * <p>Not thread-safe: only the worker's poll thread uses it (results complete on engine threads,
 * but only their futures are touched there).
 */
final class InFlight {
    private final Map<TopicPartition, ArrayDeque<Entry>> queues = new HashMap<>();

    /** One consumed request and its result to be. */
    static final class Entry {
        private final TopicPartition partition;
        private final long offset;
        private final RequestEvent request;
        private final CompletableFuture<ResultEvent> answer;
        private final int failures;
        private ResultEvent replacement;

        Entry(TopicPartition partition, long offset, RequestEvent request, CompletableFuture<ResultEvent> answer) {
            this(partition, offset, request, answer, 0);
        }

        /** @param failures how many earlier generations of this request failed (it came from a retry topic) */
        Entry(TopicPartition partition, long offset, RequestEvent request, CompletableFuture<ResultEvent> answer,
                int failures) {
            this.partition = partition;
            this.offset = offset;
            this.request = request;
            this.answer = answer;
            this.failures = failures;
        }

        int failures() {
            return failures;
        }

        TopicPartition partition() {
            return partition;
        }

        long offset() {
            return offset;
        }

        RequestEvent request() {
            return request;
        }

        boolean ready() {
            return replacement != null || answer.isDone();
        }

        /**
         * Answers with {@code r} instead of the generation, unless the generation has finished
         * already (its result is kept then: the work is done). Cancels the generation.
         */
        boolean answerInstead(ResultEvent r) {
            if (answer.cancel(true)) {
                replacement = r;
                return true;
            }
            return false;
        }

        /** Stops the generation; the entry must be forgotten, its request consumed again. */
        void cancel() {
            answer.cancel(true);
        }

        /**
         * The result of a {@link #ready()} entry.
         *
         * @throws WorkerErrors.EngineFailedException if the engine failed the request as a whole
         *     engine fails ({@link CompletionHandler} answers every other failure with a result)
         */
        ResultEvent result() {
            if (replacement != null) {
                return replacement;
            }
            try {
                return answer.join();
            } catch (CompletionException | CancellationException e) {
                Throwable cause = WorkerErrors.unwrap(e);
                if (cause instanceof WorkerErrors.EngineFailedException f) {
                    throw f;
                }
                throw new WorkerErrors.EngineFailedException("request " + request.requestId() + " at " + partition + "@"
                        + offset + " has no result: " + cause, cause);
            }
        }
    }

    /** Adds a consumed request; each partition's entries must come in increasing offset order. */
    void add(Entry e) {
        ArrayDeque<Entry> q = queues.computeIfAbsent(e.partition(), p -> new ArrayDeque<>());
        if (!q.isEmpty() && q.peekLast().offset() >= e.offset()) {
            throw new IllegalStateException(e.partition() + ": offset " + e.offset() + " after " + q.peekLast().offset()
                    + " (the consumer must be sought back only after forgetting the partition)");
        }
        q.addLast(e);
    }

    int size() {
        return queues.values().stream().mapToInt(ArrayDeque::size).sum();
    }

    /** Entries still generating: what the engine holds for this worker. */
    int unfinished() {
        int n = 0;
        for (ArrayDeque<Entry> q : queues.values()) {
            for (Entry e : q) {
                if (!e.ready()) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Entries of the batch lane still generating: what batch work holds of the worker's in-flight capacity. */
    int unfinishedBatch() {
        int n = 0;
        for (ArrayDeque<Entry> q : queues.values()) {
            for (Entry e : q) {
                if (!e.ready() && !e.request().interactive()) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Entries held per partition, finished or not. */
    Map<TopicPartition, Integer> queued() {
        Map<TopicPartition, Integer> sizes = new HashMap<>();
        queues.forEach((tp, q) -> sizes.put(tp, q.size()));
        return sizes;
    }

    /** How many results {@link #takeReady} would take from these partitions now. */
    int readyCount(Collection<TopicPartition> partitions) {
        int n = 0;
        for (TopicPartition tp : partitions) {
            for (Entry e : queues.getOrDefault(tp, new ArrayDeque<>())) {
                if (!e.ready()) {
                    break;
                }
                n++;
            }
        }
        return n;
    }

    /**
     * Whether any result {@link #takeReady} would take now answers a waiting client: an interactive
     * request ({@link RequestEvent#interactive()}: an HTTP call, or a client's own lone event), whose
     * caller is blocked on it.
     */
    boolean interactiveReady(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            for (Entry e : queues.getOrDefault(tp, new ArrayDeque<>())) {
                if (!e.ready()) {
                    break;
                }
                if (e.request().interactive()) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Removes and returns, per partition, the entries before its commit boundary (the first
     * entry without a result), in offset order. Partitions with none are left out.
     */
    Map<TopicPartition, List<Entry>> takeReady(Collection<TopicPartition> partitions) {
        Map<TopicPartition, List<Entry>> taken = new LinkedHashMap<>();
        for (TopicPartition tp : partitions) {
            ArrayDeque<Entry> q = queues.get(tp);
            List<Entry> ready = new ArrayList<>();
            while (q != null && !q.isEmpty() && q.peekFirst().ready()) {
                ready.add(q.pollFirst());
            }
            if (!ready.isEmpty()) {
                taken.put(tp, ready);
            }
        }
        return taken;
    }

    /** Every entry not yet taken, in no particular order across partitions. */
    List<Entry> entries() {
        List<Entry> all = new ArrayList<>();
        queues.values().forEach(all::addAll);
        return all;
    }

    /** Removes and returns every entry of these partitions (to cancel: they will be consumed again). */
    List<Entry> remove(Collection<TopicPartition> partitions) {
        List<Entry> removed = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            ArrayDeque<Entry> q = queues.remove(tp);
            if (q != null) {
                removed.addAll(q);
            }
        }
        return removed;
    }

    /** The committed offset that covers these entries of one partition: the next one to consume. */
    static long nextOffset(List<Entry> taken) {
        return taken.get(taken.size() - 1).offset() + 1;
    }
}
