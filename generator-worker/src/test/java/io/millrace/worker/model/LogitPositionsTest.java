package io.millrace.worker.model;

import static io.millrace.worker.model.Rows.maxAbsDiff;
import static io.millrace.worker.model.Rows.ones;
import static io.millrace.worker.model.Rows.range;
import static io.millrace.worker.model.Rows.rows;
import static io.millrace.worker.model.Rows.spread;
import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import io.millrace.worker.model.build.LlamaVariant;
import io.millrace.worker.model.build.ModelShape;
import io.millrace.worker.model.build.OnnxGraph;
import io.millrace.worker.model.build.TinyLlamaModel;
import io.millrace.worker.model.build.TinyModel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The load-time rewrite that computes logits only where they are needed: the positions it keeps
 * give the logits the graph as exported gives there, prompt scoring still gets every position, and
 * a graph it cannot narrow loads as it is.
 */
class LogitPositionsTest {
    @TempDir
    Path dir;

    @Test
    void theBuiltInModelIsNarrowedAndGivesTheSameLogits() throws Exception {
        TinyModel.write(dir);
        assertSameLogits(dir, 1e-5f);
    }

    /** Large exports keep their weights in model.onnx_data; the rewritten graph, loaded from memory, must still find them. */
    @Test
    void aGraphWithExternalDataIsNarrowedAndFindsItsWeights() throws Exception {
        TinyModel.write(dir, new ModelShape("tiny-external", 2, 4, 64, 512, 0, false, true));
        assertThat(dir.resolve(TinyModel.EXTERNAL_DATA)).exists();
        assertSameLogits(dir, 1e-5f);
    }

    /** Llama's untied lm_head; in fp16 the logits pass a Cast after it. */
    @Test
    void llamaLayoutsAreNarrowedToo() throws Exception {
        for (LlamaVariant variant : new LlamaVariant[] {LlamaVariant.LLAMA_FP32, LlamaVariant.QWEN2_FP16,
                LlamaVariant.LLAMA_MERGED, LlamaVariant.LLAMA_NO_POSITION_IDS}) {
            Path d = dir.resolve(variant.name());
            TinyLlamaModel.write(d, variant);
            assertSameLogits(d, variant.fp16() ? 1e-2f : 1e-5f);
        }
    }

    @Test
    void logitsFromTwoVaryingOperandsAreLeftAsTheyAre() {
        OnnxGraph g = new OnnxGraph("two");
        g.input("a", DataType.FLOAT_VALUE, "batch_size", "sequence_length", 4L);
        g.input("b", DataType.FLOAT_VALUE, "batch_size", "sequence_length", 4L);
        g.output("logits", DataType.FLOAT_VALUE, "batch_size", "sequence_length", 4L);
        g.node("Add", "logits", new String[] {"a", "b"});
        LogitPositions.Result result = LogitPositions.rewrite(g.toModel("test", "two varying operands"));
        assertThat(result.model()).isEmpty();
        assertThat(result.reason()).contains("Add");
    }

    @Test
    void theOutputLayerGetsOnlyTheGatheredPositions() {
        OnnxGraph g = new OnnxGraph("head");
        g.input("hidden", DataType.FLOAT_VALUE, "batch_size", "sequence_length", 2L);
        g.output("logits", DataType.FLOAT_VALUE, "batch_size", "sequence_length", 3L);
        String normed = g.node("Softmax", "/normed", new String[] {"hidden"}, OnnxGraph.intAttr("axis", -1));
        String w = g.floats("lm_head.weight", new float[6], 2, 3);
        g.node("Add", "logits", new String[] {g.node("MatMul", "/lm_head", new String[] {normed, w}), g.floats("bias", new float[3], 3)});
        OnnxMl.ModelProto model = LogitPositions.rewrite(g.toModel("test", "a head")).model().orElseThrow();
        OnnxMl.NodeProto product = model.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("MatMul"))
                .findFirst().orElseThrow();
        assertThat(product.getInput(0)).isNotEqualTo(normed);
        OnnxMl.NodeProto gather = model.getGraph().getNodeList().stream().filter(n -> n.getOutput(0).equals(product.getInput(0)))
                .findFirst().orElseThrow();
        assertThat(gather.getOpType()).isEqualTo("GatherElements");
        assertThat(gather.getInput(0)).isEqualTo(normed);
        assertThat(model.getGraph().getInputList()).anyMatch(i -> i.getName().equals(LogitPositions.INPUT));
    }

    /** Narrowed and as-exported sessions of one directory: the last position's logits, and every position's when asked. */
    private static void assertSameLogits(Path modelDir, float tolerance) throws Exception {
        ModelConfig config = ModelConfig.read(modelDir);
        Path file = ModelFiles.locate(modelDir, ModelVariant.FP32);
        try (DecoderSession narrowed = new DecoderSession(file, config, SessionSettings.defaults(), true);
                DecoderSession exported = new DecoderSession(file, config, SessionSettings.defaults(), false)) {
            assertThat(narrowed.narrowsLogits()).isTrue();
            assertThat(exported.narrowsLogits()).isFalse();
            long[] ids = {5, 17, 3, 42, 8, 11, 29};
            for (boolean all : new boolean[] {false, true}) {
                DecoderSession.Step a = forward(narrowed, ids, all);
                DecoderSession.Step b = forward(exported, ids, all);
                try {
                    assertThat(a.logits()[0].length).isEqualTo(b.logits()[0].length).isEqualTo(all ? ids.length : 1);
                    for (int p = 0; p < a.logits()[0].length; p++) {
                        assertThat(spread(b.logits()[0][p])).isGreaterThan(0f);
                        assertThat(maxAbsDiff(a.logits()[0][p], b.logits()[0][p])).isLessThanOrEqualTo(tolerance);
                    }
                } finally {
                    a.cache().close();
                    b.cache().close();
                }
            }
        }
    }

    private static DecoderSession.Step forward(DecoderSession session, long[] ids, boolean all) throws Exception {
        try (KvCache empty = session.emptyCache(1)) {
            return session.forward(rows(ids), rows(ones(ids.length)), rows(range(0, ids.length)), empty, all);
        }
    }
}
