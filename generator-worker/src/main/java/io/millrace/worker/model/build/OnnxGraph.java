package io.millrace.worker.model.build;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A minimal builder over the ONNX protobuf messages: named initializers, nodes with attributes and
 * graph inputs/outputs with symbolic dimensions. Node and value names come from the caller, so a
 * graph built twice serializes to the same bytes.
 *
 * <p>With an {@link ExternalData} sink, float initializers of 1 KiB and more are streamed to the
 * sink's file and referenced from the graph (the ONNX external data format: {@code location},
 * {@code offset}, {@code length}), as {@code onnx.save_model(..., save_as_external_data=True)} does.
 */
public final class OnnxGraph {
    /** ONNX IR version 8 pairs with opset 17 and loads in every onnxruntime from 1.13 on. */
    static final long IR_VERSION = 8;
    static final int OPSET = 17;

    /** Tensors smaller than this stay inside model.onnx (onnx's default size_threshold). */
    static final int EXTERNAL_THRESHOLD_BYTES = 1024;
    /** Tensors of at least 1 MiB start at a multiple of 64 KiB, so that onnxruntime can map them (onnx's align_threshold). */
    static final int ALIGN_THRESHOLD_BYTES = 1 << 20;
    static final int ALIGNMENT = 1 << 16;

    /** Where external tensor data goes: an open stream over the file named {@code location} beside model.onnx. */
    static final class ExternalData {
        private final String location;
        private final OutputStream out;
        private long offset;

        ExternalData(String location, OutputStream out) {
            this.location = location;
            this.out = out;
        }

