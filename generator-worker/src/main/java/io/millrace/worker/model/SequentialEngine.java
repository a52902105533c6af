package io.millrace.worker.model;

import java.util.concurrent.CompletableFuture;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One request at a time, in submission order, on one inference thread: the batch-size-1 baseline
 * that the batching engine is measured against.
 */
public final class SequentialEngine implements CompletionEngine {
    private final DecoderModel model;
    private final ThreadPoolExecutor executor;
    private final AtomicLong promptTokens = new AtomicLong();
    private final AtomicLong generatedTokens = new AtomicLong();
    private final Set<CompletableFuture<Completion>> pending = ConcurrentHashMap.newKeySet();

    public SequentialEngine(DecoderModel model) {
        this.model = model;
        this.executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "millrace-inference-" + model.name());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public CompletableFuture<Completion> submit(int[] promptIds, SamplingParams params) {
        CompletableFuture<Completion> result = new CompletableFuture<>();
        pending.add(result);
        result.whenComplete((c, e) -> pending.remove(result));
        executor.execute(() -> {
            if (result.isDone()) {
                return; // cancelled while queued
            }
            try {
                Completion c = model.generate(promptIds, params);
                promptTokens.addAndGet(c.promptTokens());
                generatedTokens.addAndGet(c.completionTokens());
                result.complete(c);
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    @Override
    public EngineStats stats() {
        int waiting = executor.getQueue().size();
        int running = executor.getActiveCount();
        return new EngineStats(running, waiting, promptTokens.get(), generatedTokens.get(), 0, 0, 0);
    }

    @Override
    public void close() {
        executor.shutdownNow();
        pending.forEach(f -> f.completeExceptionally(new CancellationException("the engine of " + model.name() + " was closed")));
    }
}
