package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl;
import io.millrace.worker.bench.TokenAgreement;
import io.millrace.worker.model.build.DynamicQuantizer;
import io.millrace.worker.model.build.TinyModel;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The q8 variant of the built-in model: written by {@link DynamicQuantizer}, loaded by setting, generating. */
class QuantizedModelTest {
    /** Chat prompts the drift is measured over. */
    static final List<String> QUESTIONS = List.of("How does the mill work?", "Why is the river brown after a storm?",
            "What grinds the grain?", "And who opens the gate?", "The mill stands where the river bends",
            "Tell me about the wheel.", "Where does the flour go?", "farmer queue. book", "water stone.",
            "Is the miller awake at dawn?", "What does the gate keep out?", "Count the sacks by the door.");

    @TempDir
    static Path tmp;
    static Path dir;
    static DecoderModel full;
    static DecoderModel q8;

    @BeforeAll
    static void writeAndLoad() throws Exception {
        dir = tmp.resolve(TinyModel.NAME);
        TinyModel.write(dir);
        assertThat(DynamicQuantizer.quantize(dir)).isEqualTo(dir.resolve("model_quantized.onnx"));
        full = DecoderModel.load(dir);
        q8 = DecoderModel.load(dir, ModelVariant.Q8);
    }

    @AfterAll
    static void close() {
        full.close();
        q8.close();
    }

    @Test
    void theFileIsOnnxRuntimesDynamicQuantizationPattern() throws Exception {
        OnnxMl.ModelProto m;
        try (InputStream in = Files.newInputStream(dir.resolve("model_quantized.onnx"))) {
            m = OnnxMl.ModelProto.parseFrom(in);
        }
        Map<String, Long> ops = m.getGraph().getNodeList().stream()
                .collect(Collectors.groupingBy(OnnxMl.NodeProto::getOpType, Collectors.counting()));
        // Per layer: c_attn, attn c_proj, c_fc, mlp c_proj; plus the tied output layer.
        int matMuls = 2 * 4 + 1;
        assertThat(ops).containsEntry("MatMulInteger", (long) matMuls).containsEntry("DequantizeLinear", 2L);
        // Q·Kᵀ and probs·V read two activations: they stay float, as quantize_dynamic leaves them.
        assertThat(ops).containsEntry("MatMul", 2L * 2);
        assertThat(ops.get("DynamicQuantizeLinear")).isEqualTo(matMuls);
        Map<String, OnnxMl.TensorProto> init = m.getGraph().getInitializerList().stream()
                .collect(Collectors.toMap(OnnxMl.TensorProto::getName, Function.identity()));
        assertThat(init.get("transformer.h.0.attn.c_attn.weight_quantized").getDataType())
                .isEqualTo(OnnxMl.TensorProto.DataType.INT8_VALUE);
        assertThat(init.get("transformer.wte.weight_quantized").getDataType()).isEqualTo(OnnxMl.TensorProto.DataType.UINT8_VALUE);
        assertThat(init).doesNotContainKey("transformer.h.0.attn.c_attn.weight").doesNotContainKey("transformer.wte.weight");
        assertThat(Files.size(dir.resolve("model_quantized.onnx"))).isLessThan(Files.size(dir.resolve("model.onnx")) / 2);
    }

    @Test
    void theQuantizedBuiltInModelLoadsBySettingAndGenerates() {
        assertThat(q8.name()).isEqualTo("millrace-tiny-q8");
        assertThat(q8.variant()).isEqualTo(ModelVariant.Q8);
        int[] prompt = q8.encodeChat(List.of(new ChatMessage("user", QUESTIONS.get(0))));
        Completion c = q8.generate(prompt, SamplingParams.greedy(32));
        assertThat(c.completionTokens()).isPositive();
        assertThat(c.text()).isNotEmpty();
        // Deterministic at batch size 1, as float generation is.
        assertThat(q8.generate(prompt, SamplingParams.greedy(32)).text()).isEqualTo(c.text());
    }