        /** Appends the tensor (after alignment padding); returns its offset. */
        private long append(float[] data) throws IOException {
            long length = (long) data.length * Float.BYTES;
            if (length >= ALIGN_THRESHOLD_BYTES && offset % ALIGNMENT != 0) {
                int pad = (int) (ALIGNMENT - offset % ALIGNMENT);
                out.write(new byte[pad]);
                offset += pad;
            }
            long start = offset;
            ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : data) {
                if (!chunk.hasRemaining()) {
                    out.write(chunk.array(), 0, chunk.position());
                    chunk.clear();
                }
                chunk.putFloat(f);
            }
            out.write(chunk.array(), 0, chunk.position());
            offset += length;
            return start;
        }
    }

    private final OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder();
    private final ExternalData external;
    private int nodeCount;

    public OnnxGraph(String name) {
        this(name, null);
    }

    /** @param external where large float tensors go; null keeps every tensor inside the graph */
    OnnxGraph(String name, ExternalData external) {
        graph.setName(name);
        this.external = external;
    }

    /** A dimension: a {@link Long} is fixed, a {@link String} is a symbolic name. */
    public void input(String name, int elemType, Object... dims) {
        graph.addInput(valueInfo(name, elemType, dims));
    }

    public void output(String name, int elemType, Object... dims) {
        graph.addOutput(valueInfo(name, elemType, dims));
    }

    public String floats(String name, float[] data, long... dims) {
        if (external != null && (long) data.length * Float.BYTES >= EXTERNAL_THRESHOLD_BYTES) {
            return externalFloats(name, data, dims);
        }
        ByteBuffer bytes = ByteBuffer.allocate(data.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(data);
        return initializer(name, TensorProto.DataType.FLOAT_VALUE, bytes, dims);
    }

    public String longs(String name, long[] data, long... dims) {
        ByteBuffer bytes = ByteBuffer.allocate(data.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asLongBuffer().put(data);
        return initializer(name, TensorProto.DataType.INT64_VALUE, bytes, dims);
    }

    String scalar(String name, float value) {
        return floats(name, new float[] {value});
    }

    String scalar(String name, long value) {
        return longs(name, new long[] {value});
    }

    /** Adds a node with one output named {@code output}; returns that name for chaining. */
    public String node(String opType, String output, String[] inputs, AttributeProto... attributes) {
        nodes(opType, new String[] {output}, inputs, attributes);
        return output;
    }

    void nodes(String opType, String[] outputs, String[] inputs, AttributeProto... attributes) {
        OnnxMl.NodeProto.Builder node = OnnxMl.NodeProto.newBuilder()
                .setName(opType + "_" + nodeCount++)
                .setOpType(opType);
        for (String in : inputs) {
            node.addInput(in);
        }
        for (String out : outputs) {
            node.addOutput(out);
        }
        for (AttributeProto a : attributes) {
            node.addAttribute(a);
        }
        graph.addNode(node);
    }

    /**
     * A bool [batch, 1, seq, past+seq] mask of the keys each query may attend to, from the
     * {@code input_ids} and {@code attention_mask} inputs: key j is allowed for query i (absolute
     * position past+i) iff j ≤ past+i (causal) and attention_mask[b, j] is 1 (not padding).
     * Combining both is what makes a left-padded row give the same logits as the prompt unpadded.
     */
    String attentionAllowed() {
        String zero = scalar("/mask/zero", 0L);
        String one = scalar("/mask/one", 1L);
        String seq = node("Gather", "/mask/seq_len", new String[] {node("Shape", "/mask/ids_shape", new String[] {"input_ids"}), one});
        String total = node("Gather", "/mask/total_len", new String[] {node("Shape", "/mask/mask_shape", new String[] {"attention_mask"}), one});
        String past = node("Sub", "/mask/past_len", new String[] {total, seq});
        String keyPos = node("Range", "/mask/key_pos", new String[] {zero, total, one});
        String queryPos = node("Range", "/mask/query_pos", new String[] {past, total, one});
        String causal = node("LessOrEqual", "/mask/causal", new String[] {
            node("Unsqueeze", "/mask/key_row", new String[] {keyPos, longs("/mask/axes0", new long[] {0}, 1)}),
            node("Unsqueeze", "/mask/query_col", new String[] {queryPos, longs("/mask/axes1", new long[] {1}, 1)})});
        String notPadding = node("Unsqueeze", "/mask/not_padding", new String[] {
            node("Cast", "/mask/mask_bool", new String[] {"attention_mask"}, intAttr("to", TensorProto.DataType.BOOL_VALUE)),
            longs("/mask/axes12", new long[] {1, 2}, 2)});
        return node("And", "/mask/allowed", new String[] {causal, notPadding});
    }

    public static AttributeProto intAttr(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    static AttributeProto floatAttr(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    static AttributeProto intsAttr(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    public OnnxMl.ModelProto toModel(String producer, String docString) {
        return OnnxMl.ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setProducerName(producer)
                .setDocString(docString)
                .setGraph(graph)
                .build();
    }

    private String externalFloats(String name, float[] data, long... dims) {
        long offset;
        try {
            offset = external.append(data);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + name + " to " + external.location, e);
        }
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
        for (long d : dims) {
            t.addDims(d);
        }
        t.setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(entry("location", external.location))
                .addExternalData(entry("offset", Long.toString(offset)))
                .addExternalData(entry("length", Long.toString((long) data.length * Float.BYTES)));
        graph.addInitializer(t);
        return name;
    }

    private static OnnxMl.StringStringEntryProto entry(String key, String value) {
        return OnnxMl.StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    private String initializer(String name, int dataType, ByteBuffer littleEndian, long... dims) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(dataType);
        for (long d : dims) {
            t.addDims(d);
        }
        graph.addInitializer(t.setRawData(ByteString.copyFrom(littleEndian.array())));
        return name;
    }

    private static OnnxMl.ValueInfoProto valueInfo(String name, int elemType, Object... dims) {
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        for (Object d : dims) {
            OnnxMl.TensorShapeProto.Dimension.Builder dim = OnnxMl.TensorShapeProto.Dimension.newBuilder();
            if (d instanceof String symbol) {
                dim.setDimParam(symbol);
            } else {
                dim.setDimValue(((Number) d).longValue());
            }
            shape.addDim(dim);
        }
        return OnnxMl.ValueInfoProto.newBuilder()
                .setName(name)
                .setType(OnnxMl.TypeProto.newBuilder().setTensorType(
                        OnnxMl.TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape)))
                .build();
    }
}
