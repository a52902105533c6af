package io.millrace.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelTokenizerTest {
    @TempDir
    Path dir;

    private Path model(String config) throws Exception {
        Path m = Files.createDirectories(dir.resolve("m1"));
        Files.writeString(m.resolve("tokenizer.json"), """
                {"version":"1.0","truncation":null,"padding":null,"added_tokens":[],"normalizer":null,
                 "pre_tokenizer":{"type":"Whitespace"},"post_processor":null,"decoder":null,
                 "model":{"type":"WordLevel","vocab":{"[UNK]":0,"hello":1,"world":2},"unk_token":"[UNK]"}}""");
        if (config != null) {
            Files.writeString(m.resolve("tokenizer_config.json"), config);
        }
        return m;
    }

    @Test
    void encodesDecodesAndReadsTheSpecialTokensInBothShapes() throws Exception {
        try (ModelTokenizer t = ModelTokenizer.load(model("""
                {"eos_token":"world","bos_token":{"content":"hello","lstrip":false},"pad_token":null,
                 "chat_template":"{{ messages }}","model_max_length":1024}"""))) {
            assertThat(t.name()).isEqualTo("m1");
            assertThat(t.encode("hello world", false)).containsExactly(1, 2);
            assertThat(t.decode(new int[] {1, 2})).isEqualTo("hello world");
            assertThat(t.info()).isEqualTo(new ModelTokenizer.Info("world", "hello", null, null, "{{ messages }}", 1024L, null));
        }
    }

    @Test
    void encodesAConversationThroughItsChatTemplate() throws Exception {
        try (ModelTokenizer t = ModelTokenizer.load(model("""
                {"chat_template":"{% for m in messages %}{{ m['content'] + ' ' }}{% endfor %}{% if add_generation_prompt %}world{% endif %}"}"""))) {
            List<ChatTemplate.Message> chat = List.of(new ChatTemplate.Message("user", "hello"));
            assertThat(t.encodeChat(chat, true, false, false)).containsExactly(1, 2);
            assertThat(t.encodeChat(chat, false, false, false)).containsExactly(1);
            assertThat(t.encodeChat(List.of(new ChatTemplate.Message("user", "hello world")), false, true, false))
                    .containsExactly(1, 2);
        }
        Path bare = model(null);
        Files.delete(bare.resolve("tokenizer_config.json"));
        try (ModelTokenizer t = ModelTokenizer.load(bare)) {
            assertThatThrownBy(() -> t.encodeChat(List.of(new ChatTemplate.Message("user", "hello")), true, false, false))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("no chat template")
                    .hasMessageContaining("tokenizer_config.json");
        }
    }

    @Test
    void aMissingConfigLeavesTheInfoEmptyAndAMissingTokenizerIsAClearError() throws Exception {
        try (ModelTokenizer t = ModelTokenizer.load(model(null))) {
            assertThat(t.info().eosToken()).isNull();
        }
        assertThatThrownBy(() -> ModelTokenizer.load(dir)).hasMessageContaining("has no tokenizer.json");
    }
}
