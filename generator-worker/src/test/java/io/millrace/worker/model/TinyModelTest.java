package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.worker.model.build.ModelShape;
import io.millrace.worker.model.build.TinyModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TinyModelTest {
    @TempDir
    Path tmp;

    @Test
    void writesIdenticalBytesEveryTime() throws Exception {
        Path first = tmp.resolve("a");
        Path second = tmp.resolve("b");
        TinyModel.write(first);
        TinyModel.write(second);

        List<String> files = fileNames(first);
        assertThat(files).containsExactly("config.json", "generation_config.json", "model.onnx", "tokenizer.json",
                "tokenizer_config.json");
        assertThat(fileNames(second)).isEqualTo(files);
        for (String f : files) {
            assertThat(Files.readAllBytes(second.resolve(f))).as(f).isEqualTo(Files.readAllBytes(first.resolve(f)));
        }
    }

    @Test
    void onnxModelHasTheOptimumInterface() throws Exception {
        TinyModel.write(tmp);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(tmp.resolve("model.onnx").toString())) {
            assertThat(new ArrayList<>(session.getInputNames())).containsExactly("input_ids", "attention_mask", "position_ids",
                    "past_key_values.0.key", "past_key_values.0.value", "past_key_values.1.key", "past_key_values.1.value");
            assertThat(new ArrayList<>(session.getOutputNames())).containsExactly("logits",
                    "present.0.key", "present.0.value", "present.1.key", "present.1.value");
        }
    }

    @Test
    void configDescribesTheGraphAndTokenizer() throws Exception {
        TinyModel.write(tmp);
        JsonNode config = JsonFiles.read(tmp.resolve("config.json"));
        JsonNode tokenizer = JsonFiles.read(tmp.resolve("tokenizer.json"));
        int merges = tokenizer.path("model").path("merges").size();
        assertThat(merges).isBetween(250, 750);
        assertThat(config.path("vocab_size").asInt()).isEqualTo(tokenizer.path("model").path("vocab").size());
        assertThat(config.path("model_type").asText()).isEqualTo("gpt2");
        assertThat(config.path("n_positions").asInt()).isEqualTo(512);
        assertThat(tokenizer.path("added_tokens").findValuesAsText("content"))
                .containsExactly("<|endoftext|>", "<|im_start|>", "<|im_end|>");
    }

    /** The built-in model is part of the contract (results are reproducible across releases): its bytes never change. */
    @Test
    void builtInModelBytesAreUnchanged() throws Exception {
        TinyModel.write(tmp);
        assertThat(sha256(tmp.resolve("config.json"))).isEqualTo("d48f86ff2051cf68398dfb9d5d5f7e9b5480a360058e9f6190700d7660b06f16");
        assertThat(sha256(tmp.resolve("generation_config.json"))).isEqualTo("f533a31828049cddafe6da8059ed8ad3ee1a32f89994fde3ac7d776728e5effc");
        assertThat(sha256(tmp.resolve("model.onnx"))).isEqualTo("bd71d1f2dadcf19a4254b8e147a860d0655f6dacd76cabed52e1ff269c8f3b8d");
        assertThat(sha256(tmp.resolve("tokenizer.json"))).isEqualTo("f8435964e4018083c21f9763e63a32cd06cc4da7b4ec9b24db3d8a54522c6dae");
        assertThat(sha256(tmp.resolve("tokenizer_config.json"))).isEqualTo("451acaaf0628c4bae98e626985b319498a9e3e6b527d5b7f4fce6ecba2dd5fde");
    }

    /** A small shape with everything GPT2_SMALL adds: a filled vocabulary, zero special embeddings, external data. */
    static final ModelShape SMALL_EXTERNAL = new ModelShape("test-external", 2, 4, 64, 256, 3000, true, true);

    @Test
    void largerShapesFillTheVocabularyAndStoreWeightsAsExternalData() throws Exception {
        Path dir = tmp.resolve("model");
        TinyModel.write(dir, SMALL_EXTERNAL);
        assertThat(fileNames(dir)).containsExactly("config.json", "generation_config.json", "model.onnx", "model.onnx_data",
                "tokenizer.json", "tokenizer_config.json");
        JsonNode config = JsonFiles.read(dir.resolve("config.json"));
        JsonNode tokenizer = JsonFiles.read(dir.resolve("tokenizer.json"));
        assertThat(config.path("vocab_size").asInt()).isEqualTo(3000);
        assertThat(tokenizer.path("model").path("vocab").size()).isEqualTo(3000);
        assertThat(config.path("n_positions").asInt()).isEqualTo(256);
        assertThat(JsonFiles.read(dir.resolve("tokenizer_config.json")).path("model_max_length").asInt()).isEqualTo(256);
        // The weights are outside the graph: model.onnx holds only the small constants.
        assertThat(Files.size(dir.resolve("model.onnx"))).isLessThan(64 * 1024);
        assertThat(Files.size(dir.resolve("model.onnx_data"))).isGreaterThan(SMALL_EXTERNAL.parameters(3000) * 4 - 64 * 1024);

        Path again = tmp.resolve("again");
        TinyModel.write(again, SMALL_EXTERNAL);
        for (String f : fileNames(again)) {
            assertThat(Files.readAllBytes(again.resolve(f))).as(f).isEqualTo(Files.readAllBytes(dir.resolve(f)));
        }

        try (HfTokenizer t = HfTokenizer.load(dir.resolve("tokenizer.json"))) {
            for (int id = 0; id < 3000 - TinyModel.SPECIAL_TOKENS.size(); id++) {
                assertThat(t.decode(new int[] {id}, 1)).as("token %d", id).isNotEmpty();
            }
        }
        try (DecoderModel model = DecoderModel.load(dir)) {
            int[] prompt = model.encodeChat(List.of(new ChatMessage("user", "How does the mill work?")));
            // Zero embeddings for the special tokens: greedy decoding never ends a sequence early.
            Completion c = model.generate(prompt, SamplingParams.greedy(200));
            assertThat(c.completionTokens()).isEqualTo(200);
            assertThat(c.finishReason()).isEqualTo("length");
        }
    }

    @Test
    void gpt2SmallHasGpt2SmallsParameterCount() {
        // GPT-2 small: 124,439,808 parameters with its 50257-token vocabulary and tied output layer.
        assertThat(ModelShape.GPT2_SMALL.parameters(50257)).isEqualTo(124_439_808L);
        assertThat(ModelShape.named("tiny")).isEqualTo(ModelShape.TINY);
    }

    private static String sha256(Path file) throws Exception {
        return java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    private static List<String> fileNames(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
