package io.millrace.results;

import io.millrace.protocol.Topics;
import io.millrace.protocol.events.ResultEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Hands each committed result to whoever waits for it: the answer to a synchronous HTTP request.
 *
 * <p>One plain consumer per API instance reads every partition of {@code millrace.results} (no
 * group, so every instance sees every result whichever instance a client reached), with
 * {@code read_committed}, from the end as it was at start. That is lower latency than the
 * materialized view, which publishes a result only after its own commit interval, and it needs no
 * routing between instances.
 *
 * <p>A waiter registers before its request is published, so its result cannot pass unseen; a
 * result that arrives before anyone waits (an {@code Idempotency-Key} retry, a second instance)
 * stays in a small recent-results memory for {@link #RECENT} entries. Older results are the
 * view's job.
 */
final class ResultFollower implements AutoCloseable {
    static final int RECENT = 10_000;

    private final Map<String, List<CompletableFuture<ResultEvent>>> waiters = new ConcurrentHashMap<>();
    private final Map<String, ResultEvent> recent = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, ResultEvent> eldest) {
            return size() > RECENT;
        }
    };
    private final TopicFollower follower;

    ResultFollower(String bootstrapServers) {
        // From the end as of now: a request published after this returns cannot have its result before it.
        follower = new TopicFollower(bootstrapServers, Topics.RESULTS.name(), TopicFollower.From.END, this::accept);
    }

    /**
     * The result of {@code requestId}, completed when it is committed; call before publishing the
     * request. Cancel the future when no longer interested (a timeout), or it is kept until then.
     */
    CompletableFuture<ResultEvent> await(String requestId) {
        CompletableFuture<ResultEvent> f = new CompletableFuture<>();
        waiters.compute(requestId, (k, list) -> {
            List<CompletableFuture<ResultEvent>> l = list == null ? new ArrayList<>() : list;
            l.add(f);
            return l;
        });
        ResultEvent seen;
        synchronized (recent) {
            seen = recent.get(requestId);
        }
        if (seen != null) {
            deliver(requestId, seen);
        }
        f.whenComplete((r, e) -> {
            if (e != null) { // cancelled or timed out: forget it
                waiters.computeIfPresent(requestId, (k, list) -> {
                    list.remove(f);
                    return list.isEmpty() ? null : list;
                });
            }
        });
        return f;
    }

    /** One of the last {@link #RECENT} results this follower saw, if it saw this one. */
    java.util.Optional<ResultEvent> recent(String requestId) {
        synchronized (recent) {
            return java.util.Optional.ofNullable(recent.get(requestId));
        }
    }

    /** Requests waited for now; a gauge for operators, and a check in tests that nothing leaks. */
    int waiting() {
        return waiters.size();
    }

    private void accept(ConsumerRecord<String, byte[]> r) {
        if (r.key() == null || r.value() == null) {
            return;
        }
        ResultEvent result = Topics.RESULT_SERDE.deserializer().deserialize(r.topic(), r.value());
        synchronized (recent) {
            recent.put(r.key(), result);
        }
        deliver(r.key(), result);
    }

    private void deliver(String requestId, ResultEvent result) {
        List<CompletableFuture<ResultEvent>> list = waiters.remove(requestId);
        if (list != null) {
            list.forEach(f -> f.complete(result));
        }
    }

    /** False once it stopped on an error: readiness reports it. */
    boolean running() {
        return follower.running();
    }

    @Override
    public void close() {
        follower.close();
    }
}
