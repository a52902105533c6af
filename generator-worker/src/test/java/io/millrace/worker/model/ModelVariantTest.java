package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.worker.model.build.LlamaVariant;
import io.millrace.worker.model.build.TinyLlamaModel;
import io.millrace.worker.model.build.TinyModel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelVariantTest {
    @TempDir
    Path tmp;

    @Test
    void variantsAreNamedAndFiledAsTransformersJsNamesThem() {
        assertThat(ModelVariant.parse(" Q8 ")).isEqualTo(ModelVariant.Q8);
        assertThat(ModelVariant.Q8.fileName("model")).isEqualTo("model_quantized.onnx");
        assertThat(ModelVariant.FP16.fileName("decoder_model_merged")).isEqualTo("decoder_model_merged_fp16.onnx");
        assertThat(ModelVariant.Q4.fileName("model")).isEqualTo("model_q4.onnx");
        assertThat(ModelVariant.FP32.fileName("model")).isEqualTo("model.onnx");
        assertThat(ModelVariant.FP32.servedName("gpt2")).isEqualTo("gpt2");
        assertThat(ModelVariant.Q8.servedName("gpt2")).isEqualTo("gpt2-q8");
        assertThatThrownBy(() -> ModelVariant.parse("int4")).hasMessageContaining("'int4' is not a model variant")
                .hasMessageContaining("fp32, fp16, q8");
    }

    @Test
    void findsTheVariantAtTheRootBeforeTheOnnxSubfolder() throws Exception {
        Path dir = tmp.resolve("m");
        Files.createDirectories(dir.resolve("onnx"));
        Files.writeString(dir.resolve("onnx/model_quantized.onnx"), "x");
        assertThat(ModelFiles.locate(dir, ModelVariant.Q8)).isEqualTo(dir.resolve("onnx/model_quantized.onnx"));
        Files.writeString(dir.resolve("model_quantized.onnx"), "x");
        assertThat(ModelFiles.locate(dir, ModelVariant.Q8)).isEqualTo(dir.resolve("model_quantized.onnx"));
        Files.writeString(dir.resolve("onnx/decoder_model_merged_fp16.onnx"), "x");
        assertThat(ModelFiles.locate(dir, ModelVariant.FP16)).isEqualTo(dir.resolve("onnx/decoder_model_merged_fp16.onnx"));
    }

    @Test
    void aMissingVariantIsNamedWithTheVariantsPresent() throws Exception {
        Path dir = tmp.resolve("gpt2");
        Files.createDirectories(dir.resolve("onnx"));
        Files.writeString(dir.resolve("model.onnx"), "x");
        Files.writeString(dir.resolve("onnx/model_fp16.onnx"), "x");
        assertThatThrownBy(() -> ModelFiles.locate(dir, ModelVariant.Q4)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("has no model_q4.onnx or decoder_model_merged_q4.onnx (variant q4) at its root or in onnx/")
                .hasMessageContaining("it has fp32 (model.onnx), fp16 (onnx/model_fp16.onnx)")
                .hasMessageContaining("--set model.gpt2.variant=");
        assertThatThrownBy(() -> ModelFiles.locate(dir, ModelVariant.Q8)).hasMessageContaining("millrace model quantize");
        assertThatThrownBy(() -> ModelFiles.locate(tmp.resolve("empty-not-there"), ModelVariant.FP32))
                .hasMessageContaining("optimum-cli export onnx");
    }

    /** An fp16 export served by setting: the loader reads the float16 cache and logits from the graph. */
    @Test
    void anFp16VariantLoadsBySettingAndIsServedUnderItsOwnName() throws Exception {
        Path fp16 = tmp.resolve("fp16-source");
        TinyLlamaModel.write(fp16, LlamaVariant.QWEN2_FP16);
        Path dir = tmp.resolve("qwen-tiny");
        TinyLlamaModel.write(dir, LlamaVariant.LLAMA_FP32);
        Files.createDirectories(dir.resolve("onnx"));
        Files.copy(fp16.resolve("model.onnx"), dir.resolve("onnx/model_fp16.onnx"));
        Files.copy(fp16.resolve("config.json"), dir.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (DecoderModel m = DecoderModel.load(dir, ModelVariant.FP16)) {
            assertThat(m.name()).isEqualTo("qwen-tiny-fp16");
            assertThat(m.variant()).isEqualTo(ModelVariant.FP16);
            Completion c = m.generate(m.encodeChat(java.util.List.of(new ChatMessage("user", "Hello"))), SamplingParams.greedy(8));
            assertThat(c.completionTokens()).isPositive();
        }
    }

    /** A variant onnxruntime cannot run is a load error that names the file, not a crash later. */
    @Test
    void aVariantOnnxRuntimeCannotLoadFailsAtLoadNamingTheFile() throws Exception {
        Path dir = tmp.resolve("broken");
        TinyModel.write(dir);
        Files.write(dir.resolve("model_q4.onnx"), new byte[] {1, 2, 3, 4});
        assertThatThrownBy(() -> DecoderModel.load(dir, ModelVariant.Q4)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("onnxruntime cannot load").hasMessageContaining("model_q4.onnx");
    }
}
