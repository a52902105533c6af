package io.millrace.worker.bench;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.worker.model.BatchEngine;
import io.millrace.worker.model.ChatMessage;
import io.millrace.worker.model.Completion;
import io.millrace.worker.model.CompletionEngine;
import io.millrace.worker.model.DecoderModel;
import io.millrace.worker.model.EngineConfig;
import io.millrace.worker.model.EngineStats;
import io.millrace.worker.model.GemmCeiling;
import io.millrace.worker.model.ModelVariant;
import io.millrace.worker.model.SamplingParams;
import io.millrace.worker.model.SequentialEngine;
import io.millrace.worker.model.TokenTexts;
import io.millrace.worker.model.build.ModelShape;
import io.millrace.worker.model.build.TinyModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The generation benchmark behind {@code benchmarks/generation.sh} (see docs/BENCHMARKS.md). Each step
 * is its own command so that each engine runs in a process of its own and its peak memory is its own:
 *
 * <pre>
 * write-model DIR [--shape gpt2-small]                       the seeded model (deterministic)
 * prompts DIR --prompts N --new-tokens M --out PROMPTS.json  the prompt ids every engine gets
 * ceiling --out CEILING.json [--width 768]                  this machine's fp32 GEMM rate ({@link GemmCeiling})
 * run DIR PROMPTS.json --engine batch|sequential [--max-batch-size N] [--variant q8] [--tokens-out T.json] --out R.json
 * run DIR PROMPTS.json --engine plain --batch-size B --out R.json     peer (d), {@link PlainOrtLoop}
 * report --model DIR --ceiling CEILING.json --out REPORT.json RESULT.json...   the table and the ratios
 * </pre>
 *
 * <p>{@code run} loads the model, warms it up (one short greedy generation), then submits every prompt
 * at once (time 0) with greedy sampling of exactly M new tokens and waits for all. tokens/s = new
 * tokens / wall time; time to first token = from submission (queueing included, as vLLM's
 * time_to_first_token) to the first new token, averaged; peak memory = VmHWM of the process (heap,
 * onnxruntime's native memory and the mapped weights together). A completion that stops before M
 * tokens fails the run: the benchmark model's special tokens have zero embeddings, so greedy decoding
 * never picks an end-of-sequence token, and this check proves it did not.
 */
public final class GenerationBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private GenerationBenchmark() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage("no command");
        }
        List<String> rest = new ArrayList<>(List.of(args).subList(1, args.length));
        switch (args[0]) {
            case "write-model" -> writeModel(rest);
            case "prompts" -> prompts(rest);
            case "ceiling" -> ceiling(rest);
            case "run" -> run(rest);
            case "report" -> report(rest);
            default -> usage("unknown command " + args[0]);
        }
    }

    private static void writeModel(List<String> args) throws IOException {
        String shape = option(args, "--shape", ModelShape.GPT2_SMALL.name());
        Path dir = Path.of(single(args, "write-model DIR"));
        long start = System.nanoTime();
        TinyModel.write(dir, ModelShape.named(shape));
        System.out.printf(Locale.ROOT, "wrote the %s model to %s in %.1f s%n", shape, dir, seconds(System.nanoTime() - start));
    }

    /** The GEMM rate at a decode batch's rows (16), a large batch's (64) and a prefill chunk's (256). */
    private static void ceiling(List<String> args) throws Exception {
        int width = Integer.parseInt(option(args, "--width", "768"));
        Path out = Path.of(option(args, "--out", "ceiling.json"));
        ObjectNode result = JSON.createObjectNode();
        result.put("shape", "[rows x " + width + "] x [" + width + " x " + 4 * width + "], fp32 MatMul");
        result.put("load_average_at_start", loadAverage());
        ObjectNode rates = result.putObject("gflops_by_rows");
        GemmCeiling.measure(width, new int[] {16, 64, 256}, 2.0).forEach((rows, gflops) -> rates.put(rows.toString(), gflops));
        result.put("load_average_at_end", loadAverage());
        JSON.writeValue(out.toFile(), result);
        System.out.println(JSON.writeValueAsString(result));
    }

    /**
     * N chat prompts of one to four sentences of the built-in corpus each (a numbered user message, rendered with
     * the model's chat template and tokenized by its tokenizer), so prompt lengths vary as in a real batch.
     */
    private static void prompts(List<String> args) throws IOException {
        int n = Integer.parseInt(option(args, "--prompts", "64"));
        int newTokens = Integer.parseInt(option(args, "--new-tokens", "128"));
        Path out = Path.of(option(args, "--out", "prompts.json"));
        Path dir = Path.of(single(args, "prompts DIR"));
        List<String> sentences = sentences();
        ObjectNode root = JSON.createObjectNode();
        root.put("new_tokens", newTokens);
        try (DecoderModel model = DecoderModel.load(dir)) {
            JsonNode config = JSON.readTree(dir.resolve("config.json").toFile());
            root.put("pad_token_id", config.path("eos_token_id").asInt());
            ArrayNode prompts = root.putArray("prompts");
            for (int i = 0; i < n; i++) {
                // Numbered, so that no two prompts share more than their first few tokens: a prefix cache
                // cannot turn one prompt's prefill into another's.
                StringBuilder message = new StringBuilder("Request " + (i + 1) + ": ");
                int first = (i * 7) % sentences.size();
                for (int s = 0; s <= i % 4; s++) {
                    message.append(s == 0 ? "" : " ").append(sentences.get((first + s) % sentences.size()));
                }
                int[] ids = model.encodeChat(List.of(new ChatMessage("user", message.toString())));
                if (ids.length + newTokens > model.contextLength()) {
                    throw new IllegalStateException("prompt " + i + " does not leave room for " + newTokens + " tokens");
                }
                ArrayNode array = prompts.addObject().putArray("ids");
                for (int id : ids) {
                    array.add(id);
                }
            }
        }
        JSON.writeValue(out.toFile(), root);
        System.out.printf(Locale.ROOT, "wrote %d prompts (%d new tokens each) to %s%n", n, newTokens, out);
    }

    private static void run(List<String> args) throws Exception {
        String engineName = option(args, "--engine", "batch");
        int maxBatchSize = Integer.parseInt(option(args, "--max-batch-size", "0"));
        ModelVariant variant = ModelVariant.parse(option(args, "--variant", "fp32"));
        String tokensOut = option(args, "--tokens-out", null);
        int batchSize = Integer.parseInt(option(args, "--batch-size", "16"));
        Path out = Path.of(option(args, "--out", engineName + ".json"));
        if (args.size() != 2) {
            usage("run DIR PROMPTS.json --engine batch|sequential --out RESULT.json");
        }
        Path dir = Path.of(args.get(0));
        JsonNode spec = JSON.readTree(Path.of(args.get(1)).toFile());
        int newTokens = spec.get("new_tokens").asInt();
        List<int[]> prompts = new ArrayList<>();
        for (JsonNode p : spec.get("prompts")) {
            int[] ids = new int[p.get("ids").size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = p.get("ids").get(i).asInt();
            }
            prompts.add(ids);
        }
        if (engineName.equals("plain")) {
            runPlain(Path.of(args.get(0)), prompts, spec, batchSize, out);
            return;
        }
        SamplingParams greedy = tokensOut == null ? SamplingParams.greedy(newTokens) : QuantizedComparison.greedyWithIds(newTokens);

        long loadStart = System.nanoTime();
        try (DecoderModel model = DecoderModel.load(dir, variant)) {
            long loadNanos = System.nanoTime() - loadStart;
            ObjectNode result = JSON.createObjectNode();
            try (CompletionEngine engine = engine(engineName, model, maxBatchSize)) {
                // Warm-up: onnxruntime's first runs allocate and plan; not part of the measurement.
                int[] warmUp = new int[24];
                for (int i = 0; i < warmUp.length; i++) {
                    warmUp[i] = 'a' + i; // byte tokens: a prompt that shares no prefix with the measured ones
                }
                engine.submit(warmUp, SamplingParams.greedy(4)).get(10, TimeUnit.MINUTES);
                EngineStats before = engine.stats();

                result.put("load_average_at_start", loadAverage());
                long[] firstTokenAt = new long[prompts.size()];
                List<CompletableFuture<Completion>> futures = new ArrayList<>();
                long start = System.nanoTime();
                for (int i = 0; i < prompts.size(); i++) {
                    int index = i;
                    futures.add(engine.submit(prompts.get(i), greedy).whenComplete((c, e) -> {
                        if (c != null) {
                            // The completion's clocks share an origin: end - total + first = when its first token came.
                            firstTokenAt[index] = System.nanoTime() - c.totalNanos() + c.firstTokenNanos();
                        }
                    }));
                }
                CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(6, TimeUnit.HOURS);
                long wall = System.nanoTime() - start;

                long generated = 0;
                double ttftSum = 0;
                double serviceTtftSum = 0;
                ArrayNode texts = JSON.createArrayNode();
                for (int i = 0; i < futures.size(); i++) {
                    Completion c = futures.get(i).get();
                    texts.add(c.text());
                    if (c.completionTokens() != newTokens || !c.finishReason().equals("length")) {
                        throw new IllegalStateException("prompt " + i + " generated " + c.completionTokens() + " tokens (finish "
                                + c.finishReason() + "), expected " + newTokens + ": the comparison needs full-length completions");
                    }
                    generated += c.completionTokens();
                    ttftSum += Math.max(0, firstTokenAt[i] - start);
                    serviceTtftSum += c.firstTokenNanos();
                }
                if (tokensOut != null) {
                    QuantizedComparison.writeTokens(Path.of(tokensOut), futures);
                }
                EngineStats after = engine.stats();
                result.put("load_average_at_end", loadAverage());
                result.put("engine", engineName.equals("batch") ? "millrace BatchEngine" : "millrace SequentialEngine");
                result.put("mode", engineName.equals("batch")
                        ? "continuous batching, max " + (maxBatchSize > 0 ? maxBatchSize : EngineConfig.defaults().maxBatchSize()) + " sequences"
                        : "batch size 1, one request at a time");
                if (variant != ModelVariant.FP32) {
                    result.put("mode", result.path("mode").asText() + ", " + variant.dtype());
                }
                result.put("variant", variant.dtype());
                result.put("execution_provider", model.executionProvider());
                result.put("java_version", System.getProperty("java.version"));
                result.put("prompts", prompts.size());
                result.put("new_tokens", newTokens);
                result.put("generated_tokens", generated);
                result.put("prompt_tokens", prompts.stream().mapToLong(p -> p.length).sum());
                result.put("prompt_tokens_processed", after.promptTokens() - before.promptTokens());
                result.put("prefix_cache_hit_tokens", after.prefixCacheHits() - before.prefixCacheHits());
                result.put("load_ms", loadNanos / 1e6);
                result.put("wall_ms", wall / 1e6);
                result.put("tokens_per_second", generated / seconds(wall));
                result.put("ttft_avg_ms", ttftSum / prompts.size() / 1e6);
                result.put("engine_reported_ttft_avg_ms", serviceTtftSum / prompts.size() / 1e6);
                result.set("texts", texts);
            }
            result.put("peak_rss_bytes", peakRssBytes());
            JSON.writeValue(out.toFile(), result);
            System.out.println(JSON.writeValueAsString(result));
        }
    }

    /** Peer (d): {@link PlainOrtLoop} over static batches of {@code batchSize} prompts in order, measured as {@link #run} measures. */
    private static void runPlain(Path dir, List<int[]> prompts, JsonNode spec, int batchSize, Path out) throws Exception {
        int newTokens = spec.get("new_tokens").asInt();
        long pad = spec.get("pad_token_id").asLong();
        Set<Integer> eos = eosIds(dir);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long loadStart = System.nanoTime();
        ObjectNode result = JSON.createObjectNode();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
                OrtSession session = env.createSession(dir.resolve("model.onnx").toString(), options)) {
            long loadNanos = System.nanoTime() - loadStart;
            PlainOrtLoop loop = new PlainOrtLoop(session);
            loop.generate(prompts.subList(0, Math.min(batchSize, prompts.size())), 4, pad, () -> { });
            result.put("load_average_at_start", loadAverage());
            List<int[]> completions = new ArrayList<>();
            double ttftSum = 0;
            long start = System.nanoTime();
            for (int i = 0; i < prompts.size(); i += batchSize) {
                List<int[]> batch = prompts.subList(i, Math.min(i + batchSize, prompts.size()));
                long[] firstToken = new long[1];
                completions.addAll(List.of(loop.generate(batch, newTokens, pad, () -> firstToken[0] = System.nanoTime())));
                ttftSum += (double) (firstToken[0] - start) * batch.size();
            }
            long wall = System.nanoTime() - start;
            result.put("load_average_at_end", loadAverage());
            for (int i = 0; i < completions.size(); i++) {
                if (Arrays.stream(completions.get(i)).anyMatch(eos::contains)) {
                    throw new IllegalStateException("prompt " + i + " generated an end-of-sequence token: the comparison needs full-length completions");
                }
            }
            result.put("engine", "plain onnxruntime loop");
            result.put("mode", "static batches of " + batchSize + ", left padding");
            result.put("batch_size", batchSize);
            result.put("java_version", System.getProperty("java.version"));
            result.put("prompts", prompts.size());
            result.put("new_tokens", newTokens);
            result.put("generated_tokens", (long) prompts.size() * newTokens);
            result.put("prompt_tokens", prompts.stream().mapToLong(p -> p.length).sum());
            result.put("load_ms", loadNanos / 1e6);
            result.put("wall_ms", wall / 1e6);
            result.put("tokens_per_second", (double) prompts.size() * newTokens / seconds(wall));
            result.put("ttft_avg_ms", ttftSum / prompts.size() / 1e6);
            result.set("completions", JSON.valueToTree(completions));
        }
        result.put("peak_rss_bytes", peakRssBytes());
        JSON.writeValue(out.toFile(), result);
        System.out.println(JSON.writeValueAsString(result));
    }

    /** The end-of-sequence ids of config.json and generation_config.json. */
    private static Set<Integer> eosIds(Path dir) throws IOException {
        Set<Integer> ids = new HashSet<>();
        for (String file : new String[] {"config.json", "generation_config.json"}) {
            Path path = dir.resolve(file);
            if (Files.isRegularFile(path)) {
                JsonNode eos = JSON.readTree(path.toFile()).path("eos_token_id");
                if (eos.isArray()) {
                    eos.forEach(id -> ids.add(id.asInt()));
                } else if (eos.isNumber()) {
                    ids.add(eos.asInt());
                }
            }
        }
        return ids;
    }

    private static CompletionEngine engine(String name, DecoderModel model, int maxBatchSize) {
        return switch (name) {
            case "sequential" -> new SequentialEngine(model);
            case "batch" -> batchEngine(model, maxBatchSize);
            default -> throw new IllegalArgumentException("unknown engine " + name + ": use batch or sequential");
        };
    }

    private static CompletionEngine batchEngine(DecoderModel model, int maxBatchSize) {
        EngineConfig d = EngineConfig.defaults();
        if (maxBatchSize <= 0) {
            return new BatchEngine(model, d);
        }
        return new BatchEngine(model, new EngineConfig(maxBatchSize, Math.max(d.maxBatchTokens(), maxBatchSize),
                d.prefillChunk(), d.prefixCacheBytes()));
    }

    /** Prints the comparison of the results given and writes them, with the ratios, to one report. */
    private static void report(List<String> args) throws IOException {
        Path out = Path.of(option(args, "--out", "report.json"));
        String machine = option(args, "--machine", "");
        Path modelDir = Path.of(option(args, "--model", "model"));
        String ceilingFile = option(args, "--ceiling", "");
        List<JsonNode> results = new ArrayList<>();
        for (String file : args) {
            results.add(JSON.readTree(Path.of(file).toFile()));
        }
        JsonNode ceiling = ceilingFile.isEmpty() ? null : JSON.readTree(Path.of(ceilingFile).toFile());
        double peak = 0;
        if (ceiling != null) {
            for (JsonNode rate : ceiling.path("gflops_by_rows")) {
                peak = Math.max(peak, rate.asDouble());
            }
        }
        ModelFlops flops = ModelFlops.read(modelDir.resolve("config.json"));
        JsonNode batch = find(results, "millrace BatchEngine");
        JsonNode sequential = find(results, "millrace SequentialEngine");
        JsonNode bestJs = best(results, "transformers.js");
        JsonNode bestPlain = best(results, "plain onnxruntime loop");
        List<String> reference = batch == null ? null : texts(batch, modelDir);
        for (JsonNode r : results) {
            ObjectNode o = (ObjectNode) r;
            double gflops = flops.useful(r.path("prompt_tokens").asLong(), r.path("generated_tokens").asLong())
                    / (r.path("wall_ms").asDouble() / 1000) / 1e9;
            o.put("gflops", gflops);
            if (peak > 0) {
                o.put("ceiling_share", gflops / peak);
            }
            if (reference != null && r != batch) {
                List<String> texts = texts(r, modelDir);
                int same = 0;
                for (int i = 0; i < Math.min(texts.size(), reference.size()); i++) {
                    same += texts.get(i).equals(reference.get(i)) ? 1 : 0;
                }
                o.put("completions_identical_to_batch", same);
            }
            o.remove("completions");
        }
        if (ceiling != null) {
            System.out.printf(Locale.ROOT, "ceiling: %s: %s GFLOP/s by rows (load avg %.1f-%.1f)%n", ceiling.path("shape").asText(),
                    ceiling.path("gflops_by_rows").toString(), ceiling.path("load_average_at_start").asDouble(),
                    ceiling.path("load_average_at_end").asDouble());
        }
        System.out.printf(Locale.ROOT, "useful work: %.1f MFLOP per token through the blocks + %.1f MFLOP per sampled token (lm_head)%n",
                flops.perBlockToken() / 1e6, flops.perSampledToken() / 1e6);
        System.out.printf(Locale.ROOT, "%-28s %-40s %9s %8s %7s %11s %11s %7s %10s %6s%n", "engine", "mode", "tokens/s", "GFLOP/s",
                "%ceil", "TTFT avg ms", "peak RSS MB", "wall s", "load avg", "same");
        for (JsonNode r : results) {
            System.out.printf(Locale.ROOT, "%-28s %-40s %9.1f %8.1f %6.1f%% %11.0f %11.0f %7.1f %4.1f-%-4.1f %6s%s%n",
                    r.path("engine").asText(), r.path("mode").asText(), r.path("tokens_per_second").asDouble(),
                    r.path("gflops").asDouble(), 100 * r.path("ceiling_share").asDouble(), r.path("ttft_avg_ms").asDouble(),
                    r.path("peak_rss_bytes").asDouble() / (1 << 20), r.path("wall_ms").asDouble() / 1000,
                    r.path("load_average_at_start").asDouble(), r.path("load_average_at_end").asDouble(),
                    r.has("completions_identical_to_batch") ? r.path("completions_identical_to_batch").asInt() + "/" + r.path("prompts").asInt() : "",
                    r == bestJs || r == bestPlain ? "  (best " + r.path("engine").asText() + ")" : "");
        }
        ObjectNode report = JSON.createObjectNode();
        report.put("date", java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).toString());
        report.put("machine", machine);
        report.put("cpus", Runtime.getRuntime().availableProcessors());
        if (ceiling != null) {
            report.set("ceiling", ceiling);
        }
        ObjectNode ratios = report.putObject("ratios");
        if (batch != null && sequential != null) {
            ratio(ratios, "batch_vs_sequential", batch, sequential);
        }
        if (batch != null && bestJs != null) {
            ratio(ratios, "batch_vs_transformers_js", batch, bestJs);
        }
        if (batch != null && bestPlain != null) {
            ratio(ratios, "batch_vs_plain_loop", batch, bestPlain);
        }
        ratios.properties().forEach(e -> System.out.printf(Locale.ROOT, "%s: throughput x%.2f, TTFT x%.2f, peak RSS x%.2f%n",
                e.getKey(), e.getValue().path("tokens_per_second").asDouble(), e.getValue().path("ttft_avg").asDouble(),
                e.getValue().path("peak_rss").asDouble()));
        report.set("results", JSON.valueToTree(results));
        Files.createDirectories(out.toAbsolutePath().getParent());
        JSON.writeValue(out.toFile(), report);
        System.out.println("report: " + out);
    }

    /**
     * The useful floating-point work of generation, counted as 2 FLOP per multiply-add of the
     * weight matrices: every prompt and new token passes the blocks (q, k, v, attention output and
     * the two MLP products: 12·E² multiply-adds per layer), and only tokens that are sampled need
     * the output layer (E·V). The attention products over the cached positions (2·E per position
     * and layer, about 3% at these lengths) are left out, as are prompt logits an engine computes
     * but does not need: they count against its rate.
     */
    private record ModelFlops(double perBlockToken, double perSampledToken) {
        static ModelFlops read(Path config) throws IOException {
            JsonNode c = JSON.readTree(config.toFile());
            double e = c.path("n_embd").asDouble();
            return new ModelFlops(2 * c.path("n_layer").asDouble() * 12 * e * e, 2 * e * c.path("vocab_size").asDouble());
        }

        double useful(long promptTokens, long generatedTokens) {
            return (promptTokens + generatedTokens) * perBlockToken + generatedTokens * perSampledToken;
        }
    }

    /** A result's completions as text: Millrace's engines report text, the others token ids. */
    private static List<String> texts(JsonNode result, Path modelDir) {
        List<String> texts = new ArrayList<>();
        if (result.has("texts")) {
            result.get("texts").forEach(t -> texts.add(t.asText()));
            return texts;
        }
        List<int[]> ids = new ArrayList<>();
        for (JsonNode completion : result.path("completions")) {
            int[] row = new int[completion.size()];
            for (int i = 0; i < row.length; i++) {
                row[i] = completion.get(i).asInt();
            }
            ids.add(row);
        }
        return TokenTexts.decode(modelDir, ids);
    }

    private static JsonNode best(List<JsonNode> results, String engine) {
        JsonNode best = null;
        for (JsonNode r : results) {
            if (r.path("engine").asText().equals(engine)
                    && (best == null || r.path("tokens_per_second").asDouble() > best.path("tokens_per_second").asDouble())) {
                best = r;
            }
        }
        return best;
    }

    private static void ratio(ObjectNode ratios, String name, JsonNode a, JsonNode b) {
        ObjectNode r = ratios.putObject(name);
        r.put("tokens_per_second", a.path("tokens_per_second").asDouble() / b.path("tokens_per_second").asDouble());
        r.put("ttft_avg", a.path("ttft_avg_ms").asDouble() / b.path("ttft_avg_ms").asDouble());
        r.put("peak_rss", a.path("peak_rss_bytes").asDouble() / b.path("peak_rss_bytes").asDouble());
    }

    private static JsonNode find(List<JsonNode> results, String engine) {
        return results.stream().filter(r -> r.path("engine").asText().equals(engine)).findFirst().orElse(null);
    }

    /** The 1-minute load average: above the CPU count, something else competed for the CPUs. -1 off Linux. */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** VmHWM: the process's peak resident set, heap and native memory and mapped files alike; -1 off Linux. */
    static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    private static List<String> sentences() {
        List<String> sentences = new ArrayList<>();
        for (String s : TinyModel.corpus().split("(?<=[.?!])\\s+")) {
            if (!s.isBlank()) {
                sentences.add(s.strip());
            }
        }
        return sentences;
    }

    private static String option(List<String> args, String name, String fallback) {
        int i = args.indexOf(name);
        if (i < 0) {
            return fallback;
        }
        if (i + 1 >= args.size()) {
            usage(name + " needs a value");
        }
        String value = args.get(i + 1);
        args.remove(i + 1);
        args.remove(i);
        return value;
    }

    private static String single(List<String> args, String usage) {
        if (args.size() != 1) {
            usage(usage);
        }
        return args.get(0);
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    private static void usage(String problem) {
        System.err.println("GenerationBenchmark: " + problem + "\nusage:\n"
                + "  write-model DIR [--shape tiny|gpt2-small]\n"
                + "  prompts DIR [--prompts 64] [--new-tokens 128] [--out PROMPTS.json]\n"
                + "  ceiling [--width 768] [--out CEILING.json]\n"
                + "  run DIR PROMPTS.json --engine batch|sequential|plain [--max-batch-size N] [--batch-size B] [--variant q8]"
                + " [--tokens-out T.json] [--out RESULT.json]\n"
                + "  report --model DIR [--ceiling CEILING.json] [--out REPORT.json] [--machine TEXT] RESULT.json...");
        System.exit(2);
    }
}
