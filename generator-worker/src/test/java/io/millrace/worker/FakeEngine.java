package io.millrace.worker;

import io.millrace.worker.model.Completion;
import io.millrace.worker.model.CompletionEngine;
import io.millrace.worker.model.EngineStats;
import io.millrace.worker.model.Lane;
import io.millrace.worker.model.SamplingParams;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * An engine the test drives: every submit is recorded, and completes when the test says (or at
 * once with {@link #autoComplete}). A fake to order completions and inject engine failures, which
 * the real engines cannot do on demand; see GenerationWorkerTest.
 */
final class FakeEngine implements CompletionEngine {
    record Submitted(int[] prompt, SamplingParams params, CompletableFuture<Completion> future, Lane lane) {}

    final List<Submitted> submitted = new CopyOnWriteArrayList<>();
    volatile Function<Submitted, Completion> autoComplete;
    volatile EngineStats stats = new EngineStats(0, 0, 0, 0, 0, 0, 0);
    /** When set, submit throws it, as a closed engine refuses work. */
    volatile RuntimeException refuse;

    @Override
    public CompletableFuture<Completion> submit(int[] promptIds, SamplingParams params) {
        return submit(promptIds, params, Lane.INTERACTIVE);
    }

    @Override
    public CompletableFuture<Completion> submit(int[] promptIds, SamplingParams params, Lane lane) {
        if (refuse != null) {
            throw refuse;
        }
        Submitted s = new Submitted(promptIds, params, new CompletableFuture<>(), lane);
        submitted.add(s);
        Function<Submitted, Completion> auto = autoComplete;
        if (auto != null) {
            s.future().complete(auto.apply(s));
        }
        return s.future();
    }

    /** A plain completion of {@code tokens} tokens for this submit. */
    static Completion completion(Submitted s, int tokens) {
        return new Completion("x".repeat(tokens), s.prompt().length, tokens, "length", 1_000_000, 2_000_000);
    }

    void complete(int index, int tokens) {
        Submitted s = submitted.get(index);
        s.future().complete(completion(s, tokens));
    }

    @Override
    public EngineStats stats() {
        return stats;
    }

    @Override
    public void close() {}
}
