package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.tokenizer.ChatTemplate;
import io.millrace.worker.model.build.TinyModel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The trained tokenizer.json as the Rust tokenizers library runs it, and the ChatML template. */
class TokenizerTest {
    @TempDir
    static Path dir;
    static HfTokenizer tokenizer;

    @BeforeAll
    static void writeModel() throws Exception {
        TinyModel.write(dir);
        tokenizer = HfTokenizer.load(dir.resolve("tokenizer.json"));
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "The mill stands where the river bends.",
        "  leading and trailing spaces  ",
        "tabs\tand\nnew lines\r\n",
        "café, naïve, Größe, ñandú",
        "emoji 🚀🎉 and 👩‍👩‍👧 families",
        "日本語のテキスト",
        "numbers 3.14159 and 1,000,000",
        "code: if (x != null) { return x; }",
        "<|im_end|> literal special tokens <|endoftext|>"
    })
    void roundTripsText(String text) {
        int[] ids = tokenizer.encode(text);
        assertThat(ids).isNotEmpty();
        // Decoding keeps special tokens out, so compare against the text without them.
        assertThat(tokenizer.decode(ids, ids.length))
                .isEqualTo(text.replace("<|im_end|>", "").replace("<|endoftext|>", ""));
    }

    @Test
    void learnedMergesCompressEnglish() {
        String text = "The water turns the wheel and the miller grinds the grain.";
        assertThat(tokenizer.encode(text).length).isLessThan(text.length() / 2);
    }

    @Test
    void doesNotTruncateLongText() {
        String text = "the river and the wheel ".repeat(400);
        int[] ids = tokenizer.encode(text);
        assertThat(ids.length).isGreaterThan(512);
        assertThat(tokenizer.decode(ids, ids.length)).isEqualTo(text);
    }

    @Test
    void specialTokensAreSingleIds() {
        assertThat(tokenizer.singleTokenId("<|im_start|>")).isPresent();
        assertThat(tokenizer.singleTokenId("<|im_end|>")).isPresent();
        assertThat(tokenizer.singleTokenId("<|endoftext|>")).isPresent();
        int imStart = tokenizer.singleTokenId("<|im_start|>").getAsInt();
        assertThat(tokenizer.encode("<|im_start|>user")).startsWith(imStart).hasSizeGreaterThan(1);
        assertThat(tokenizer.singleTokenId("the river")).isEmpty();
    }

    @Test
    void chatTemplateRendersChatMl() {
        ChatTemplate template = ChatTemplate.read(dir);
        String rendered = template.render(List.of(
                new ChatMessage("system", "You are terse."),
                new ChatMessage("user", "Hi there!")));
        assertThat(rendered).isEqualTo("<|im_start|>system\nYou are terse.<|im_end|>\n"
                + "<|im_start|>user\nHi there!<|im_end|>\n"
                + "<|im_start|>assistant\n");
    }

    @Test
    void messageContentIsNeverInterpretedAsTemplate() {
        ChatTemplate template = ChatTemplate.read(dir);
        String content = "{{ 7 * 7 }} {% if true %}x{% endif %} {{ raise_exception('boom') }}";
        assertThat(template.render(List.of(new ChatMessage("user", content))))
                .isEqualTo("<|im_start|>user\n" + content + "<|im_end|>\n<|im_start|>assistant\n");
    }
}
