package io.millrace.worker.model.build;

import static io.millrace.worker.model.build.OnnxGraph.intAttr;
import static io.millrace.worker.model.build.OnnxGraph.intsAttr;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.platform.Fp16Conversions;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

/**
 * Builds a Llama-architecture decoder (RMSNorm, rotary position embeddings, grouped-query
 * attention, SwiGLU MLP, untied lm_head) as an ONNX graph with the interface of a Hugging Face
 * Optimum export, in the layouts of {@link LlamaVariant}: what the loader must handle beyond GPT-2.
 *
 * <p>The fp16 layout stores its weights, past/present and logits as float16, as an fp16 export
 * does, but computes in float32 between casts: onnxruntime's CPU provider lacks float16 kernels
 * for several ops here, and the interface, not the arithmetic, is what the loader sees. Keys and
 * values are rounded to float16 before attention reads them, so a cached decode and a full
 * recompute see the same keys.
 *
 * <p>Weights are N(0, 0.2) from a seeded {@link Random} (embeddings N(0, 0.02), norms one), large
 * enough that an untrained model's output depends on its context, as in {@link Gpt2GraphBuilder}.
 */
final class LlamaGraphBuilder {
    /** Hyper-parameters, named as in Llama's config.json. */
    record Dimensions(int vocabSize, int hiddenSize, int intermediateSize, int numLayers, int numHeads, int numKvHeads,
            float rmsNormEps, float ropeTheta) {
        Dimensions {
            if (hiddenSize % numHeads != 0 || numHeads % numKvHeads != 0 || (hiddenSize / numHeads) % 2 != 0) {
                throw new IllegalArgumentException("hidden_size " + hiddenSize + " / num_attention_heads " + numHeads
                        + " must be an even head size, and a multiple of num_key_value_heads " + numKvHeads);
            }
        }

        int headDim() {
            return hiddenSize / numHeads;
        }
    }

    private static final String BATCH = Gpt2GraphBuilder.BATCH;
    private static final String SEQUENCE = Gpt2GraphBuilder.SEQUENCE;
    private static final String PAST = Gpt2GraphBuilder.PAST;
    private static final String TOTAL = Gpt2GraphBuilder.TOTAL;
    private static final float EMBEDDING_STD = 0.02f;
    private static final float BLOCK_STD = 0.2f;

    private final Dimensions d;
    private final LlamaVariant v;
    private final Random random;
    private final OnnxGraph g = new OnnxGraph("llama");
    private final int kvType;
    /** Weights written as float32 by {@link OnnxGraph} and converted to float16 once the graph is built. */
    private final Set<String> fp16Weights = new HashSet<>();

    private LlamaGraphBuilder(Dimensions d, LlamaVariant v, long seed) {
        this.d = d;
        this.v = v;
        this.random = new Random(seed);
        this.kvType = v.fp16() ? DataType.FLOAT16_VALUE : DataType.FLOAT_VALUE;
    }

    static OnnxMl.ModelProto build(Dimensions dimensions, LlamaVariant variant, long seed) {
        return new LlamaGraphBuilder(dimensions, variant, seed).build();
    }

    private OnnxMl.ModelProto build() {
        declareInputsAndOutputs();
        String h = g.node("Gather", "/embed/out", new String[] {
            weight("model.embed_tokens.weight", gaussian(d.vocabSize * d.hiddenSize, EMBEDDING_STD), d.vocabSize, d.hiddenSize),
            "input_ids"});
        String[] cosSin = rotary(positions());
        String allowed = g.attentionAllowed();
        String[] pasts = pasts();
        for (int layer = 0; layer < d.numLayers; layer++) {
            h = layer(layer, h, cosSin, allowed, pasts);
        }
        h = rmsNorm("model.norm", h);
        String logits = linear("lm_head", h, d.hiddenSize, d.vocabSize, false);
        toKvType(logits, "logits");
        return toFp16(g.toModel("millrace", "Llama architecture with seeded random weights (Millrace test model, "
                + v.name() + ")"));
    }

