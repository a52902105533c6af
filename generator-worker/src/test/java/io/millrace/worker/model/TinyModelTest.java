package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
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

    private static List<String> fileNames(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
