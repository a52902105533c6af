package io.millrace.worker.model;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Rewrites a decoder graph at load time so that it computes logits only at the positions the
 * caller asks for: a new input {@value #INPUT} [batch, n] (int64, indices into each row's
 * {@code input_ids}) gathers those rows of the hidden state just before the output layer, and
 * {@code logits} becomes [batch, n, vocab].
 *
 * <p>Why: prefill samples only each prompt's last position, yet an Optimum export computes the
 * output layer (hidden × vocabulary, about a third of a GPT-2-small prompt token's work) at every
 * position. Requests that score their prompt (echo with logprobs, loglikelihood evaluation) still
 * ask for every position. One graph serves both, so there is one session and one copy of the
 * weights.
 *
 * <p>Where: walking back from {@code logits} through nodes that treat each position alone, a
 * product with a constant right operand (the output layer) and element-wise ops with constant
 * per-feature operands (bias, scale, cast, soft-capping), the gather goes before the earliest of
 * them, so the gathered positions compute exactly what they computed before (the same ops on the
 * same rows). A graph whose {@code logits} comes from anything else (a merged export's {@code If},
 * dynamically quantized products whose scale spans every position) is left as it is: the engine
 * then reads the positions it needs from the full logits.
 */
final class LogitPositions {
    /** The added input: which positions of each row get logits. */
    static final String INPUT = "millrace_logit_positions";
    private static final String PREFIX = "/millrace/logit_positions/";

    /** Ops that compute each position from that position alone, given constant other operands. */
    private static final Set<String> ELEMENTWISE = Set.of("Add", "Mul", "Sub", "Div", "Cast", "Tanh", "Identity");
    private static final Set<String> PRODUCTS = Set.of("MatMul", "MatMulNBits");

    private LogitPositions() {
    }

    /**
     * The model with the {@value #INPUT} input, or empty (with the reason) where its graph does
     * not end in ops this rewrite knows to be position-wise.
     */
    static Result rewrite(OnnxMl.ModelProto model) {
        OnnxMl.GraphProto graph = model.getGraph();
        long opset = model.getOpsetImportList().stream().filter(o -> o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx"))
                .mapToLong(OnnxMl.OperatorSetIdProto::getVersion).max().orElse(0);
        if (opset < 11) {
            return new Result(Optional.empty(), "its opset " + opset + " predates GatherElements (11)");
        }
        if (graph.getInputList().stream().anyMatch(i -> i.getName().equals(INPUT))) {
            return new Result(Optional.empty(), "it already has an input " + INPUT);
        }
        Map<String, Integer> producer = new HashMap<>();
        for (int i = 0; i < graph.getNodeCount(); i++) {
            for (String out : graph.getNode(i).getOutputList()) {
                producer.put(out, i);
            }
        }
        Constants constants = new Constants(graph);
        String data = "logits";
        int earliest = -1;
        while (producer.containsKey(data)) {
            int index = producer.get(data);
            String through = positionWiseInput(graph.getNode(index), constants);
            if (through == null) {
                break;
            }
            earliest = index;
            data = through;
        }
        if (earliest < 0) {
            Integer last = producer.get("logits");
            return new Result(Optional.empty(), "its logits come from "
                    + (last == null ? "no node" : "a " + graph.getNode(last).getOpType() + " node") + ", not from a product it can narrow");
        }
        String gathered = PREFIX + "hidden";
        OnnxMl.GraphProto.Builder g = graph.toBuilder();
        NodeProto.Builder first = g.getNodeBuilder(earliest);
        for (int i = 0; i < first.getInputCount(); i++) {
            if (first.getInput(i).equals(data)) {
                first.setInput(i, gathered);
            }
        }
        // hidden [b, s, h], positions [b, n] → GatherElements over axis 1 with the positions expanded to [b, n, h].
        List<NodeProto> added = List.of(
                // Unsqueeze took its axes as an attribute before opset 13.
                opset < 13 ? node("Unsqueeze", new String[] {INPUT}, PREFIX + "index3").toBuilder()
                        .addAttribute(ints("axes", 2)).build()
                        : node("Unsqueeze", new String[] {INPUT, PREFIX + "axes"}, PREFIX + "index3"),
                node("Shape", new String[] {INPUT}, PREFIX + "index_shape"),
                node("Shape", new String[] {data}, PREFIX + "hidden_shape"),
                node("Slice", new String[] {PREFIX + "hidden_shape", PREFIX + "axes", PREFIX + "three"}, PREFIX + "features"),
                concat(new String[] {PREFIX + "index_shape", PREFIX + "features"}, PREFIX + "target_shape"),
                node("Expand", new String[] {PREFIX + "index3", PREFIX + "target_shape"}, PREFIX + "index"),
                gatherElements(new String[] {data, PREFIX + "index"}, gathered));
        // Inserted just before the node it feeds, so the node list stays topologically sorted.
        for (int i = added.size() - 1; i >= 0; i--) {
            g.addNode(earliest, added.get(i));
        }
        g.addInitializer(longs(PREFIX + "axes", 2));
        g.addInitializer(longs(PREFIX + "three", 3));
        g.addInput(OnnxMl.ValueInfoProto.newBuilder().setName(INPUT).setType(OnnxMl.TypeProto.newBuilder()
                .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.INT64_VALUE)
                        .setShape(OnnxMl.TensorShapeProto.newBuilder()
                                .addDim(dim("batch_size"))
                                .addDim(dim("logit_positions"))))));
        for (int i = 0; i < g.getOutputCount(); i++) {
            if (g.getOutput(i).getName().equals("logits")) {
                OnnxMl.TypeProto.Tensor.Builder type = g.getOutputBuilder(i).getTypeBuilder().getTensorTypeBuilder();
                if (type.hasShape() && type.getShape().getDimCount() == 3) {
                    type.getShapeBuilder().setDim(1, dim("logit_positions"));
                }
            }
        }
        return new Result(Optional.of(model.toBuilder().setGraph(g).build()), null);
    }

    /** @param model the rewritten model, or empty; @param reason why it is empty */
    record Result(Optional<OnnxMl.ModelProto> model, String reason) {
    }

    /**
     * The one input through which {@code node} computes each position from the same position only,
     * or null if it does not (or cannot be shown to).
     */
    private static String positionWiseInput(NodeProto node, Constants constants) {
        String op = node.getOpType();
        boolean standardDomain = node.getDomain().isEmpty() || node.getDomain().equals("ai.onnx")
                || (op.equals("MatMulNBits") && node.getDomain().equals("com.microsoft"));
        if (!standardDomain || node.getOutputCount() != 1) {
            return null;
        }
        if (PRODUCTS.contains(op)) {
            // x · W with W constant: row by row. (MatMulNBits quantizes nothing across rows.)
            for (int i = 1; i < node.getInputCount(); i++) {
                if (!node.getInput(i).isEmpty() && !constants.contains(node.getInput(i))) {
                    return null;
                }
            }
            return constants.contains(node.getInput(0)) ? null : node.getInput(0);
        }
        if (!ELEMENTWISE.contains(op)) {
            return null;
        }
        String data = null;
        for (String in : node.getInputList()) {
            if (constants.perFeature(in)) {
                continue;
            }
            if (data != null) {
                return null; // two varying operands: not shown to be position-wise
            }
            data = in;
        }
        return data;
    }

    /** Tensors known without running the graph: initializers, Constant nodes, and what is computed from them alone. */
    private static final class Constants {
        private final Set<String> names = new HashSet<>();
        private final Map<String, List<Long>> dims = new HashMap<>();

        Constants(OnnxMl.GraphProto graph) {
            for (TensorProto t : graph.getInitializerList()) {
                names.add(t.getName());
                dims.put(t.getName(), t.getDimsList());
            }
            Set<String> inputs = new HashSet<>();
            graph.getInputList().forEach(i -> inputs.add(i.getName()));
            names.removeAll(inputs); // an initializer that is also an input can be overridden
            for (NodeProto node : graph.getNodeList()) {
                if (node.getOpType().equals("Constant") && node.getOutputCount() == 1) {
                    names.add(node.getOutput(0));
                    node.getAttributeList().stream().filter(a -> a.getName().equals("value"))
                            .findFirst().ifPresent(a -> dims.put(node.getOutput(0), a.getT().getDimsList()));
                } else if (node.getInputCount() > 0 && node.getInputList().stream().allMatch(i -> i.isEmpty() || names.contains(i))) {
                    names.addAll(node.getOutputList());
                }
            }
        }

        boolean contains(String name) {
            return names.contains(name);
        }

        /** A constant of known shape that broadcasts over positions: every dimension but the last is 1. */
        boolean perFeature(String name) {
            List<Long> shape = dims.get(name);
            if (!names.contains(name) || shape == null) {
                return false;
            }
            for (int i = 0; i < shape.size() - 1; i++) {
                if (shape.get(i) != 1) {
                    return false;
                }
            }
            return true;
        }
    }

    private static NodeProto node(String op, String[] inputs, String output) {
        NodeProto.Builder n = NodeProto.newBuilder().setName(output).setOpType(op).addOutput(output);
        for (String in : inputs) {
            n.addInput(in);
        }
        return n.build();
    }

    private static NodeProto concat(String[] inputs, String output) {
        return node("Concat", inputs, output).toBuilder().addAttribute(intAttr("axis", 0)).build();
    }

    private static NodeProto gatherElements(String[] inputs, String output) {
        return node("GatherElements", inputs, output).toBuilder().addAttribute(intAttr("axis", 1)).build();
    }

    private static OnnxMl.AttributeProto intAttr(String name, long value) {
        return OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.INT).setI(value).build();
    }

    private static OnnxMl.AttributeProto ints(String name, long value) {
        return OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.INTS).addInts(value)
                .build();
    }

    private static TensorProto longs(String name, long value) {
        return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE).addDims(1)
                .addInt64Data(value).build();
    }

    private static OnnxMl.TensorShapeProto.Dimension dim(String param) {
        return OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam(param).build();
    }
}