    private void declareInputsAndOutputs() {
        int i64 = DataType.INT64_VALUE;
        long kvHeads = d.numKvHeads;
        long headDim = d.headDim();
        g.input("input_ids", i64, BATCH, SEQUENCE);
        g.input("attention_mask", i64, BATCH, TOTAL);
        if (v.positionIds()) {
            g.input("position_ids", i64, BATCH, SEQUENCE);
        }
        for (int i = 0; i < d.numLayers; i++) {
            g.input("past_key_values." + i + ".key", kvType, BATCH, kvHeads, PAST, headDim);
            g.input("past_key_values." + i + ".value", kvType, BATCH, kvHeads, PAST, headDim);
        }
        if (v.merged()) {
            g.input("use_cache_branch", DataType.BOOL_VALUE, 1L);
        }
        g.output("logits", kvType, BATCH, SEQUENCE, (long) d.vocabSize);
        for (int i = 0; i < d.numLayers; i++) {
            g.output("present." + i + ".key", kvType, BATCH, kvHeads, TOTAL, headDim);
            g.output("present." + i + ".value", kvType, BATCH, kvHeads, TOTAL, headDim);
        }
    }

    /** position_ids, or where the export has none, attention_mask's cumulative sum − 1 over this step's tokens (as transformers computes them). */
    private String positions() {
        if (v.positionIds()) {
            return "position_ids";
        }
        String counted = g.node("Sub", "/pos/all", new String[] {
            g.node("CumSum", "/pos/cumsum", new String[] {"attention_mask", g.scalar("/pos/axis", 1L)}),
            g.scalar("/pos/one", 1L)});
        String seqLen = g.node("Slice", "/pos/seq_len", new String[] {
            g.node("Shape", "/pos/ids_shape", new String[] {"input_ids"}),
            g.longs("/pos/s1", new long[] {1}, 1), g.longs("/pos/s2", new long[] {2}, 1)});
        return g.node("Slice", "/pos/ids", new String[] {counted, g.node("Neg", "/pos/from", new String[] {seqLen}),
            g.longs("/pos/end", new long[] {Long.MAX_VALUE}, 1), g.longs("/pos/axes", new long[] {1}, 1)});
    }

    /** cos and sin of position·θ^(−2i/head_dim), [batch, 1, seq, head_dim], each frequency twice (Llama's rotate_half layout). */
    private String[] rotary(String positions) {
        int half = d.headDim() / 2;
        float[] invFreq = new float[half];
        for (int i = 0; i < half; i++) {
            invFreq[i] = (float) (1.0 / Math.pow(d.ropeTheta, 2.0 * i / d.headDim()));
        }
        String pos = g.node("Unsqueeze", "/rope/pos", new String[] {
            g.node("Cast", "/rope/pos_f", new String[] {positions}, intAttr("to", DataType.FLOAT_VALUE)),
            g.longs("/rope/axis2", new long[] {2}, 1)});
        String freqs = g.node("Mul", "/rope/freqs", new String[] {pos, g.floats("/rope/inv_freq", invFreq, half)});
        String emb = g.node("Unsqueeze", "/rope/emb", new String[] {
            g.node("Concat", "/rope/emb_flat", new String[] {freqs, freqs}, intAttr("axis", -1)),
            g.longs("/rope/axis1", new long[] {1}, 1)});
        return new String[] {g.node("Cos", "/rope/cos", new String[] {emb}), g.node("Sin", "/rope/sin", new String[] {emb})};
    }


    /**
     * The past each layer attends over. A merged export chooses it with an If on use_cache_branch,
     * as Optimum's merged decoder chooses between its with-past and without-past subgraphs: without
     * the cache branch the past inputs are ignored (cut to length 0).
     */
    private String[] pasts() {
        String[] names = new String[2 * d.numLayers];
        for (int t = 0; t < names.length; t++) {
            names[t] = "past_key_values." + t / 2 + (t % 2 == 0 ? ".key" : ".value");
        }
        if (!v.merged()) {
            return names;
        }
        OnnxGraph withCache = new OnnxGraph("with_past");
        OnnxGraph noCache = new OnnxGraph("without_past");
        String[] chosen = new String[names.length];
        String zero = noCache.longs("/no_cache/zero", new long[] {0}, 1);
        String axis = noCache.longs("/no_cache/axis", new long[] {2}, 1);
        for (int t = 0; t < names.length; t++) {
            chosen[t] = "/past_used/" + t;
            branchOutput(withCache, withCache.node("Identity", "/with_cache/" + t, new String[] {names[t]}));
            branchOutput(noCache, noCache.node("Slice", "/no_cache/" + t, new String[] {names[t], zero, zero, axis}));
        }
        g.nodes("If", chosen, new String[] {"use_cache_branch"},
                graphAttr("then_branch", withCache), graphAttr("else_branch", noCache));
        return chosen;
    }

