package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.worker.model.build.LlamaVariant;
import io.millrace.worker.model.build.OnnxGraph;
import io.millrace.worker.model.build.TinyLlamaModel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model that cannot be served fails at load with a message naming what is missing or wrong. */
class IncompatibleModelTest {
    @TempDir
    Path dir;

    @Test
    void aModelExportedWithoutPastKeyValuesAsksForAWithPastExport() throws Exception {
        TinyLlamaModel.write(dir, LlamaVariant.LLAMA_FP32);
        // What --task text-generation gives: logits from input_ids and attention_mask, no cache.
        OnnxGraph g = new OnnxGraph("no_past");
        g.input("input_ids", DataType.INT64_VALUE, "batch_size", "sequence_length");
        g.input("attention_mask", DataType.INT64_VALUE, "batch_size", "sequence_length");
        g.output("logits", DataType.FLOAT_VALUE, "batch_size", "sequence_length", 1L);
        g.node("Cast", "logits", new String[] {g.node("Unsqueeze", "/ids", new String[] {"input_ids", g.longs("/axes", new long[] {2}, 1)})},
                OnnxGraph.intAttr("to", DataType.FLOAT_VALUE));
        Files.write(dir.resolve("model.onnx"), g.toModel("test", "").toByteArray());

        assertThatThrownBy(() -> DecoderModel.load(dir)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("has no past_key_values inputs")
                .hasMessageContaining("re-export it with-past (optimum-cli export onnx --task text-generation-with-past)");
    }

    @Test
    void keyValueHeadsThatDisagreeWithTheGraphNameBothNumbers() throws Exception {
        TinyLlamaModel.write(dir, LlamaVariant.QWEN2_FP16);
        editConfig(c -> c.put("num_key_value_heads", 4));

        assertThatThrownBy(() -> DecoderModel.load(dir)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("takes past keys with 2 key/value heads but config.json's num_key_value_heads")
                .hasMessageContaining("gives 4");
    }

    @Test
    void aHeadSizeThatDisagreesWithTheGraphNamesBothNumbers() throws Exception {
        TinyLlamaModel.write(dir, LlamaVariant.LLAMA_FP32);
        editConfig(c -> c.put("head_dim", 32));

        assertThatThrownBy(() -> DecoderModel.load(dir)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("takes past keys with 16 numbers per head but config.json's head_dim")
                .hasMessageContaining("gives 32");
    }

    @Test
    void fewerLayersInConfigThanInTheGraphIsAMismatch() throws Exception {
        TinyLlamaModel.write(dir, LlamaVariant.LLAMA_MERGED);
        editConfig(c -> c.put("num_hidden_layers", 1));

        assertThatThrownBy(() -> DecoderModel.load(dir)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("decoder_model_merged.onnx has past keys for 2 layers but config.json declares 1 layers");
    }

    private void editConfig(java.util.function.Consumer<ObjectNode> edit) throws Exception {
        ObjectNode config = (ObjectNode) JsonFiles.read(dir.resolve("config.json"));
        edit.accept(config);
        JsonFiles.write(dir.resolve("config.json"), config);
    }
}
