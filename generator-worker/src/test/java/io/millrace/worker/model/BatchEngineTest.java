package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import io.millrace.worker.model.build.TinyModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batch invariance: whatever else is in the batch, and however a prompt is chunked or found in the
 * prefix cache, a request gets what {@link DecoderModel#generate} gives it alone.
 */
class BatchEngineTest {
    private static final double LOGPROB_TOLERANCE = 1e-4;
    private static final String SYSTEM = "You are the miller's assistant. Answer briefly, in plain words, and never"
            + " invent facts about the river, the wheel, the stones or the grain; say so when you do not know.";

    @TempDir
    static Path root;
    static DecoderModel model;
    static List<int[]> prompts = new ArrayList<>();

    @BeforeAll
    static void load() throws Exception {
        Path dir = root.resolve(TinyModel.NAME);
        TinyModel.write(dir);
        model = DecoderModel.load(dir);
        String[] questions = {"Hi", "How does the mill work?", "Why is the river so high today, and will the wheel"
                + " turn faster?", "Grain?", "Tell me about the stones, the hopper and the sacks of flour by the door.",
                "What is the miller's name?", "Is the bread ready", "Count the sacks: one, two, three, four, five, six.",
                "Why?", "Where does the water go after it passes under the wheel and through the race?"};
        for (String q : questions) {
            prompts.add(model.encodeChat(List.of(new ChatMessage("user", q))));
        }
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void aRequestWaitingForAPlaceInTheBatchReportsItsQueueTime() throws Exception {
        try (BatchEngine engine = new BatchEngine(model, new EngineConfig(1, 64, 32, 0))) {
            var first = engine.submit(prompts.get(0), SamplingParams.greedy(24));
            var second = engine.submit(prompts.get(1), SamplingParams.greedy(4));
            Completion waited = second.get(60, java.util.concurrent.TimeUnit.SECONDS);
            Completion ranFirst = first.get(60, java.util.concurrent.TimeUnit.SECONDS);
            // One row: the second request waits until the first has generated all its tokens.
            assertThat(waited.queueNanos()).isGreaterThan(0).isLessThan(waited.totalNanos());
            assertThat(waited.firstTokenNanos()).isGreaterThan(waited.queueNanos());
            assertThat(ranFirst.queueNanos()).isLessThan(waited.queueNanos());
        }
    }

    @Test
    void greedyOutputsMatchGenerateAloneWhenSubmittedTogetherAndQueued() {
        // 10 requests, 4 rows, different lengths: rows free up and refill at different steps.
        try (BatchEngine engine = new BatchEngine(model, new EngineConfig(4, 64, 16, 0))) {
            List<CompletableFuture<Completion>> futures = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                futures.add(engine.submit(prompts.get(i), greedy(6 + 5 * i)));
            }
            for (int i = 0; i < prompts.size(); i++) {
                assertMatchesAlone(futures.get(i).join(), prompts.get(i), greedy(6 + 5 * i));
            }
            assertThat(engine.stats().generatedTokens()).isPositive();
        }
    }

    @Test
    void greedyOutputsMatchGenerateAloneWhenJoiningMidRun() {
        try (BatchEngine engine = new BatchEngine(model, new EngineConfig(8, 128, 32, 0))) {
            List<CompletableFuture<Completion>> futures = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                futures.add(engine.submit(prompts.get(i), greedy(40)));
            }
            awaitTrue(() -> engine.stats().generatedTokens() >= 6);
            for (int i = 3; i < 6; i++) {
                futures.add(engine.submit(prompts.get(i), greedy(30)));
            }
            awaitTrue(() -> engine.stats().generatedTokens() >= 40);
            for (int i = 6; i < prompts.size(); i++) {
                futures.add(engine.submit(prompts.get(i), greedy(20)));
            }
            for (int i = 0; i < prompts.size(); i++) {
                assertMatchesAlone(futures.get(i).join(), prompts.get(i), greedy(i < 3 ? 40 : i < 6 ? 30 : 20));
            }
        }
    }

    @Test
    void chunkedPrefillMatchesUnchunkedGeneration() {
        int[] longPrompt = model.encodeChat(List.of(new ChatMessage("system", SYSTEM + " " + SYSTEM),
                new ChatMessage("user", "And the grain?")));
        assertThat(longPrompt.length).isGreaterThan(100);
        // Chunks of 16 with a 24-token budget, while two short requests decode beside it.
        try (BatchEngine engine = new BatchEngine(model, new EngineConfig(3, 24, 16, 0))) {
            CompletableFuture<Completion> a = engine.submit(prompts.get(0), greedy(40));
            CompletableFuture<Completion> b = engine.submit(prompts.get(1), greedy(40));
            CompletableFuture<Completion> chunked = engine.submit(longPrompt, greedy(24));
            assertMatchesAlone(chunked.join(), longPrompt, greedy(24));
            assertMatchesAlone(a.join(), prompts.get(0), greedy(40));
            assertMatchesAlone(b.join(), prompts.get(1), greedy(40));
        }
    }

    @Test
    void stopStringsMaxTokensAndEndOfSequenceEndRequestsAsAlone() {
        String full = model.generate(prompts.get(1), greedy(24)).text();
        String stop = full.substring(5, 8);
        List<SamplingParams> params = new ArrayList<>();
        params.add(new SamplingParams(24, 0, 1, 0, 0, 0, null, List.of(stop), true, 0, false));
        params.add(greedy(3));
        // Sampled with seeds: the random model samples an end-of-sequence token now and then.
        for (long seed = 1; seed <= 16; seed++) {
            params.add(new SamplingParams(48, 1.0, 1.0, 0, 0, 0, seed, List.of(), true, 0, false));
        }
        try (BatchEngine engine = new BatchEngine(model, new EngineConfig(8, 64, 32, 0))) {
            List<CompletableFuture<Completion>> futures = new ArrayList<>();
            for (SamplingParams p : params) {
                futures.add(engine.submit(prompts.get(1), p));
            }
            List<Completion> results = futures.stream().map(CompletableFuture::join).toList();
            for (int i = 0; i < params.size(); i++) {
                assertMatchesAlone(results.get(i), prompts.get(1), params.get(i));
            }
            assertThat(results.get(0).finishReason()).isEqualTo("stop");
            assertThat(results.get(0).text()).isEqualTo(full.substring(0, full.indexOf(stop)));
            assertThat(results.get(1).completionTokens()).isEqualTo(3);
            assertThat(results.get(1).finishReason()).isEqualTo("length");
            assertThat(results.subList(2, results.size())).as("some sampled request ends with EOS")
                    .anySatisfy(c -> assertThat(c.finishReason()).isEqualTo("stop"));
        }
    }

    @Test
    void samplingParametersGiveWhatTheyGiveAlone() {
        List<SamplingParams> params = List.of(
                new SamplingParams(32, 0.8, 0.9, 0, 0, 0, 5L, List.of(), true, 3, false),
                new SamplingParams(32, 1.2, 1.0, 8, 0, 0, 6L, List.of(), true, 0, false),
                new SamplingParams(32, 0, 1.0, 0, 0.5, 1.0, null, List.of(), true, 2, false),
                new SamplingParams(32, 0.7, 0.95, 20, 1.0, 0.5, null, List.of(), false, 0, false));
        try (BatchEngine engine = new BatchEngine(model, new EngineConfig(4, 64, 32, 0))) {
            List<CompletableFuture<Completion>> futures = new ArrayList<>();
            for (int i = 0; i < params.size(); i++) {
                futures.add(engine.submit(prompts.get(i + 2), params.get(i)));
            }
            for (int i = 0; i < params.size(); i++) {
                assertMatchesAlone(futures.get(i).join(), prompts.get(i + 2), params.get(i));
            }
        }
    }

    @Test
    void cancelsARunningAndAQueuedRequest() {
        try (BatchEngine engine = new BatchEngine(model, new EngineConfig(1, 64, 32, 0))) {
            CompletableFuture<Completion> running = engine.submit(prompts.get(0), greedy(400));
            CompletableFuture<Completion> queued = engine.submit(prompts.get(1), greedy(400));
            CompletableFuture<Completion> after = engine.submit(prompts.get(2), greedy(8));
            awaitTrue(() -> engine.stats().generatedTokens() > 0);
            assertThat(engine.stats().waiting()).isEqualTo(2);

            running.cancel(false);
            queued.cancel(false);
            assertMatchesAlone(after.join(), prompts.get(2), greedy(8));
            assertThat(running).isCancelled();
            assertThat(queued).isCancelled();
            // The one row went to the last request long before the first could have used its 400 tokens.
            assertThat(engine.stats().generatedTokens()).isLessThan(400);
            assertThat(engine.stats().running()).isZero();
        }
    }

    @Test
    void anInteractivePromptIsAdmittedBeforeBatchPromptsThatWaitedLonger() {
        // One row, none kept: the order of admission alone decides. A runs; B (batch) waits; then I
        // (interactive) arrives and is admitted before B when A finishes.
        try (BatchEngine engine = new BatchEngine(model, new EngineConfig(1, 64, 32, 0))) {
            List<String> finished = new java.util.concurrent.CopyOnWriteArrayList<>();
            CompletableFuture<Completion> a = engine.submit(prompts.get(0), greedy(30), Lane.BATCH);
            CompletableFuture<Completion> aSeen = a.whenComplete((c, e) -> finished.add("A"));
            awaitTrue(() -> engine.stats().generatedTokens() > 0);
            CompletableFuture<Completion> b = engine.submit(prompts.get(1), greedy(8), Lane.BATCH);
            CompletableFuture<Completion> bSeen = b.whenComplete((c, e) -> finished.add("B"));
            awaitTrue(() -> engine.stats().waiting() == 1);
            CompletableFuture<Completion> i = engine.submit(prompts.get(2), greedy(8), Lane.INTERACTIVE);
            CompletableFuture<Completion> iSeen = i.whenComplete((c, e) -> finished.add("I"));

            CompletableFuture.allOf(aSeen, bSeen, iSeen).join();
            assertThat(finished).containsExactly("A", "I", "B");
            // Lanes change the order only, never the tokens.
            assertMatchesAlone(i.join(), prompts.get(2), greedy(8));
            assertMatchesAlone(b.join(), prompts.get(1), greedy(8));
        }
    }

    @Test
    void batchWorkUsesTheInteractiveRowUntilAnInteractivePromptTakesItBack() {
        int batchTokens = 200;
        for (int k = 0; k < 4; k++) {
            // Precondition: these prompts never end early (no end-of-sequence within the budget), so
            // no batch row frees up while the interactive prompt runs.
            assertThat(model.generate(prompts.get(k), greedy(batchTokens)).completionTokens()).isEqualTo(batchTokens);
        }
        // Three rows, one kept for interactive prompts: with none waiting, batch work runs on all three.
        try (BatchEngine engine = new BatchEngine(model, new EngineConfig(3, 64, 32, 0, 1L << 30, 1))) {
            List<CompletableFuture<Completion>> batch = new ArrayList<>();
            for (int k = 0; k < 4; k++) {
                batch.add(engine.submit(prompts.get(k), greedy(batchTokens), Lane.BATCH));
            }
            awaitTrue(() -> engine.stats().generatedTokens() >= 6);
            assertThat(engine.stats().running()).isEqualTo(3);
            assertThat(engine.stats().waiting()).isEqualTo(1);

            Completion interactive = engine.submit(prompts.get(5), greedy(6), Lane.INTERACTIVE).join();

            // It took the borrowed row back at once: it ran beside two batch sequences, before any
            // could finish and free a row.
            assertThat(batch).noneMatch(CompletableFuture::isDone);
            assertThat(engine.preemptions()).isEqualTo(1);
            assertThat(engine.stats().generatedTokens()).isLessThan(3L * batchTokens);
            assertMatchesAlone(interactive, prompts.get(5), greedy(6));
            // The batch sequence that gave its row back is recomputed later and still gets what it gets alone.
            for (int k = 0; k < 4; k++) {
                assertMatchesAlone(batch.get(k).join(), prompts.get(k), greedy(batchTokens));
            }
        }
    }

    @Test
    void aPreemptedEchoRequestScoresItsPromptOnceAndGetsWhatItGetsAlone() {
        // Long enough (prompts 2 and 3 run 200 tokens without an end-of-sequence, as the test above checks)
        // that neither finishes before the interactive prompt arrives, however the machine is loaded.
        SamplingParams echo = new SamplingParams(200, 0, 1, 0, 0, 0, null, List.of(), true, 2, true);
        // Two rows, one lent to batch work: the interactive prompt preempts the echo request, whichever
        // point of its prefill or decoding it reached, and the echo request is recomputed after it.
        try (BatchEngine engine = new BatchEngine(model, new EngineConfig(2, 64, 8, 0, 1L << 30, 1))) {
            CompletableFuture<Completion> other = engine.submit(prompts.get(2), greedy(200), Lane.BATCH);
            // Admitted last, so the one to give its row back.
            CompletableFuture<Completion> scored = engine.submit(prompts.get(3), echo, Lane.BATCH);
            awaitTrue(() -> engine.stats().running() == 2);
            Completion interactive = engine.submit(prompts.get(1), greedy(4), Lane.INTERACTIVE).join();
            assertMatchesAlone(interactive, prompts.get(1), greedy(4));
            assertThat(engine.preemptions()).isEqualTo(1);
            assertMatchesAlone(scored.join(), prompts.get(3), echo);
            assertMatchesAlone(other.join(), prompts.get(2), greedy(200));
        }
    }

    @Test
    void interactiveRowsMustLeaveBatchWorkARow() {
        assertThatThrownBy(() -> new EngineConfig(4, 64, 32, 0, 1L << 30, 4)).hasMessageContaining("from 0 to maxBatchSize - 1 (3)");
        assertThat(new EngineConfig(1, 64, 32, 0).interactiveRows()).isZero();
        assertThat(EngineConfig.defaults().interactiveRows()).isEqualTo(1);
    }

    @Test
    void closeFailsQueuedAndRunningRequests() {
        BatchEngine engine = new BatchEngine(model, new EngineConfig(2, 64, 32, 0));
        List<CompletableFuture<Completion>> futures = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            futures.add(engine.submit(prompts.get(i), greedy(400)));
        }
        awaitTrue(() -> engine.stats().generatedTokens() > 0);
        engine.close();
        assertThat(futures).allSatisfy(f -> assertThatThrownBy(f::join)
                .isInstanceOf(CancellationException.class)
                .hasMessageContaining("was closed"));
        assertThatThrownBy(() -> engine.submit(prompts.get(0), greedy(4)).join())
                .isInstanceOf(CancellationException.class);
    }

    @Test
    void invalidPromptFailsItsOwnFutureOnly() {
        try (BatchEngine engine = new BatchEngine(model, EngineConfig.defaults())) {
            CompletableFuture<Completion> empty = engine.submit(new int[0], greedy(4));
            CompletableFuture<Completion> tooLong = engine.submit(new int[model.contextLength()], greedy(4));
            CompletableFuture<Completion> fine = engine.submit(prompts.get(3), greedy(4));
            assertThatThrownBy(empty::join).isInstanceOf(CompletionException.class)
                    .hasCauseInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
            assertThatThrownBy(tooLong::join).hasMessageContaining("shorten the messages");
            assertMatchesAlone(fine.join(), prompts.get(3), greedy(4));
            assertThat(engine.submit(prompts.get(3), greedy(0)).join().completionTokens()).isZero();
        }
    }

    @Test
    void sharedPrefixIsComputedOnceAndGivesTheColdOutput() {
        int[] first = model.encodeChat(List.of(new ChatMessage("system", SYSTEM), new ChatMessage("user", "Hi")));
        int[] second = model.encodeChat(List.of(new ChatMessage("system", SYSTEM),
                new ChatMessage("user", "How much grain is left?")));
        try (BatchEngine engine = new BatchEngine(model, new EngineConfig(4, 64, 32, 1L << 20))) {
            engine.submit(first, greedy(8)).join();
            EngineStats before = engine.stats();
            assertThat(before.prefixCacheHits()).isZero();
            assertThat(before.prefixCacheBytes()).isPositive();

            Completion warm = engine.submit(second, greedy(24)).join();
            EngineStats after = engine.stats();
            long hits = after.prefixCacheHits() - before.prefixCacheHits();
            assertThat(hits).isGreaterThanOrEqualTo(32).isEqualTo(hits / PrefixCache.BLOCK_TOKENS * PrefixCache.BLOCK_TOKENS);
            assertThat(after.promptTokens() - before.promptTokens()).isEqualTo(second.length - hits);
            assertMatchesAlone(warm, second, greedy(24));
        }
    }

    @Test
    void burstWithOneSystemPromptFindsTheBlocksOfTheFirst() {
        try (BatchEngine engine = new BatchEngine(model, new EngineConfig(8, 512, 256, 1L << 20))) {
            List<int[]> burst = new ArrayList<>();
            List<CompletableFuture<Completion>> futures = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                burst.add(model.encodeChat(List.of(new ChatMessage("system", SYSTEM), new ChatMessage("user", "Question " + i))));
                futures.add(engine.submit(burst.get(i), greedy(12)));
            }
            for (int i = 0; i < burst.size(); i++) {
                assertMatchesAlone(futures.get(i).join(), burst.get(i), greedy(12));
            }
            assertThat(engine.stats().prefixCacheHits()).as("three requests reuse the first one's system prompt")
                    .isGreaterThanOrEqualTo(3L * 32);
        }
    }

    @Test
    void prefixCacheStaysWithinItsBudget() {
        long budget = 3 * blockBytes();
        try (BatchEngine engine = new BatchEngine(model, new EngineConfig(4, 64, 32, budget))) {
            for (int i = 0; i < 6; i++) {
                // Distinct from the first block on: each prompt brings blocks of its own.
                engine.submit(model.encodeChat(List.of(new ChatMessage("user", i + " " + SYSTEM))), greedy(2)).join();
                assertThat(engine.stats().prefixCacheBytes()).isLessThanOrEqualTo(budget);
            }
            assertThat(engine.stats().prefixCacheBytes()).isEqualTo(budget);
        }
    }

    @Test
    void echoScoresEveryPromptTokenEvenWhenItsPrefixIsCached() {
        int[] prompt = model.encodeChat(List.of(new ChatMessage("system", SYSTEM), new ChatMessage("user", "Hi")));
        SamplingParams echo = new SamplingParams(4, 0, 1, 0, 0, 0, null, List.of(), true, 2, true);
        SamplingParams scoreOnly = new SamplingParams(0, 0, 1, 0, 0, 0, null, List.of(), true, 0, true);
        try (BatchEngine engine = new BatchEngine(model, new EngineConfig(4, 64, 16, 1L << 20))) {
            engine.submit(prompt, greedy(2)).join(); // caches the prompt's blocks
            Completion echoed = engine.submit(prompt, echo).join();
            assertThat(echoed.promptLogprobs()).hasSize(prompt.length - 1);
            assertMatchesAlone(echoed, prompt, echo);

            Completion scored = engine.submit(prompt, scoreOnly).join();
            assertThat(scored.completionTokens()).isZero();
            assertMatchesAlone(scored, prompt, scoreOnly);
        }
    }

    @Test
    void aKvBudgetForTwoSequencesGivesTheSameTokensAsAnAmpleOne() {
        int newTokens = 24;
        int longestPrompt = prompts.stream().mapToInt(p -> p.length).max().orElseThrow();
        // Both batch buffers of two rows at the longest context, and one prompt's prefill.
        long two = tokenBytes() * (2L * 2 * (longestPrompt + newTokens) + 2L * longestPrompt);
        List<Completion> ample = runAll(new EngineConfig(8, 64, 16, 1L << 20, 1L << 30), newTokens);
        List<Completion> tight = runAll(new EngineConfig(8, 64, 16, 1L << 20, two), newTokens);
        for (int i = 0; i < prompts.size(); i++) {
            assertThat(tight.get(i).text()).isEqualTo(ample.get(i).text());
            assertSameTokens(tight.get(i).logprobs(), ample.get(i).logprobs());
            assertMatchesAlone(tight.get(i), prompts.get(i), greedy(newTokens));
        }
    }

    @Test
    void aRequestThatCouldNeverFitTheKvBudgetFailsSayingWhatToChange() {
        int[] shortPrompt = prompts.get(0);
        long budget = tokenBytes() * (2L * (shortPrompt.length + 8) + 2L * shortPrompt.length);
        try (BatchEngine engine = new BatchEngine(model, new EngineConfig(4, 64, 16, 0, budget))) {
            CompletableFuture<Completion> tooLong = engine.submit(prompts.get(4), greedy(8));
            assertThatThrownBy(tooLong::join).hasCauseInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("of KV cache").hasMessageContaining("raise worker.kv.memory");
            assertMatchesAlone(engine.submit(shortPrompt, greedy(8)).join(), shortPrompt, greedy(8));
        }
    }

    /** Runs every prompt at once: under a tight budget most of them wait for room. */
    private static List<Completion> runAll(EngineConfig config, int newTokens) {
        try (BatchEngine engine = new BatchEngine(model, config)) {
            List<CompletableFuture<Completion>> futures = new ArrayList<>();
            for (int[] p : prompts) {
                futures.add(engine.submit(p, greedy(newTokens)));
            }
            List<Completion> done = new ArrayList<>();
            for (CompletableFuture<Completion> f : futures) {
                done.add(f.join());
            }
            return done;
        }
    }

    private static long tokenBytes() {
        DecoderSession s = model.session();
        return (long) s.kvTensors() * s.kvHeads() * s.headDim() * s.kvBytes();
    }

    private static long blockBytes() {
        DecoderSession s = model.session();
        return (long) s.kvTensors() * s.kvHeads() * PrefixCache.BLOCK_TOKENS * s.headDim() * Float.BYTES;
    }

    /** Greedy, with logprobs so the chosen token ids can be compared. */
    private static SamplingParams greedy(int maxNewTokens) {
        return new SamplingParams(maxNewTokens, 0, 1, 0, 0, 0, null, List.of(), true, 0, false);
    }

    private static void assertMatchesAlone(Completion batched, int[] prompt, SamplingParams params) {
        Completion alone = model.generate(prompt, params);
        assertThat(batched.text()).isEqualTo(alone.text());
        assertThat(batched.completionTokens()).isEqualTo(alone.completionTokens());
        assertThat(batched.finishReason()).isEqualTo(alone.finishReason());
        assertThat(batched.promptTokens()).isEqualTo(prompt.length);
        assertSameTokens(batched.logprobs(), alone.logprobs());
        assertSameTokens(batched.promptLogprobs(), alone.promptLogprobs());
    }

    private static void assertSameTokens(List<TokenLogprob> batched, List<TokenLogprob> alone) {
        if (alone == null) {
            assertThat(batched).isNull();
            return;
        }
        assertThat(batched).extracting(TokenLogprob::id).containsExactlyElementsOf(alone.stream().map(TokenLogprob::id).toList());
        for (int i = 0; i < alone.size(); i++) {
            assertThat(batched.get(i).logprob()).isCloseTo(alone.get(i).logprob(), offset(LOGPROB_TOLERANCE));
            assertThat(batched.get(i).top()).extracting(TokenLogprob::id)
                    .containsExactlyElementsOf(alone.get(i).top().stream().map(TokenLogprob::id).toList());
        }
    }

    private static void awaitTrue(BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("timed out waiting").isLessThan(deadline);
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }
}
