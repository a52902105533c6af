package io.millrace.worker.model.build;

import static io.millrace.worker.model.build.OnnxGraph.floatAttr;
import static io.millrace.worker.model.build.OnnxGraph.intAttr;
import static io.millrace.worker.model.build.OnnxGraph.intsAttr;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.Arrays;
import java.util.Random;

/**
 * Builds a GPT-2 decoder as an ONNX graph with the inputs and outputs of a Hugging Face Optimum
 * export ({@code input_ids, attention_mask, position_ids, past_key_values.i.key|value} in,
 * {@code logits, present.i.key|value} out), so one loader serves this model and exported ones.
 *
 * <p>Weights are drawn from {@link Random}, whose Gaussian sequence the JDK specifies exactly, so
 * the same seed gives the same bytes on every JVM. Embeddings are N(0, 0.02) as GPT-2 initializes
 * them, biases zero and layer norms unit; block matrices are ten times GPT-2's scale, N(0, 0.2).
 * At GPT-2's own scale the untrained blocks barely move the hidden state off the input embedding,
 * the tied output layer then predicts the input token again and greedy decoding repeats one token
 * forever; at 0.2 the logits depend on the context and the output varies.
 */
final class Gpt2GraphBuilder {
    /**
     * Model hyper-parameters, named as in GPT-2's config.json.
     *
     * @param zeroRowsFrom embedding rows from this id on (the special tokens) are zero; vocabSize for none
     */
    record Dimensions(int vocabSize, int nPositions, int nEmbd, int nLayer, int nHead, float layerNormEpsilon,
            int zeroRowsFrom) {
        Dimensions(int vocabSize, int nPositions, int nEmbd, int nLayer, int nHead, float layerNormEpsilon) {
            this(vocabSize, nPositions, nEmbd, nLayer, nHead, layerNormEpsilon, vocabSize);
        }

        int headDim() {
            return nEmbd / nHead;
        }
    }

    static final String BATCH = "batch_size";
    static final String SEQUENCE = "sequence_length";
    static final String PAST = "past_sequence_length";
    static final String TOTAL = "past_sequence_length + sequence_length";

    private static final float EMBEDDING_STD = 0.02f;
    private static final float BLOCK_STD = 0.2f;

    private final Dimensions d;
    private final Random random;
    private final OnnxGraph g;

    private Gpt2GraphBuilder(Dimensions d, long seed, OnnxGraph.ExternalData external) {
        if (d.nEmbd % d.nHead != 0) {
            throw new IllegalArgumentException("n_embd " + d.nEmbd + " is not a multiple of n_head " + d.nHead);
        }
        this.d = d;
        this.random = new Random(seed);
        this.g = new OnnxGraph("gpt2", external);
    }

    static OnnxMl.ModelProto build(Dimensions dimensions, long seed) {
        return new Gpt2GraphBuilder(dimensions, seed, null).build();
    }

    /** The same graph with its large weights streamed to {@code external} instead of kept in the graph. */
    static OnnxMl.ModelProto build(Dimensions dimensions, long seed, OnnxGraph.ExternalData external) {
        return new Gpt2GraphBuilder(dimensions, seed, external).build();
    }

    private OnnxMl.ModelProto build() {
        declareInputsAndOutputs();
        int e = d.nEmbd;
        float[] embeddings = gaussian(Math.multiplyExact(d.vocabSize, e), EMBEDDING_STD);
        Arrays.fill(embeddings, d.zeroRowsFrom * e, d.vocabSize * e, 0f);
        String wte = g.floats("transformer.wte.weight", embeddings, d.vocabSize, e);
        embeddings = null; // the largest tensor: let it go before the blocks are drawn
        String wpe = g.floats("transformer.wpe.weight", gaussian(d.nPositions * e, EMBEDDING_STD), d.nPositions, e);
        String h = g.node("Add", "/embeddings", new String[] {
            g.node("Gather", "/wte/out", new String[] {wte, "input_ids"}),
            g.node("Gather", "/wpe/out", new String[] {wpe, "position_ids"})});
        String allowed = g.attentionAllowed();
        for (int layer = 0; layer < d.nLayer; layer++) {
            h = block(layer, h, allowed);
        }
        h = layerNorm("transformer.ln_f", h);
        // Tied output embedding: logits = h · wteᵀ, reusing the one stored wte (ORT folds the Transpose).
        String wteT = g.node("Transpose", "/lm_head/wte_t", new String[] {wte}, intsAttr("perm", 1, 0));
        g.node("MatMul", "logits", new String[] {h, wteT});
        return g.toModel("millrace", "GPT-2 architecture with seeded random weights (Millrace built-in test model)");
    }

    private void declareInputsAndOutputs() {
        int i64 = DataType.INT64_VALUE;
        int f32 = DataType.FLOAT_VALUE;
        long heads = d.nHead;
        long headDim = d.headDim();
        g.input("input_ids", i64, BATCH, SEQUENCE);
        g.input("attention_mask", i64, BATCH, TOTAL);
        g.input("position_ids", i64, BATCH, SEQUENCE);
        for (int i = 0; i < d.nLayer; i++) {
            g.input("past_key_values." + i + ".key", f32, BATCH, heads, PAST, headDim);
            g.input("past_key_values." + i + ".value", f32, BATCH, heads, PAST, headDim);
        }
        g.output("logits", f32, BATCH, SEQUENCE, (long) d.vocabSize);
        for (int i = 0; i < d.nLayer; i++) {
            g.output("present." + i + ".key", f32, BATCH, heads, TOTAL, headDim);
            g.output("present." + i + ".value", f32, BATCH, heads, TOTAL, headDim);
        }
    }


