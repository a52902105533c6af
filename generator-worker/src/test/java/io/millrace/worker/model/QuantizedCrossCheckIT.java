package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.millrace.worker.bench.TokenAgreement;
import io.millrace.worker.model.build.DynamicQuantizer;
import io.millrace.worker.model.build.TinyModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The q8 file {@link DynamicQuantizer} writes is one transformers.js loads with {@code dtype: "q8"}
 * from the Hub's layout ({@code onnx/model_quantized.onnx}), and its greedy tokens are ours.
 */
class QuantizedCrossCheckIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int NEW_TOKENS = 48;

    @TempDir
    static Path tmp;
    static DecoderModel q8;
    static List<int[]> prompts = new ArrayList<>();
    static List<int[]> theirs = new ArrayList<>();

    @BeforeAll
    static void runBothSides() throws Exception {
        Path crosscheck = NodeCrossCheck.dir();
        Path dir = tmp.resolve(TinyModel.NAME);
        TinyModel.write(dir);
        Files.createDirectories(dir.resolve("onnx"));
        Files.move(dir.resolve("model.onnx"), dir.resolve("onnx/model.onnx"));
        assertThat(DynamicQuantizer.quantize(dir)).isEqualTo(dir.resolve("onnx/model_quantized.onnx"));
        q8 = DecoderModel.load(dir, ModelVariant.Q8);

        ArrayNode spec = JSON.createArrayNode();
        for (String q : QuantizedModelTest.QUESTIONS) {
            int[] ids = q8.encodeChat(List.of(new ChatMessage("user", q)));
            prompts.add(ids);
            ArrayNode idArray = spec.addObject().put("max_new_tokens", NEW_TOKENS).putArray("ids");
            Arrays.stream(ids).forEach(idArray::add);
        }
        Path promptsFile = tmp.resolve("prompts.json");
        JSON.writeValue(promptsFile.toFile(), JSON.createObjectNode().set("prompts", spec));
        JsonNode results = NodeCrossCheck.run(crosscheck.resolve("greedy.mjs"), tmp, dir.toString(), promptsFile.toString(),
                "--dtype", "q8", "--subfolder", "onnx").get("results");
        for (JsonNode r : results) {
            int[] ids = new int[r.get("generated_ids").size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = r.get("generated_ids").get(i).asInt();
            }
            theirs.add(ids);
        }
        assertThat(theirs).hasSize(prompts.size());
    }

    @AfterAll
    static void close() {
        if (q8 != null) {
            q8.close();
        }
    }

    /**
     * One prompt at a time on both sides: the same file and the same input tensors. The picks agree
     * except where two candidates are nearly tied: our onnxruntime (Java 1.29) and transformers.js's
     * (onnxruntime-node 1.30) run the quantized operators with kernels that may round an activation
     * to a neighbouring int8 step, which moves a logit by about 1e-3 (the float model agrees exactly,
     * see {@link TransformersJsCrossCheckIT}). Measured on 2026-12: 11 of 12 prompts identical, the
     * other parting at its 20th token where our margin was 3.4e-3 on a logit spread of about 1. So:
     * each difference must be such a near tie (under 1% of the spread) in our own logits, and nearly
     * every prompt identical throughout.
     */
    @Test
    void greedyTokensAtBatchSizeOneAreTransformersJsQ8sUpToFloatTies() throws Exception {
        List<int[]> ours = new ArrayList<>();
        List<String> ties = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            int[] mine = QuantizedModelTest.greedyIds(q8, prompts.get(i), NEW_TOKENS);
            ours.add(mine);
            int[] other = theirs.get(i);
            int d = 0;
            while (d < mine.length && d < other.length && mine[d] == other[d]) {
                d++;
            }
            if (d == mine.length && d == other.length) {
                continue;
            }
            assertThat(d).as("prompt %d: one side stopped where the other went on", i).isLessThan(Math.min(mine.length, other.length));
            // Our logits at the first difference, on the context both sides shared up to there.
            int[] context = QuantizedModelTest.concat(prompts.get(i), Arrays.copyOf(mine, d));
            float[][] logits = QuantizedModelTest.logits(q8, context);
            float[] last = logits[logits.length - 1];
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (float v : last) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            float gap = last[mine[d]] - last[other[d]];
            ties.add(String.format(java.util.Locale.ROOT, "prompt %d token %d: %d vs %d, %.2e apart (spread %.2f)", i, d, mine[d],
                    other[d], gap, max - min));
            assertThat(gap).as("prompt %d token %d: our logit margin of %d over transformers.js's pick %d", i, d, mine[d], other[d])
                    .isBetween(0f, 0.01f * (max - min));
        }
        TokenAgreement agreement = TokenAgreement.of(theirs, ours);
        System.out.println("q8 at batch size 1, ours vs transformers.js: " + agreement + "; ties: " + ties);
        assertThat(agreement.identicalPrompts()).as("%s", agreement).isGreaterThanOrEqualTo(prompts.size() - 2);
    }

    /**
     * In a batch the activations of all rows share one quantization scale (DynamicQuantizeLinear
     * quantizes the whole tensor), so a row's logits move with its neighbours and q8 is not
     * batch-invariant as fp32 is: the batch engine agrees with batch size 1 only in part. Measured
     * here so that a change in the share is seen; the float model's batch invariance is asserted in
     * {@link TransformersJsCrossCheckIT}.
     */
    @Test
    void theBatchEngineAgreesInPartBecauseQuantizationScalesSpanTheBatch() throws Exception {
        List<CompletableFuture<Completion>> futures = new ArrayList<>();
        try (BatchEngine engine = new BatchEngine(q8, new EngineConfig(4, 64, 16, 0))) {
            for (int[] p : prompts) {
                futures.add(engine.submit(p, new SamplingParams(NEW_TOKENS, 0, 1, 0, 0, 0, null, List.of(), true, 0, false)));
            }
            List<int[]> ours = new ArrayList<>();
            for (CompletableFuture<Completion> f : futures) {
                ours.add(f.get(2, TimeUnit.MINUTES).logprobs().stream().mapToInt(TokenLogprob::id).toArray());
            }
            TokenAgreement agreement = TokenAgreement.of(theirs, ours);
            System.out.println("q8, batch engine (4 rows, prefill chunks of 16) vs transformers.js at batch size 1: " + agreement);
            assertThat(agreement.identicalTokens()).as("%s", agreement).isGreaterThanOrEqualTo(prompts.size());
        }
    }
}
