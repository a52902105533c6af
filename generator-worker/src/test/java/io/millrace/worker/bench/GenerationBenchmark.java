package io.millrace.worker.bench;

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
import io.millrace.worker.model.ModelShape;
import io.millrace.worker.model.ModelVariant;
import io.millrace.worker.model.SamplingParams;
import io.millrace.worker.model.SequentialEngine;
import io.millrace.worker.model.TinyModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The generation benchmark behind {@code benchmarks/generation.sh} (see docs/BENCHMARKS.md). Each step
 * is its own command so that each engine runs in a process of its own and its peak memory is its own:
 *
 * <pre>
 * write-model DIR [--shape gpt2-small]                       the seeded model (deterministic)
 * prompts DIR --prompts N --new-tokens M --out PROMPTS.json  the prompt ids every engine gets
 * run DIR PROMPTS.json --engine batch|sequential [--max-batch-size N] [--variant q8] [--tokens-out T.json] --out R.json
 * report --out REPORT.json RESULT.json...                    the table and the ratios
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
    private static final String CORPUS = "/io/millrace/worker/model/tiny-corpus.txt";

    private GenerationBenchmark() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage("no command");
        }
        List<String> rest = new ArrayList<>(List.of(args).subList(1, args.length));
        switch (args[0]) {
            case "write-model" -> writeModel(rest);
            case "prompts" -> prompts(rest);
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
                for (int i = 0; i < futures.size(); i++) {
                    Completion c = futures.get(i).get();
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
            }
            result.put("peak_rss_bytes", peakRssBytes());
            JSON.writeValue(out.toFile(), result);
            System.out.println(JSON.writeValueAsString(result));
        }
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
        List<JsonNode> results = new ArrayList<>();
        for (String file : args) {
            results.add(JSON.readTree(Path.of(file).toFile()));
        }
        JsonNode batch = find(results, "millrace BatchEngine");
        JsonNode sequential = find(results, "millrace SequentialEngine");
        JsonNode best = null;
        for (JsonNode r : results) {
            if (r.path("engine").asText().equals("transformers.js")
                    && (best == null || r.path("tokens_per_second").asDouble() > best.path("tokens_per_second").asDouble())) {
                best = r;
            }
        }
        System.out.printf(Locale.ROOT, "%-28s %-40s %10s %12s %12s %8s %10s%n", "engine", "mode", "tokens/s", "TTFT avg ms",
                "peak RSS MB", "wall s", "load avg");
        for (JsonNode r : results) {
            System.out.printf(Locale.ROOT, "%-28s %-40s %10.1f %12.0f %12.0f %8.1f %4.1f-%-4.1f%s%n", r.path("engine").asText(),
                    r.path("mode").asText(), r.path("tokens_per_second").asDouble(), r.path("ttft_avg_ms").asDouble(),
                    r.path("peak_rss_bytes").asDouble() / (1 << 20), r.path("wall_ms").asDouble() / 1000,
                    r.path("load_average_at_start").asDouble(), r.path("load_average_at_end").asDouble(),
                    r == best ? "  (best transformers.js)" : "");
        }
        ObjectNode report = JSON.createObjectNode();
        report.put("date", java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).toString());
        report.put("machine", machine);
        report.put("cpus", Runtime.getRuntime().availableProcessors());
        ObjectNode ratios = report.putObject("ratios");
        if (batch != null && sequential != null) {
            ratio(ratios, "batch_vs_sequential", batch, sequential);
        }
        if (batch != null && best != null) {
            ratio(ratios, "batch_vs_transformers_js", batch, best);
        }
        ratios.properties().forEach(e -> System.out.printf(Locale.ROOT, "%s: throughput x%.2f, TTFT x%.2f, peak RSS x%.2f%n",
                e.getKey(), e.getValue().path("tokens_per_second").asDouble(), e.getValue().path("ttft_avg").asDouble(),
                e.getValue().path("peak_rss").asDouble()));
        report.set("results", JSON.valueToTree(results));
        Files.createDirectories(out.toAbsolutePath().getParent());
        JSON.writeValue(out.toFile(), report);
        System.out.println("report: " + out);
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

    private static List<String> sentences() throws IOException {
        try (InputStream in = GenerationBenchmark.class.getResourceAsStream(CORPUS)) {
            if (in == null) {
                throw new IllegalStateException(CORPUS + " is missing from the classpath");
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("\r\n", "\n");
            List<String> sentences = new ArrayList<>();
            for (String s : text.split("(?<=[.?!])\\s+")) {
                if (!s.isBlank()) {
                    sentences.add(s.strip());
                }
            }
            return sentences;
        }
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
                + "  run DIR PROMPTS.json --engine batch|sequential [--max-batch-size N] [--variant q8] [--tokens-out T.json]"
                + " [--out RESULT.json]\n"
                + "  report [--out REPORT.json] [--machine TEXT] RESULT.json...");
        System.exit(2);
    }
}
