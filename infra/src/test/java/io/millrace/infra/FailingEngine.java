package io.millrace.infra;

import io.millrace.worker.model.Completion;
import io.millrace.worker.model.CompletionEngine;
import io.millrace.worker.model.EngineStats;
import io.millrace.worker.model.SamplingParams;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * A test's one fake: the real engine, except that a generation whose prompt {@code failNow} picks
 * fails, as an ONNX Runtime error would. A real model cannot fail on demand; everything else about
 * the worker stays as deployed.
 */
record FailingEngine(CompletionEngine real, Predicate<int[]> failNow) implements CompletionEngine {
    @Override
    public CompletableFuture<Completion> submit(int[] promptIds, SamplingParams params) {
        if (failNow.test(promptIds)) {
            return CompletableFuture.failedFuture(new IllegalStateException("injected: onnxruntime failed to run"));
        }
        return real.submit(promptIds, params);
    }

    @Override
    public EngineStats stats() {
        return real.stats();
    }

    @Override
    public void close() {
        real.close();
    }
}
