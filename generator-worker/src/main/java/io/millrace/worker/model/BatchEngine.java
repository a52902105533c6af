package io.millrace.worker.model;

import ai.onnxruntime.OrtException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Continuous (iteration-level) batching over one {@link DecoderModel}, on one inference thread
 * that the engine owns. Each step:
 * <ol>
 *   <li>drops requests whose future was cancelled, and admits waiting ones, interactive ones
 *       ({@link Lane}) first, each lane in arrival order, while fewer than {@code maxBatchSize} run
 *       (batch ones only borrow the last {@code interactiveRows} rows: waiting interactive prompts
 *       take them back, {@link #preemptForInteractive}) and the whole context each may reach
 *       fits in the KV budget ({@link KvBudget}; the prefix cache gives up its memory first, and a
 *       request that could not fit even alone fails when submitted);
 *   <li>decodes one token for every sequence past its prompt, in one batched forward over
 *       {@link BatchKv};
 *   <li>prefills prompt chunks, interactive ones first, then in admission order, within the rest of the step's token budget
 *       ({@link StepPlanner}), each chunk a forward of its own on the sequence's own cache, which
 *       starts from the longest prefix of the prompt found in the {@link PrefixCache};
 *   <li>completes the futures of the sequences that finished (end-of-sequence token, stop string,
 *       maxNewTokens, end of the context) and moves those that finished their prompt into the batch.
 * </ol>
 * Prompt chunks run apart from the decodes because fusing them would pad every decode row to the
 * chunk's length; a chunk alone already fills the matrix multiplications with its own tokens.
 *
 * <p>Guarantees: every submitted prompt gets exactly one outcome (its completion, or the reason it
 * could not run); cancelling a future drops its request at the next step; {@link #close} fails
 * what is queued or running. A request's tokens are picked by its own {@link Decoding} (its own
 * seeded random) from its own logits, and each batch row attends to exactly its own tokens at their
 * true positions, so its output does not depend on the batch. Only float rounding does: the kernels
 * sum over differently padded rows, which moves logprobs by up to ~1e-6 on the built-in model and
 * ~1e-4 on a GPT-2-small shape; a greedy pick could flip only where two tokens tie that closely
 * (none did in the tests, nor in 16 × 64 GPT-2-small tokens).
 *
 * <p>Futures complete on the inference thread, after the step that finished them: chain slow work
 * with the {@code *Async} methods.
 *
 * <p>Errors: an onnxruntime failure fails the requests of the forward that failed and the engine
 * goes on; anything else (a bug, exhausted memory) stops the engine and fails every request.
 */
public final class BatchEngine implements CompletionEngine {
    private static final Logger log = LoggerFactory.getLogger(BatchEngine.class);
    private static final int BLOCK = PrefixCache.BLOCK_TOKENS;

    private final DecoderModel model;
    private final DecoderSession session;
    private final StepPlanner planner;
    private final PrefixCache prefixCache;
    private final BatchKv batch;
    private final KvBudget kvBudget;
    private final LinkedBlockingQueue<Sequence> incoming = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;
    private volatile Throwable fatal;
    private volatile EngineStats snapshot = new EngineStats(0, 0, 0, 0, 0, 0, 0);

    // Owned by the inference thread.
    /** Waiting prompts of the interactive lane, admitted before any of {@link #waitingBatch}. */
    private final ArrayDeque<Sequence> waitingInteractive = new ArrayDeque<>();
    private final ArrayDeque<Sequence> waitingBatch = new ArrayDeque<>();
    private final List<Sequence> running = new ArrayList<>();
    /** Where prompts' last chunks write their cache ({@link #staging}); null until the first. */
    private java.nio.ByteBuffer[] staging;
    /** Futures to complete once the step is over and its counters are published. */
    private final List<Runnable> outcomes = new ArrayList<>();
    private long promptTokens;
    private long generatedTokens;
    /** Batch sequences that gave their borrowed row back to an interactive prompt, since the start (read by tests). */
    private volatile long preemptions;

    public BatchEngine(DecoderModel model, EngineConfig config) {
        this.model = model;
        this.session = model.session();
        this.planner = new StepPlanner(config);
        this.prefixCache = config.prefixCacheBytes() == 0 ? null
                : new PrefixCache(config.prefixCacheBytes(), session.kvTensors(), session.kvHeads(), session.headDim(),
                        session.kvBytes());
        this.batch = new BatchKv(session, model.contextLength(), config.maxBatchSize());
        this.kvBudget = new KvBudget(config.kvMemoryBytes(),
                (long) session.kvTensors() * session.kvHeads() * session.headDim() * session.kvBytes());
        this.thread = new Thread(this::run, "millrace-batch-" + model.name());
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public CompletableFuture<Completion> submit(int[] promptIds, SamplingParams params) {
        return submit(promptIds, params, Lane.INTERACTIVE);
    }

    @Override
    public CompletableFuture<Completion> submit(int[] promptIds, SamplingParams params, Lane lane) {
        if (lane == null) {
            throw new IllegalArgumentException("lane is null: pass Lane.INTERACTIVE or Lane.BATCH");
        }
        CompletableFuture<Completion> future = new CompletableFuture<>();
        if (closed) {
            future.completeExceptionally(closedException());
            return future;
        }
        int[] prompt = promptIds.clone();
        Decoding decoding;
        try {
            decoding = model.startDecoding(prompt, params, System.nanoTime());
        } catch (IllegalArgumentException e) {
            future.completeExceptionally(e);
            return future;
        }
        if (decoding.finished() && !decoding.scoresPrompt()) {
            future.complete(decoding.completion());
            return future;
        }
        String tooLarge = kvBudget.neverFits(prompt.length, decoding.maxContext());
        if (tooLarge != null) {
            future.completeExceptionally(new IllegalArgumentException(tooLarge));
            return future;
        }
        incoming.add(new Sequence(prompt, decoding, future, lane));
        // The engine may have closed since the check above, after its last look at the queue.
        if (closed) {
            future.completeExceptionally(closedException());
        }
        return future;
    }

    @Override
    public EngineStats stats() {
        EngineStats s = snapshot;
        return new EngineStats(s.running(), s.waiting() + incoming.size(), s.promptTokens(), s.generatedTokens(),
                s.prefixCacheQueries(), s.prefixCacheHits(), s.prefixCacheBytes());
    }

    /** Batch sequences preempted so far to give a borrowed row back to an interactive prompt. */
    long preemptions() {
        return preemptions;
    }

    /** Fails what is queued or running and waits for the inference thread to end its current step. */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        if (Thread.currentThread() == thread) {
            return; // called from a future's callback: the loop ends after this step
        }
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            while (!closed) {
                awaitWork();
                step();
                publishStats();
                deliverOutcomes();
            }
        } catch (InterruptedException e) {
            // close() interrupts the wait for work.
        } catch (Throwable e) {
            fatal = e;
            log.error("the batch engine of {} stopped: {}", model.name(), e.toString(), e);
        } finally {
            closed = true;
            deliverOutcomes();
            failAll(closedException());
            publishStats();
        }
    }

    /** Moves submitted requests into their lane's waiting queue, blocking while the engine has nothing to do. */
    private void awaitWork() throws InterruptedException {
        if (running.isEmpty() && waitingCount() == 0) {
            publishStats();
            enqueue(incoming.take());
        }
        for (Sequence s = incoming.poll(); s != null; s = incoming.poll()) {
            enqueue(s);
        }
    }

    private void enqueue(Sequence s) {
        (s.interactive() ? waitingInteractive : waitingBatch).add(s);
    }

    private int waitingCount() {
        return waitingInteractive.size() + waitingBatch.size();
    }

    private void step() {
        waitingInteractive.removeIf(s -> s.future.isDone());
        waitingBatch.removeIf(s -> s.future.isDone());
        for (Sequence s : List.copyOf(running)) {
            if (s.future.isDone()) {
                remove(s); // cancelled by its caller
            }
        }
        admit();
        List<Sequence> decoding = new ArrayList<>();
        List<Sequence> prefilling = new ArrayList<>();
        for (Sequence s : running) {
            (s.decoding() ? decoding : prefilling).add(s);
        }
        // An interactive prompt's chunks come first in the step's token budget: its first token is
        // what its client waits for, while a batch prompt's first token is only one of many.
        prefilling.sort(java.util.Comparator.comparing((Sequence s) -> !s.interactive()));
        int[] chunks = planner.chunks(decoding.size(), prefilling.stream().mapToInt(Sequence::remainingPrompt).toArray());
        if (!decoding.isEmpty()) {
            decode(decoding);
        }
        for (int i = 0; i < chunks.length; i++) {
            if (chunks[i] > 0) {
                prefill(prefilling.get(i), chunks[i]);
            }
        }
        batch.compactIfWasteful();
    }

    /**
     * Admits waiting requests, the interactive lane first, each lane in arrival order, while the
     * batch has rows for them (batch work leaves {@code interactiveRows} free) and the KV budget
     * room: the first that does not fit waits, and those behind it too, so a long request is not
     * overtaken for ever by short ones (an interactive one that does not fit holds back batch work
     * too, which would otherwise take the room it waits for). Then gives the batch's buffers and the
     * prefix cache what the budget leaves them.
     */
    private void admit() {
        preemptForInteractive();
        KvBudget.Demand demand = KvBudget.Demand.NONE;
        int batchRunning = 0;
        for (Sequence s : running) {
            demand = demand.plus(s.decoding() ? 0 : s.context.length, s.decoding.maxContext());
            batchRunning += s.interactive() ? 0 : 1;
        }
        demand = admitFrom(waitingInteractive, planner.admissions(running.size(), waitingInteractive.size()), demand);
        if (demand != null && waitingInteractive.isEmpty()) {
            demand = admitFrom(waitingBatch, planner.batchAdmissions(running.size(), waitingBatch.size()), demand);
        }
        if (demand == null) { // something did not fit: recount what was admitted
            demand = KvBudget.Demand.NONE;
            for (Sequence s : running) {
                demand = demand.plus(s.decoding() ? 0 : s.context.length, s.decoding.maxContext());
            }
        }
        batch.limit(kvBudget.batchBytes(demand, batch.allocatedBytes()));
        // Sequences that finished may leave the layout wider than the new limit: narrow it before it grows.
        batch.compactIfWasteful();
        if (prefixCache != null) {
            prefixCache.limit(kvBudget.prefixCacheRoom(demand, batch.allocatedBytes()));
        }
    }

    /**
     * Takes back the rows batch work borrowed beyond {@code maxBatchSize - interactiveRows}, as many
     * as waiting interactive prompts need ({@link StepPlanner#preemptions}): the batch sequences
     * admitted last give them up and wait at the head of their lane, to be recomputed when rows
     * free up. A recompute costs their context's prefill again; their picked tokens and sampling
     * state stay, so only float rounding can differ from an uninterrupted run.
     */
    private void preemptForInteractive() {
        if (waitingInteractive.isEmpty()) {
            return;
        }
        int batchRunning = (int) running.stream().filter(s -> !s.interactive()).count();
        int victims = planner.preemptions(running.size(), batchRunning, waitingInteractive.size());
        for (int i = running.size() - 1; i >= 0 && victims > 0; i--) {
            Sequence s = running.get(i);
            if (!s.interactive()) {
                remove(s);
                s.preempt();
                waitingBatch.addFirst(s); // the earliest admitted of them ends up first: lane order kept
                preemptions++;
                victims--;
            }
        }
    }

    /**
     * Admits up to {@code n} of {@code queue}'s head while they fit the KV budget.
     *
     * @return the demand with them, or null when the next one did not fit (the lane waits)
     */
    private KvBudget.Demand admitFrom(ArrayDeque<Sequence> queue, int n, KvBudget.Demand demand) {
        for (; n > 0; n--) {
            Sequence next = queue.peek();
            KvBudget.Demand with = demand.plus(next.context.length, next.decoding.maxContext());
            if (!kvBudget.fits(with, batch.allocatedBytes())) {
                if (!running.isEmpty()) {
                    return null; // room comes back as running sequences finish
                }
                // Alone it fits (submit checked), but the buffers of an earlier, wider batch may be in the way.
                batch.release();
            }
            queue.poll();
            next.decoding.markAdmitted();
            running.add(next);
            demand = with;
        }
        return demand;
    }

    private void decode(List<Sequence> sequences) {
        long[] tokens = new long[batch.rows()];
        long[] positions = new long[batch.rows()];
        for (Sequence s : sequences) {
            tokens[s.row.index()] = s.decoding.lastToken();
            positions[s.row.index()] = s.decoding.lastPosition();
        }
        float[][] logits;
        try {
            logits = batch.step(tokens, positions);
        } catch (OrtException e) {
            sequences.forEach(s -> fail(s, e));
            return;
        }
        for (Sequence s : sequences) {
            s.decoding.accept(logits[s.row.index()]);
            generatedTokens++;
            if (s.decoding.finished()) {
                finish(s);
            }
        }
    }

    /** Computes up to {@code planned} more prompt tokens; the last chunk picks the first new token and moves the sequence into the batch. */
    private void prefill(Sequence s, int planned) {
        try {
            if (s.cache == null) {
                start(s);
            }
            int n = Math.min(planned, s.remainingPrompt());
            long[] ids = new long[n];
            long[] positions = new long[n];
            for (int i = 0; i < n; i++) {
                ids[i] = s.context[s.prefilled + i];
                positions[i] = s.prefilled + i;
            }
            long[] mask = new long[s.prefilled + n];
            Arrays.fill(mask, 1);
            // The last chunk's cache is copied into the batch (and the prefix cache) before this call
            // returns, so it can be written where the previous prompt's last chunk was; earlier chunks
            // keep theirs across steps in memory onnxruntime allocates.
            boolean last = n == s.remainingPrompt();
            DecoderSession.Step step = session.forward(new long[][] {ids}, new long[][] {mask}, new long[][] {positions},
                    s.cache, s.scoresPrompt(), last ? staging(s.prefilled + n) : null);
            s.cache.close();
            s.cache = step.cache();
            if (s.scoresPrompt()) {
                s.decoding.scorePrompt(step.logits()[0], s.prefilled);
            }
            s.prefilled += n;
            promptTokens += n;
            cacheBlocks(s);
            if (s.remainingPrompt() > 0) {
                return;
            }
            if (s.resumed) { // recomputed after a preemption: it decodes on from the token it picked last
                s.row = batch.join(s.cache);
                s.releaseCache();
                return;
            }
            if (!s.decoding.finished()) { // an echo request for no new tokens is finished already
                s.decoding.accept(step.lastLogits()[0]);
                generatedTokens++;
            }
            if (s.decoding.finished()) {
                finish(s);
            } else {
                s.row = batch.join(s.cache);
                s.releaseCache();
            }
        } catch (OrtException e) {
            fail(s, e);
        }
    }

    /**
     * Buffers for the cache of a prompt's last chunk, {@code length} tokens: the same ones from
     * prompt to prompt, grown rarely (to twice what is needed, at most a full context), so that
     * prefills do not each fault in fresh memory for their cache. At most one context's KV
     * (75 MB for GPT-2 small's 1024 positions), held while the engine runs.
     */
    private java.nio.ByteBuffer[] staging(int length) {
        long tokenBytes = (long) session.kvHeads() * session.headDim() * session.kvBytes();
        long needed = length * tokenBytes;
        if (staging == null || staging[0].capacity() < needed) {
            int size = (int) Math.max(needed, Math.min(2 * needed, (model.contextLength() + 1L) * tokenBytes));
            staging = new java.nio.ByteBuffer[session.kvTensors()];
            for (int t = 0; t < staging.length; t++) {
                staging[t] = java.nio.ByteBuffer.allocateDirect(size).order(java.nio.ByteOrder.nativeOrder());
            }
        }
        return staging;
    }

    /**
     * Gives a sequence its own cache at its first chunk, holding the longest prefix of its prompt
     * found in the prefix cache. Looking up this late, not at admission, finds the blocks that
     * sequences ahead of it stored earlier in the same step: a burst of requests with one system
     * prompt computes it once.
     */
    private void start(Sequence s) throws OrtException {
        // Echo needs the logits of every prompt token, which reused KV would skip.
        if (prefixCache == null || s.scoresPrompt()) {
            s.cache = session.emptyCache(1);
            return;
        }
        // The last prompt token is always computed: its logits pick the first new token.
        List<PrefixCache.Block> found = prefixCache.match(s.context, (s.context.length - 1) / BLOCK * BLOCK);
        if (found.isEmpty()) {
            s.cache = session.emptyCache(1);
            return;
        }
        int length = found.size() * BLOCK;
        int heads = session.kvHeads();
        int tokenBytes = session.headDim() * session.kvBytes(); // one token of one head
        ByteBuffer[] kv = new ByteBuffer[session.kvTensors()];
        for (int t = 0; t < kv.length; t++) {
            kv[t] = ByteBuffer.allocate(heads * length * tokenBytes);
            for (int h = 0; h < heads; h++) {
                for (int b = 0; b < found.size(); b++) {
                    kv[t].put((h * length + b * BLOCK) * tokenBytes, found.get(b).kv(t), h * BLOCK * tokenBytes, BLOCK * tokenBytes);
                }
            }
        }
        s.cache = session.cacheOf(kv, 1, length);
        s.prefilled = length;
        s.cachedBlocks = found.size();
        s.lastBlock = found.get(found.size() - 1);
    }

    /** Stores the prompt blocks the sequence completed since the last chunk. */
    private void cacheBlocks(Sequence s) {
        int full = s.prefilled / BLOCK;
        if (prefixCache == null || s.cachingStopped || full <= s.cachedBlocks) {
            return;
        }
        ByteBuffer[] kv = new ByteBuffer[session.kvTensors()];
        for (int t = 0; t < kv.length; t++) {
            kv[t] = s.cache.read(t);
        }
        for (int b = s.cachedBlocks; b < full; b++) {
            PrefixCache.Block block = prefixCache.store(s.context, b, s.lastBlock, kv, s.cache.length());
            if (block == null) {
                s.cachingStopped = true;
                return;
            }
            s.lastBlock = block;
            s.cachedBlocks++;
        }
    }

    private void finish(Sequence s) {
        remove(s);
        Completion completion = s.decoding.completion();
        outcomes.add(() -> s.future.complete(completion));
    }

    private void fail(Sequence s, OrtException e) {
        remove(s);
        IllegalStateException failure = new IllegalStateException("onnxruntime failed while generating with "
                + model.name() + ": " + e.getMessage(), e);
        outcomes.add(() -> s.future.completeExceptionally(failure));
    }

    /**
     * Completes the futures of the step's finished requests. After the counters are published, so
     * that a caller who sees its future done sees its tokens counted; after the step, so that
     * callbacks running on this thread never see the engine mid-step.
     */
    private void deliverOutcomes() {
        List<Runnable> due = List.copyOf(outcomes);
        outcomes.clear();
        due.forEach(Runnable::run);
    }

    private void remove(Sequence s) {
        running.remove(s);
        if (s.row != null) {
            batch.leave(s.row);
        }
        s.releaseCache();
    }

    private void failAll(Exception reason) {
        for (Sequence s : List.copyOf(running)) {
            remove(s);
            s.future.completeExceptionally(reason);
        }
        for (Sequence s = incoming.poll(); s != null; s = incoming.poll()) {
            enqueue(s);
        }
        for (ArrayDeque<Sequence> waiting : List.of(waitingInteractive, waitingBatch)) {
            waiting.forEach(s -> s.future.completeExceptionally(reason));
            waiting.clear();
        }
    }

    private Exception closedException() {
        Throwable cause = fatal;
        if (cause != null) {
            // A cancellation, not a per-request failure: the engine is gone, so callers must stop
            // sending it work rather than answer every request with an error.
            CancellationException stopped = new CancellationException("the batch engine of " + model.name() + " stopped: " + cause);
            stopped.initCause(cause);
            return stopped;
        }
        return new CancellationException("the engine of " + model.name() + " was closed");
    }

    private void publishStats() {
        snapshot = new EngineStats(running.size(), waitingCount(), promptTokens, generatedTokens,
                prefixCache == null ? 0 : prefixCache.queries(), prefixCache == null ? 0 : prefixCache.hits(),
                prefixCache == null ? 0 : prefixCache.bytes());
    }
}
