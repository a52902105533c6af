package io.millrace.worker.model.build;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import io.millrace.worker.model.ModelFiles;
import io.millrace.worker.model.ModelLoadException;
import io.millrace.worker.model.ModelVariant;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes the q8 variant of a model ({@code model_quantized.onnx} beside {@code model.onnx}) as
 * onnxruntime's {@code quantize_dynamic} does with its defaults (QInt8 weights, per tensor, which
 * Optimum and transformers.js ship under that name), because Python's onnxruntime is not at hand
 * and the file must be the same kind that transformers.js loads with {@code dtype: "q8"}:
 *
 * <ul>
 *   <li>a MatMul whose second input is a constant 2-D float matrix becomes
 *       {@code DynamicQuantizeLinear(A) → MatMulInteger(A_q, W_q, A_zp, W_zp) → Cast(float) → Mul(A_scale · W_scale)}:
 *       W as int8, symmetric (zero point 0, scale max|W|/127, values in [-127, 127]); A quantized to
 *       uint8 at run time, one scale for the whole tensor. MatMuls of two activations (attention)
 *       stay float, as quantize_dynamic's {@code MatMulConstBOnly} default leaves them;
 *   <li>a Gather from a constant float table (the embeddings) gathers from a uint8 table
 *       (asymmetric, scale (max−min)/255 over a range that includes 0) and dequantizes the rows
 *       ({@code DequantizeLinear});
 *   <li>a {@code Transpose} of a constant matrix feeding a MatMul (a tied output layer) is folded
 *       into a transposed constant first, as an exporter would have written it.
 * </ul>
 *
 * <p>Everything else (layer norms, biases, the KV cache, logits) stays float32, so the file keeps
 * the Optimum interface and loads with the same session code. A real model's weights quantize with
 * the same rules: {@code millrace model quantize DIR} runs this on any fp32 export. Nodes inside
 * subgraphs (the If branches of a merged decoder) are left as they are.
 *
 * <p>Since one activation scale covers the whole input tensor, the result of a row depends on the
 * other rows of its batch: quantized generation is not batch-invariant, as float generation is.
 */
public final class DynamicQuantizer {
    private static final int INT8_MAX = 127;
    private static final int UINT8_MAX = 255;

    private final Path baseDir;
    private final Map<String, TensorProto> initializers = new LinkedHashMap<>();
    private final Map<String, NodeProto> producers = new HashMap<>();
    private final List<TensorProto> added = new ArrayList<>();
    private final List<NodeProto> nodes = new ArrayList<>();
    /** Activations already quantized at run time, by name: their DynamicQuantizeLinear outputs. */
    private final Map<String, String[]> quantizedActivations = new HashMap<>();
    private final Set<String> folded = new HashSet<>();

    private DynamicQuantizer(Path baseDir) {
        this.baseDir = baseDir;
    }

    /**
     * Quantizes the directory's fp32 decoder and writes the q8 file beside it (root or {@code onnx/},
     * wherever the fp32 file is); returns the file written.
     */
    public static Path quantize(Path dir) throws IOException {
        Path source = ModelFiles.locate(dir, ModelVariant.FP32);
        String base = source.getFileName().toString().replaceFirst("\\.onnx$", "");
        Path target = source.resolveSibling(ModelVariant.Q8.fileName(base));
        OnnxMl.ModelProto model;
        try (InputStream in = Files.newInputStream(source)) {
            model = OnnxMl.ModelProto.parseFrom(in);
        }
        Files.write(target, quantize(model, source.getParent()).toByteArray());
        return target;
    }

    /** The quantized model; {@code baseDir} is where the model's external data files are. */
    static OnnxMl.ModelProto quantize(OnnxMl.ModelProto model, Path baseDir) {
        return new DynamicQuantizer(baseDir).rewrite(model);
    }

    private OnnxMl.ModelProto rewrite(OnnxMl.ModelProto model) {
        OnnxMl.GraphProto graph = model.getGraph();
        graph.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
        for (NodeProto n : graph.getNodeList()) {
            n.getOutputList().forEach(o -> producers.put(o, n));
        }
        for (NodeProto n : graph.getNodeList()) {
            float[][] weight = n.getOpType().equals("MatMul") && n.getDomain().isEmpty() ? constantMatrix(n.getInput(1)) : null;
            if (weight != null) {
                quantizeMatMul(n, weight);
            } else if (n.getOpType().equals("Gather") && n.getDomain().isEmpty() && isFloatMatrix(initializers.get(n.getInput(0)))) {
                quantizeGather(n, initializers.get(n.getInput(0)));
            } else {
                nodes.add(n);
            }
        }
        List<NodeProto> live = withoutDeadFolds(nodes, graph);
        Set<String> used = new HashSet<>();
        live.forEach(n -> collectInputs(n, used));
        graph.getOutputList().forEach(o -> used.add(o.getName()));
        OnnxMl.GraphProto.Builder out = graph.toBuilder().clearNode().clearInitializer().addAllNode(live);
        for (TensorProto t : initializers.values()) {
            if (used.contains(t.getName())) {
                out.addInitializer(inline(t));
            }
        }
        added.stream().filter(t -> used.contains(t.getName())).forEach(out::addInitializer);
        return model.toBuilder().setGraph(out)
                .setDocString(model.getDocString() + " (q8: dynamic int8 quantization by Millrace's DynamicQuantizer,"
                        + " as onnxruntime.quantization.quantize_dynamic)")
                .build();
    }

