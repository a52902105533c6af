package io.millrace.worker.model;

import io.millrace.worker.model.build.ModelShape;
import io.millrace.worker.model.build.TinyModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Throughput of {@link BatchEngine} against {@link SequentialEngine} (batch size 1): completion
 * tokens per second for N concurrent greedy requests, and how many batched outputs differ from
 * their sequential twins. Not a unit test (it takes minutes on a GPT-2-small shape); run it with
 * the test classpath:
 *
 * <pre>
 * java -cp ... io.millrace.worker.model.BatchEngineBenchmark DIR SHAPE SEQUENTIAL_N N[,N...] MAX_NEW_TOKENS BATCH ROUNDS
 * </pre>
 *
 * Each round runs SEQUENTIAL_N requests one at a time, then N concurrent requests through the
 * batch engine for each N.
 *
 * SHAPE is a {@link ModelShape} name: {@code tiny} (the built-in model) or {@code gpt2-small} (GPT-2
 * small's compute with seeded weights), written to DIR unless a model is there already.
 */
public final class BatchEngineBenchmark {
    private BatchEngineBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        writeModel(dir, args[1]);
        int sequentialRequests = Integer.parseInt(args[2]);
        int[] concurrency = Arrays.stream(args[3].split(",")).mapToInt(Integer::parseInt).toArray();
        int maxNewTokens = Integer.parseInt(args[4]);
        int batch = Integer.parseInt(args[5]);
        int rounds = Integer.parseInt(args[6]);
        try (DecoderModel model = DecoderModel.load(dir)) {
            int needed = Math.max(16, Math.max(sequentialRequests, Arrays.stream(concurrency).max().orElseThrow()));
            List<int[]> prompts = prompts(model, needed);
            SamplingParams greedy = SamplingParams.greedy(maxNewTokens);
            EngineConfig config = new EngineConfig(batch, 512, 256, 0);
            // Warm-up: JIT-compiled code and onnxruntime's memory arenas for both engines.
            try (SequentialEngine warm = new SequentialEngine(model)) {
                run(warm, prompts.subList(0, 4), greedy);
            }
            try (BatchEngine warm = new BatchEngine(model, config)) {
                run(warm, prompts.subList(0, 2 * batch), greedy);
            }
            // Rounds alternate the engines, so load from other processes on the machine weighs on both alike.
            Run sequential = new Run(0, 0);
            Run[] batched = new Run[concurrency.length];
            Arrays.fill(batched, new Run(0, 0));
            for (int r = 0; r < rounds; r++) {
                List<int[]> slice = prompts.subList((r * sequentialRequests) % (prompts.size() - sequentialRequests + 1),
                        (r * sequentialRequests) % (prompts.size() - sequentialRequests + 1) + sequentialRequests);
                try (SequentialEngine engine = new SequentialEngine(model)) {
                    sequential = sequential.plus(run(engine, slice, greedy));
                }
                for (int i = 0; i < concurrency.length; i++) {
                    try (BatchEngine engine = new BatchEngine(model, config)) {
                        batched[i] = batched[i].plus(run(engine, prompts.subList(0, concurrency[i]), greedy));
                    }
                }
            }
            System.out.printf("%s sequential (batch size 1): %d tokens in %.1f s = %.1f tokens/s%n", args[1],
                    sequential.tokens, sequential.seconds, sequential.tokensPerSecond());
            for (int i = 0; i < concurrency.length; i++) {
                System.out.printf("%s batch %d, %d concurrent: %d tokens in %.1f s = %.1f tokens/s, %.2fx sequential%n",
                        args[1], batch, concurrency[i], batched[i].tokens, batched[i].seconds,
                        batched[i].tokensPerSecond(), batched[i].tokensPerSecond() / sequential.tokensPerSecond());
            }
            compareTokens(model, prompts.subList(0, Math.min(16, prompts.size())), maxNewTokens, batch, args[1]);
        }
    }

    /** Greedy token ids of each prompt alone and all together in one engine: how many differ, and by how much the logprobs do. */
    private static void compareTokens(DecoderModel model, List<int[]> prompts, int maxNewTokens, int batch, String shape) {
        SamplingParams params = new SamplingParams(maxNewTokens, 0, 1, 0, 0, 0, null, List.of(), true, 0, false);
        List<Completion> batched;
        try (BatchEngine engine = new BatchEngine(model, new EngineConfig(batch, 512, 256, 0))) {
            batched = completeAll(engine, prompts, params);
        }
        int differ = 0;
        double maxLogprobDiff = 0;
        for (int i = 0; i < prompts.size(); i++) {
            List<TokenLogprob> alone = model.generate(prompts.get(i), params).logprobs();
            List<TokenLogprob> together = batched.get(i).logprobs();
            int same = 0;
            while (same < Math.min(alone.size(), together.size()) && alone.get(same).id() == together.get(same).id()) {
                maxLogprobDiff = Math.max(maxLogprobDiff, Math.abs(alone.get(same).logprob() - together.get(same).logprob()));
                same++;
            }
            if (same < Math.max(alone.size(), together.size())) {
                differ++;
                System.out.printf("%s request %d diverges at token %d of %d%n", shape, i, same, alone.size());
            }
        }
        System.out.printf("%s invariance: %d of %d greedy token sequences differ between alone and batched;"
                + " largest logprob difference of the same token %.2e%n", shape, differ, prompts.size(), maxLogprobDiff);
    }

    private record Run(long tokens, double seconds) {
        double tokensPerSecond() {
            return tokens / seconds;
        }

        Run plus(Run other) {
            return new Run(tokens + other.tokens, seconds + other.seconds);
        }
    }

    private static Run run(CompletionEngine engine, List<int[]> prompts, SamplingParams params) {
        long start = System.nanoTime();
        List<Completion> completions = completeAll(engine, prompts, params);
        return new Run(completions.stream().mapToLong(Completion::completionTokens).sum(), (System.nanoTime() - start) / 1e9);
    }

    private static List<Completion> completeAll(CompletionEngine engine, List<int[]> prompts, SamplingParams params) {
        List<CompletableFuture<Completion>> futures = new ArrayList<>();
        for (int[] p : prompts) {
            futures.add(engine.submit(p, params));
        }
        return futures.stream().map(CompletableFuture::join).toList();
    }

    /** Chat prompts of 20 to 60 tokens. */
    private static List<int[]> prompts(DecoderModel model, int n) {
        String[] words = "the miller walks along the bank to see how high the river runs and whether the wheel turns".split(" ");
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder q = new StringBuilder("Question " + i + ":");
            for (int w = 0; w < 4 + (i * 7) % 24; w++) {
                q.append(' ').append(words[(i + w) % words.length]);
            }
            prompts.add(model.encodeChat(List.of(new ChatMessage("user", q.toString()))));
        }
        return prompts;
    }

    private static void writeModel(Path dir, String shape) throws Exception {
        if (!Files.exists(dir.resolve("model.onnx"))) {
            TinyModel.write(dir, ModelShape.named(shape));
        }
    }
}