    private String block(int layer, String h, String allowed) {
        String p = "transformer.h." + layer;
        int e = d.nEmbd;
        String x = layerNorm(p + ".ln_1", h);
        String qkv = linear(p + ".attn.c_attn", x, e, 3 * e);
        String[] qkvNames = {p + "/q", p + "/k", p + "/v"};
        g.nodes("Split", qkvNames, new String[] {qkv, g.longs(p + "/qkv_split", new long[] {e, e, e}, 3)}, intAttr("axis", 2));
        String q = splitHeads(qkvNames[0]);
        String k = splitHeads(qkvNames[1]);
        String v = splitHeads(qkvNames[2]);
        String keys = g.node("Concat", "present." + layer + ".key", new String[] {"past_key_values." + layer + ".key", k}, intAttr("axis", 2));
        String values = g.node("Concat", "present." + layer + ".value", new String[] {"past_key_values." + layer + ".value", v}, intAttr("axis", 2));

        String keysT = g.node("Transpose", p + "/keys_t", new String[] {keys}, intsAttr("perm", 0, 1, 3, 2));
        String scores = g.node("Mul", p + "/scores", new String[] {
            g.node("MatMul", p + "/qk", new String[] {q, keysT}),
            g.scalar(p + "/inv_sqrt_head_dim", (float) (1.0 / Math.sqrt(d.headDim())))});
        // The lowest float, not -inf: a fully masked row (a padding query) then softmaxes to uniform instead of NaN.
        String masked = g.node("Where", p + "/masked", new String[] {allowed, scores, g.scalar(p + "/lowest", -Float.MAX_VALUE)});
        String probs = g.node("Softmax", p + "/probs", new String[] {masked}, intAttr("axis", -1));
        String context = g.node("MatMul", p + "/context", new String[] {probs, values});
        String merged = g.node("Reshape", p + "/merged", new String[] {
            g.node("Transpose", p + "/context_t", new String[] {context}, intsAttr("perm", 0, 2, 1, 3)),
            g.longs(p + "/merged_shape", new long[] {0, 0, e}, 3)});
        h = g.node("Add", p + "/attn_residual", new String[] {h, linear(p + ".attn.c_proj", merged, e, e)});

        String x2 = layerNorm(p + ".ln_2", h);
        String fc = linear(p + ".mlp.c_fc", x2, e, 4 * e);
        String mlp = linear(p + ".mlp.c_proj", geluNew(p + "/gelu", fc), 4 * e, e);
        return g.node("Add", p + "/mlp_residual", new String[] {h, mlp});
    }

    /** [batch, seq, n_embd] → [batch, n_head, seq, head_dim]. */
    private String splitHeads(String x) {
        String reshaped = g.node("Reshape", x + "/heads", new String[] {
            x, g.longs(x + "/heads_shape", new long[] {0, 0, d.nHead, d.headDim()}, 4)});
        return g.node("Transpose", x + "/heads_t", new String[] {reshaped}, intsAttr("perm", 0, 2, 1, 3));
    }

    /** GPT-2's Conv1D: x · W + b with W stored [in, out]. */
    private String linear(String name, String x, int in, int out) {
        String w = g.floats(name + ".weight", gaussian(in * out, BLOCK_STD), in, out);
        String b = g.floats(name + ".bias", new float[out], out);
        return g.node("Add", name + "/out", new String[] {g.node("MatMul", name + "/matmul", new String[] {x, w}), b});
    }

    private String layerNorm(String name, String x) {
        float[] ones = new float[d.nEmbd];
        Arrays.fill(ones, 1f);
        String scale = g.floats(name + ".weight", ones, d.nEmbd);
        String bias = g.floats(name + ".bias", new float[d.nEmbd], d.nEmbd);
        return g.node("LayerNormalization", name + "/out", new String[] {x, scale, bias},
                intAttr("axis", -1), floatAttr("epsilon", d.layerNormEpsilon));
    }

    /** gelu_new = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), from primitive ops (no Gelu before opset 20). */
    private String geluNew(String p, String x) {
        String cube = g.node("Mul", p + "/cube", new String[] {x, g.node("Mul", p + "/square", new String[] {x, x})});
        String inner = g.node("Add", p + "/inner", new String[] {x, g.node("Mul", p + "/cubic_term", new String[] {cube, g.scalar(p + "/c", 0.044715f)})});
        String tanh = g.node("Tanh", p + "/tanh", new String[] {
            g.node("Mul", p + "/scaled", new String[] {inner, g.scalar(p + "/sqrt_2_over_pi", (float) Math.sqrt(2.0 / Math.PI))})});
        String onePlus = g.node("Add", p + "/one_plus", new String[] {tanh, g.scalar(p + "/one", 1f)});
        String halfX = g.node("Mul", p + "/half_x", new String[] {x, g.scalar(p + "/half", 0.5f)});
        return g.node("Mul", p + "/out", new String[] {halfX, onePlus});
    }

    private float[] gaussian(int n, float std) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextGaussian() * std);
        }
        return values;
    }
}