    /**
     * The float matrix behind a MatMul's second input, {values, {rows, cols}}: an initializer, or a
     * Transpose of one (folded); null for an activation.
     */
    private float[][] constantMatrix(String name) {
        TensorProto t = initializers.get(name);
        if (isFloatMatrix(t)) {
            return new float[][] {floats(t), {t.getDims(0), t.getDims(1)}};
        }
        NodeProto p = producers.get(name);
        if (p != null && p.getOpType().equals("Transpose") && isFloatMatrix(initializers.get(p.getInput(0)))
                && isPlainTranspose(p)) {
            TensorProto source = initializers.get(p.getInput(0));
            int rows = (int) source.getDims(0);
            int cols = (int) source.getDims(1);
            float[] data = floats(source);
            float[] transposed = new float[data.length];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    transposed[c * rows + r] = data[r * cols + c];
                }
            }
            folded.add(name);
            return new float[][] {transposed, {cols, rows}};
        }
        return null;
    }

    private void quantizeMatMul(NodeProto matMul, float[][] weight) {
        String a = matMul.getInput(0);
        String w = matMul.getInput(1);
        String out = matMul.getOutput(0);
        String[] aq = quantizedActivation(a);
        float[] data = weight[0];
        float absMax = 0;
        for (float v : data) {
            absMax = Math.max(absMax, Math.abs(v));
        }
        float scale = absMax == 0 ? 1f : (2 * absMax) / (2 * INT8_MAX);
        byte[] q = new byte[data.length];
        for (int i = 0; i < data.length; i++) {
            q[i] = (byte) clamp((int) Math.rint(data[i] / scale), -INT8_MAX, INT8_MAX);
        }
        String wq = addTensor(w + "_quantized", TensorProto.DataType.INT8_VALUE, ByteString.copyFrom(q),
                (long) weight[1][0], (long) weight[1][1]);
        String wScale = addFloatScalar(w + "_scale", scale);
        String wZero = addTensor(w + "_zero_point", TensorProto.DataType.INT8_VALUE, ByteString.copyFrom(new byte[1]));
        String p = matMul.getName().isEmpty() ? out : matMul.getName();
        String integer = node("MatMulInteger", p + "_quant", out + "_output_quantized", aq[0], wq, aq[2], wZero);
        String cast = node("Cast", p + "_quant_cast", out + "_output_quantized_cast_output", List.of(
                OnnxGraph.intAttr("to", TensorProto.DataType.FLOAT_VALUE)), integer);
        String scales = node("Mul", p + "_quant_scales_mul", p + "_quant_scales_mul_output", aq[1], wScale);
        node("Mul", p + "_quant_output_scale_mul", out, cast, scales);
    }

    /** DynamicQuantizeLinear of an activation, once however many MatMuls read it: {quantized, scale, zero point}. */
    private String[] quantizedActivation(String a) {
        return quantizedActivations.computeIfAbsent(a, name -> {
            String[] outs = {name + "_quantized", name + "_scale", name + "_zero_point"};
            nodes.add(NodeProto.newBuilder().setName(name + "_QuantizeLinear").setOpType("DynamicQuantizeLinear")
                    .addInput(name).addAllOutput(List.of(outs)).build());
            return outs;
        });
    }

    private void quantizeGather(NodeProto gather, TensorProto table) {
        float[] data = floats(table);
        float min = 0;
        float max = 0;
        for (float v : data) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float scale = max == min ? 1f : (max - min) / UINT8_MAX;
        int zero = clamp((int) Math.rint(-min / scale), 0, UINT8_MAX);
        byte[] q = new byte[data.length];
        for (int i = 0; i < data.length; i++) {
            q[i] = (byte) clamp((int) Math.rint(data[i] / scale) + zero, 0, UINT8_MAX);
        }
        String name = table.getName();
        String tq = addTensor(name + "_quantized", TensorProto.DataType.UINT8_VALUE, ByteString.copyFrom(q),
                table.getDims(0), table.getDims(1));
        String tScale = addFloatScalar(name + "_scale", scale);
        String tZero = addTensor(name + "_zero_point", TensorProto.DataType.UINT8_VALUE,
                ByteString.copyFrom(new byte[] {(byte) zero}));
        String out = gather.getOutput(0);
        NodeProto.Builder g = gather.toBuilder().setInput(0, tq).setOutput(0, out + "_quantized");
        nodes.add(g.build());
        node("DequantizeLinear", out + "_DequantizeLinear", out, out + "_quantized", tScale, tZero);
    }

    /** The nodes without Transposes whose only reader was a MatMul now reading the folded constant. */
    private List<NodeProto> withoutDeadFolds(List<NodeProto> all, OnnxMl.GraphProto graph) {
        Set<String> read = new HashSet<>();
        all.forEach(n -> collectInputs(n, read));
        graph.getOutputList().forEach(o -> read.add(o.getName()));
        return all.stream().filter(n -> !(n.getOpType().equals("Transpose") && folded.contains(n.getOutput(0))
                && !read.contains(n.getOutput(0)))).toList();
    }

    /** Every name a node reads, in its subgraphs too (a branch may read an outer initializer). */
    private static void collectInputs(NodeProto n, Set<String> into) {
        into.addAll(n.getInputList());
        for (OnnxMl.AttributeProto a : n.getAttributeList()) {
            if (a.hasG()) {
                a.getG().getNodeList().forEach(s -> collectInputs(s, into));
            }
            a.getGraphsList().forEach(g -> g.getNodeList().forEach(s -> collectInputs(s, into)));
        }
    }

    private String node(String op, String name, String output, String... inputs) {
        return node(op, name, output, List.of(), inputs);
    }

    private String node(String op, String name, String output, List<OnnxMl.AttributeProto> attributes, String... inputs) {
        nodes.add(NodeProto.newBuilder().setName(name).setOpType(op).addAllInput(List.of(inputs))
                .addOutput(output).addAllAttribute(attributes).build());
        return output;
    }

    private String addFloatScalar(String name, float value) {
        ByteBuffer b = ByteBuffer.allocate(Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).putFloat(value);
        return addTensor(name, TensorProto.DataType.FLOAT_VALUE, ByteString.copyFrom(b.array()));
    }

    private String addTensor(String name, int type, ByteString raw, long... dims) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type).setRawData(raw);
        for (long d : dims) {
            t.addDims(d);
        }
        added.add(t.build());
        return name;
    }

    private static boolean isFloatMatrix(TensorProto t) {
        return t != null && t.getDataType() == TensorProto.DataType.FLOAT_VALUE && t.getDimsCount() == 2;
    }

    private static boolean isPlainTranspose(NodeProto transpose) {
        for (OnnxMl.AttributeProto a : transpose.getAttributeList()) {
            if (a.getName().equals("perm")) {
                return a.getIntsCount() == 2 && a.getInts(0) == 1 && a.getInts(1) == 0;
            }
        }
        return true; // no perm: reverses the axes, a 2-D transpose
    }

    /** A float tensor's values, wherever the file keeps them (raw bytes, float_data or an external file). */
    private float[] floats(TensorProto t) {
        ByteBuffer bytes;
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            bytes = externalBytes(t);
        } else if (!t.getRawData().isEmpty()) {
            bytes = t.getRawData().asReadOnlyByteBuffer();
        } else {
            float[] values = new float[t.getFloatDataCount()];
            for (int i = 0; i < values.length; i++) {
                values[i] = t.getFloatData(i);
            }
            return values;
        }
        float[] values = new float[bytes.remaining() / Float.BYTES];
        bytes.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return values;
    }

    /** A tensor kept as it is, but with external data read in: the q8 file is one file, as its weights are a quarter the size. */
    private TensorProto inline(TensorProto t) {
        if (t.getDataLocation() != TensorProto.DataLocation.EXTERNAL) {
            return t;
        }
        return t.toBuilder().clearExternalData().setDataLocation(TensorProto.DataLocation.DEFAULT)
                .setRawData(ByteString.copyFrom(externalBytes(t))).build();
    }

    private ByteBuffer externalBytes(TensorProto t) {
        String location = null;
        long offset = 0;
        long length = -1;
        for (OnnxMl.StringStringEntryProto e : t.getExternalDataList()) {
            switch (e.getKey()) {
                case "location" -> location = e.getValue();
                case "offset" -> offset = Long.parseLong(e.getValue());
                case "length" -> length = Long.parseLong(e.getValue());
                default -> { }
            }
        }
        if (location == null) {
            throw new ModelLoadException("tensor " + t.getName() + " is stored externally but names no location");
        }
        Path file = baseDir.resolve(location);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long n = length >= 0 ? length : ch.size() - offset;
            ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(n));
            while (buf.hasRemaining()) {
                if (ch.read(buf, offset + buf.position()) < 0) {
                    throw new ModelLoadException(file + " ends before tensor " + t.getName() + " (offset " + offset + ", "
                            + n + " bytes)");
                }
            }
            return buf.flip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tensor " + t.getName() + " from " + file, e);
        }
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