    private void branchOutput(OnnxGraph branch, String name) {
        branch.output(name, kvType, BATCH, (long) d.numKvHeads, PAST, (long) d.headDim());
    }

    private static AttributeProto graphAttr(String name, OnnxGraph branch) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.GRAPH)
                .setG(branch.toModel("millrace", "").getGraph()).build();
    }

    private String layer(int layer, String h, String[] cosSin, String allowed, String[] pasts) {
        String p = "model.layers." + layer;
        int kvWidth = d.numKvHeads * d.headDim();
        String x = rmsNorm(p + ".input_layernorm", h);
        String q = rope(p + "/q", heads(p + "/q", linear(p + ".self_attn.q_proj", x, d.hiddenSize, d.hiddenSize, v.qkvBias()), d.numHeads), cosSin);
        String k = rope(p + "/k", heads(p + "/k", linear(p + ".self_attn.k_proj", x, d.hiddenSize, kvWidth, v.qkvBias()), d.numKvHeads), cosSin);
        String vals = heads(p + "/v", linear(p + ".self_attn.v_proj", x, d.hiddenSize, kvWidth, v.qkvBias()), d.numKvHeads);
        String keys = fromKvType(g.node("Concat", "present." + layer + ".key", new String[] {pasts[2 * layer], toKvType(k, p + "/k_kv")},
                intAttr("axis", 2)));
        String values = fromKvType(g.node("Concat", "present." + layer + ".value", new String[] {pasts[2 * layer + 1], toKvType(vals, p + "/v_kv")},
                intAttr("axis", 2)));
        keys = repeatKv(p + "/k", keys);
        values = repeatKv(p + "/v", values);

        String scores = g.node("Mul", p + "/scores", new String[] {
            g.node("MatMul", p + "/qk", new String[] {q, g.node("Transpose", p + "/k_t", new String[] {keys}, intsAttr("perm", 0, 1, 3, 2))}),
            g.scalar(p + "/scale", (float) (1.0 / Math.sqrt(d.headDim())))});
        // The lowest float, not -inf: a fully masked row (a padding query) then softmaxes to uniform instead of NaN.
        String masked = g.node("Where", p + "/masked", new String[] {allowed, scores, g.scalar(p + "/lowest", -Float.MAX_VALUE)});
        String probs = g.node("Softmax", p + "/probs", new String[] {masked}, intAttr("axis", -1));
        String context = g.node("Reshape", p + "/merged", new String[] {
            g.node("Transpose", p + "/context_t", new String[] {g.node("MatMul", p + "/context", new String[] {probs, values})},
                intsAttr("perm", 0, 2, 1, 3)),
            g.longs(p + "/merged_shape", new long[] {0, 0, d.hiddenSize}, 3)});
        h = g.node("Add", p + "/attn_residual", new String[] {h, linear(p + ".self_attn.o_proj", context, d.hiddenSize, d.hiddenSize, false)});

        String x2 = rmsNorm(p + ".post_attention_layernorm", h);
        String gate = linear(p + ".mlp.gate_proj", x2, d.hiddenSize, d.intermediateSize, false);
        String up = linear(p + ".mlp.up_proj", x2, d.hiddenSize, d.intermediateSize, false);
        String silu = g.node("Mul", p + "/silu", new String[] {gate, g.node("Sigmoid", p + "/gate_sigmoid", new String[] {gate})});
        String down = linear(p + ".mlp.down_proj", g.node("Mul", p + "/swiglu", new String[] {silu, up}), d.intermediateSize, d.hiddenSize, false);
        return g.node("Add", p + "/mlp_residual", new String[] {h, down});
    }

    /** [batch, seq, n·head_dim] → [batch, n, seq, head_dim]. */
    private String heads(String p, String x, int n) {
        String reshaped = g.node("Reshape", p + "/heads", new String[] {x, g.longs(p + "/heads_shape", new long[] {0, 0, n, d.headDim()}, 4)});
        return g.node("Transpose", p + "/heads_t", new String[] {reshaped}, intsAttr("perm", 0, 2, 1, 3));
    }

    /** x·cos + rotate_half(x)·sin, rotate_half(x) = [−x₂, x₁] over the halves of head_dim. */
    private String rope(String p, String x, String[] cosSin) {
        int half = d.headDim() / 2;
        String[] halves = {p + "/x1", p + "/x2"};
        g.nodes("Split", halves, new String[] {x, g.longs(p + "/halves", new long[] {half, half}, 2)}, intAttr("axis", -1));
        String rotated = g.node("Concat", p + "/rotated", new String[] {g.node("Neg", p + "/neg_x2", new String[] {halves[1]}), halves[0]},
                intAttr("axis", -1));
        return g.node("Add", p + "/rope", new String[] {
            g.node("Mul", p + "/x_cos", new String[] {x, cosSin[0]}),
            g.node("Mul", p + "/rot_sin", new String[] {rotated, cosSin[1]})});
    }

    /** Grouped-query attention: each of the kv heads serves heads/kv_heads query heads, [b, kv, t, d] → [b, heads, t, d]. */
    private String repeatKv(String p, String x) {
        String expanded = g.node("Expand", p + "/repeat", new String[] {
            g.node("Unsqueeze", p + "/group", new String[] {x, g.longs(p + "/axis2", new long[] {2}, 1)}),
            g.longs(p + "/repeat_shape", new long[] {1, 1, d.numHeads / d.numKvHeads, 1, 1}, 5)});
        return g.node("Reshape", p + "/repeated", new String[] {expanded, g.longs(p + "/repeated_shape", new long[] {0, d.numHeads, -1, d.headDim()}, 4)});
    }

    /** x·W (+ b), W stored [in, out] as an export folds the transposed torch weight. */
    private String linear(String name, String x, int in, int out, boolean bias) {
        String y = g.node("MatMul", name + "/matmul", new String[] {x, weight(name + ".weight", gaussian(in * out, BLOCK_STD), in, out)});
        return bias ? g.node("Add", name + "/out", new String[] {y, weight(name + ".bias", gaussian(out, BLOCK_STD), out)}) : y;
    }

    /** x / √(mean(x²) + ε) · w, in float32 as transformers computes it. */
    private String rmsNorm(String name, String x) {
        float[] ones = new float[d.hiddenSize];
        Arrays.fill(ones, 1f);
        String meanSquare = g.node("ReduceMean", name + "/mean_square", new String[] {g.node("Mul", name + "/square", new String[] {x, x})},
                intsAttr("axes", -1), intAttr("keepdims", 1));
        String rms = g.node("Sqrt", name + "/rms", new String[] {g.node("Add", name + "/var_eps", new String[] {meanSquare, g.scalar(name + "/eps", d.rmsNormEps)})});
        String normed = g.node("Div", name + "/normed", new String[] {x, rms});
        return g.node("Mul", name + "/out", new String[] {normed, weight(name + ".weight", ones, d.hiddenSize)});
    }

    /** A weight initializer as float32 for the graph: stored float16 (and cast up) in the fp16 layout. */
    private String weight(String name, float[] data, long... dims) {
        g.floats(name, data, dims);
        if (!v.fp16()) {
            return name;
        }
        fp16Weights.add(name);
        return g.node("Cast", name + "/f32", new String[] {name}, intAttr("to", DataType.FLOAT_VALUE));
    }

    /** Casts a float32 value to the interface type (float16 in the fp16 layout), named {@code output}. */
    private String toKvType(String x, String output) {
        return g.node(v.fp16() ? "Cast" : "Identity", output, new String[] {x}, v.fp16() ? new AttributeProto[] {intAttr("to", kvType)}
                : new AttributeProto[0]);
    }

    private String fromKvType(String x) {
        return v.fp16() ? g.node("Cast", x + "/f32", new String[] {x}, intAttr("to", DataType.FLOAT_VALUE)) : x;
    }

    /** Rewrites the float16 weights' float32 initializers as float16 ones (IEEE half, little-endian raw data). */
    private OnnxMl.ModelProto toFp16(OnnxMl.ModelProto model) {
        if (fp16Weights.isEmpty()) {
            return model;
        }
        OnnxMl.GraphProto.Builder graph = model.getGraph().toBuilder();
        for (OnnxMl.TensorProto.Builder t : graph.getInitializerBuilderList()) {
            if (fp16Weights.contains(t.getName())) {
                ByteBuffer floats = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                ByteBuffer halves = ByteBuffer.allocate(floats.remaining() / 2).order(ByteOrder.LITTLE_ENDIAN);
                while (floats.hasRemaining()) {
                    halves.putShort(Fp16Conversions.floatToFp16(floats.getFloat()));
                }
                t.setDataType(DataType.FLOAT16_VALUE).setRawData(ByteString.copyFrom(halves.array()));
            }
        }
        return model.toBuilder().setGraph(graph).build();
    }

    private float[] gaussian(int n, float std) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextGaussian() * std);
        }
        return values;
    }
}