    /**
     * Quality drift against full precision. The logits stay close (int8 weights, uint8 activations:
     * errors of a few hundredths against a spread of about one unit), and given the same context the
     * q8 model picks the fp32 model's token almost always; where two candidates are nearly tied,
     * quantization may swap them, and free-running continuations part from there.
     */
    @Test
    void q8DriftsLittleFromFullPrecision() throws Exception {
        List<int[]> prompts = QUESTIONS.stream().map(q -> full.encodeChat(List.of(new ChatMessage("user", q)))).toList();
        for (int[] p : prompts.subList(0, 3)) {
            float[] a = lastLogits(full, p);
            float[] b = lastLogits(q8, p);
            double maxDiff = 0;
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (int i = 0; i < a.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
                min = Math.min(min, a[i]);
                max = Math.max(max, a[i]);
            }
            assertThat(maxDiff).as("largest logit error against a spread of %.2f", max - min).isLessThan(0.05 * (max - min));
        }
        List<int[]> fullTokens = new ArrayList<>();
        List<int[]> q8Tokens = new ArrayList<>();
        for (int[] p : prompts) {
            fullTokens.add(greedyIds(full, p, 48));
            q8Tokens.add(greedyIds(q8, p, 48));
        }
        TokenAgreement drift = TokenAgreement.of(fullTokens, q8Tokens);
        // Teacher-forced: both models read the same text (prompt and fp32's continuation), so each
        // pick is compared on equal context and one swap does not decide every later comparison.
        long same = 0;
        long total = 0;
        for (int i = 0; i < prompts.size(); i++) {
            int[] context = concat(prompts.get(i), fullTokens.get(i));
            int[] a = argmaxes(full, context, prompts.get(i).length);
            int[] b = argmaxes(q8, context, prompts.get(i).length);
            for (int j = 0; j < a.length; j++) {
                same += a[j] == b[j] ? 1 : 0;
            }
            total += a.length;
        }
        double forced = (double) same / total;
        System.out.printf(java.util.Locale.ROOT, "q8 vs fp32, built-in model, %d prompts x 48 tokens: free-running %s;"
                + " teacher-forced %.1f%% of picks identical%n", prompts.size(), drift, 100 * forced);
        // Measured 93.0% teacher-forced and 28.9% free-running (2026-12): the seeded model's logits span
        // about one unit over 600 tokens, so near ties are common and one swap parts the continuations.
        assertThat(forced).as("teacher-forced agreement").isGreaterThan(0.85);
        assertThat(drift.identicalTokens()).as("q8 vs fp32: %s", drift).isGreaterThanOrEqualTo(prompts.size());
    }

    static int[] concat(int[] a, int[] b) {
        int[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** The argmax at each position from {@code from − 1} on: the pick for every token after the prompt. */
    static int[] argmaxes(DecoderModel m, int[] ids, int from) throws Exception {
        float[][] logits = logits(m, ids);
        int[] picks = new int[ids.length - from];
        for (int p = from - 1; p < ids.length - 1; p++) {
            int best = 0;
            for (int v = 1; v < logits[p].length; v++) {
                best = logits[p][v] > logits[p][best] ? v : best;
            }
            picks[p - from + 1] = best;
        }
        return picks;
    }

    static float[] lastLogits(DecoderModel m, int[] prompt) throws Exception {
        float[][] logits = logits(m, prompt);
        return logits[logits.length - 1];
    }

    /** The logits at every position of one forward pass over {@code ids}. */
    static float[][] logits(DecoderModel m, int[] ids) throws Exception {
        long[] x = java.util.Arrays.stream(ids).asLongStream().toArray();
        long[] mask = new long[x.length];
        long[] pos = new long[x.length];
        for (int i = 0; i < x.length; i++) {
            mask[i] = 1;
            pos[i] = i;
        }
        try (KvCache empty = m.session().emptyCache(1)) {
            DecoderSession.Step step = m.session().forward(new long[][] {x}, new long[][] {mask}, new long[][] {pos}, empty, true);
            try (KvCache c = step.cache()) {
                return step.logits()[0];
            }
        }
    }

    /** The greedy ids, end-of-sequence included (logprobs carry each chosen id). */
    static int[] greedyIds(DecoderModel m, int[] prompt, int maxNew) {
        Completion c = m.generate(prompt, new SamplingParams(maxNew, 0, 1, 0, 0, 0, null, List.of(), true, 0, false));
        return c.logprobs().stream().mapToInt(TokenLogprob::id).toArray();
    }
}
