package io.millrace.worker.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.worker.model.Completion;
import io.millrace.worker.model.SamplingParams;
import io.millrace.worker.model.TokenLogprob;
import io.millrace.worker.model.build.DynamicQuantizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The optional q8 part of {@code benchmarks/generation.sh --q8}: the benchmark model's q8 variant
 * ({@code model_quantized.onnx}, written by {@link DynamicQuantizer}), run by our batch engine and by
 * transformers.js with {@code dtype: "q8"} on the same file, compared on throughput and on greedy
 * tokens (against each other, and against our full-precision run: the quality drift).
 *
 * <pre>
 * quantize DIR                                                     writes DIR/model_quantized.onnx
 * compare --out Q8.json --fp32 R.json --fp32-tokens T.json --ours R.json --ours-tokens T.json
 *         --peer R.json --peer-tokens T.json                         prints and writes the comparison
 * </pre>
 */
public final class QuantizedComparison {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private QuantizedComparison() {}

    public static void main(String[] args) throws Exception {
        if (args.length >= 2 && args[0].equals("quantize")) {
            long start = System.nanoTime();
            Path written = DynamicQuantizer.quantize(Path.of(args[1]));
            System.out.printf(Locale.ROOT, "wrote %s (%.0f MB) in %.1f s%n", written, Files.size(written) / 1e6,
                    (System.nanoTime() - start) / 1e9);
        } else if (args.length >= 1 && args[0].equals("compare")) {
            compare(List.of(args).subList(1, args.length));
        } else {
            System.err.println("usage: QuantizedComparison quantize DIR | compare --out Q8.json --fp32 R.json --fp32-tokens T.json"
                    + " --ours R.json --ours-tokens T.json --peer R.json --peer-tokens T.json");
            System.exit(2);
        }
    }

    /** Greedy decoding that reports each chosen id (in its logprob entry), for {@code --tokens-out}. */
    static SamplingParams greedyWithIds(int newTokens) {
        return new SamplingParams(newTokens, 0, 1, 0, 0, 0, null, List.of(), true, 0, false);
    }

    /** {"tokens": [[ids of prompt 0], ...]}: the format bench.mjs --tokens-out writes too. */
    static void writeTokens(Path file, List<CompletableFuture<Completion>> completions) throws IOException, ExecutionException,
            InterruptedException {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode all = root.putArray("tokens");
        for (CompletableFuture<Completion> f : completions) {
            ArrayNode ids = all.addArray();
            for (TokenLogprob t : f.get().logprobs()) {
                ids.add(t.id());
            }
        }
        JSON.writeValue(file.toFile(), root);
    }

    private static void compare(List<String> args) throws IOException {
        Path out = Path.of(value(args, "--out"));
        JsonNode fp32 = read(value(args, "--fp32"));
        JsonNode ours = read(value(args, "--ours"));
        JsonNode peer = read(value(args, "--peer"));
        List<int[]> fp32Tokens = tokens(value(args, "--fp32-tokens"));
        List<int[]> oursTokens = tokens(value(args, "--ours-tokens"));
        List<int[]> peerTokens = tokens(value(args, "--peer-tokens"));
        TokenAgreement drift = TokenAgreement.of(fp32Tokens, oursTokens);
        TokenAgreement peerDrift = TokenAgreement.of(fp32Tokens, peerTokens);
        TokenAgreement agreement = TokenAgreement.of(peerTokens, oursTokens);
        ObjectNode report = JSON.createObjectNode();
        report.put("q8_vs_fp32_throughput", tps(ours) / tps(fp32));
        report.put("q8_vs_transformers_js_q8_throughput", tps(ours) / tps(peer));
        report.put("q8_vs_fp32_peak_rss", ours.path("peak_rss_bytes").asDouble() / fp32.path("peak_rss_bytes").asDouble());
        report.set("drift_ours_q8_vs_ours_fp32", JSON.valueToTree(drift));
        report.set("drift_transformers_js_q8_vs_ours_fp32", JSON.valueToTree(peerDrift));
        report.set("agreement_ours_q8_vs_transformers_js_q8", JSON.valueToTree(agreement));
        report.set("results", JSON.valueToTree(List.of(fp32, ours, peer)));
        System.out.printf(Locale.ROOT, "q8 (%s): %.1f tok/s, peak RSS %.0f MB; fp32 batch engine %.1f tok/s; transformers.js q8 (%s) %.1f tok/s%n",
                ours.path("mode").asText(), tps(ours), ours.path("peak_rss_bytes").asDouble() / (1 << 20), tps(fp32),
                peer.path("mode").asText(), tps(peer));
        System.out.printf(Locale.ROOT, "q8 vs fp32: throughput x%.2f; q8 vs transformers.js q8: throughput x%.2f%n",
                report.path("q8_vs_fp32_throughput").asDouble(), report.path("q8_vs_transformers_js_q8_throughput").asDouble());
        System.out.println("drift, our q8 vs our fp32: " + drift);
        System.out.println("drift, transformers.js q8 vs our fp32: " + peerDrift);
        System.out.println("agreement, our q8 vs transformers.js q8: " + agreement);
        JSON.writeValue(out.toFile(), report);
        System.out.println("q8 report: " + out);
    }

    private static double tps(JsonNode r) {
        return r.path("tokens_per_second").asDouble();
    }

    private static JsonNode read(String file) throws IOException {
        return JSON.readTree(Path.of(file).toFile());
    }

    private static List<int[]> tokens(String file) throws IOException {
        List<int[]> out = new ArrayList<>();
        for (JsonNode row : read(file).get("tokens")) {
            int[] ids = new int[row.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = row.get(i).asInt();
            }
            out.add(ids);
        }
        return out;
    }

    private static String value(List<String> args, String name) {
        int i = args.indexOf(name);
        if (i < 0 || i + 1 >= args.size()) {
            throw new IllegalArgumentException("compare needs " + name + " FILE");
        }
        return args.get(i + 1);
    }
}
