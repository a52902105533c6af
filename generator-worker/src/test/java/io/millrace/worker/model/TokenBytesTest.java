package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.millrace.worker.model.build.TinyModel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenBytesTest {
    @TempDir
    static Path dir;
    static HfTokenizer tokenizer;

    @BeforeAll
    static void load() throws Exception {
        TinyModel.write(dir);
        tokenizer = HfTokenizer.load(dir.resolve("tokenizer.json"));
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void byteLevelTokensJoinToTheTextsUtf8EvenAcrossSplitCharacters() {
        String text = "The café's wheel 🚀 turns — 日本語";
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (int id : tokenizer.encode(text)) {
            joined.writeBytes(tokenizer.tokenBytes(id));
        }
        assertThat(joined.toByteArray()).isEqualTo(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void specialTokensAreSpelledOutAndUnknownIdsAreEmpty() {
        int imEnd = tokenizer.singleTokenId("<|im_end|>").orElseThrow();
        assertThat(tokenizer.tokenBytes(imEnd)).isEqualTo("<|im_end|>".getBytes(StandardCharsets.UTF_8));
        assertThat(tokenizer.tokenBytes(1_000_000)).isEmpty();
    }

    @Test
    void addedTokensMarkedSpecialAreKnownAsSuch() throws Exception {
        TokenBytes bytes = TokenBytes.read(new ObjectMapper().readTree("""
                {"model": {"type": "BPE", "vocab": {"a": 0}}, "decoder": {"type": "ByteLevel"},
                 "added_tokens": [{"id": 1, "content": "<s>", "special": true}, {"id": 2, "content": "<tool>", "special": false}]}"""));
        assertThat(bytes.special(1)).isTrue();
        assertThat(bytes.special(2)).isFalse();
        assertThat(bytes.special(0)).isFalse();
    }

    @Test
    void sentencePieceVocabulariesMapTheSpaceMarkAndByteFallback() throws Exception {
        JsonNode json = new ObjectMapper().readTree("""
                {"model": {"type": "BPE", "vocab": {"\u2581the": 0, "<0xE2>": 1, "mill": 2}},
                 "decoder": {"type": "Sequence", "decoders": [{"type": "Replace"}, {"type": "ByteFallback"}]},
                 "added_tokens": [{"id": 3, "content": "</s>"}]}""");
        TokenBytes bytes = TokenBytes.read(json);
        assertThat(bytes.of(0)).isEqualTo(" the".getBytes(StandardCharsets.UTF_8));
        assertThat(bytes.of(1)).containsExactly((byte) 0xE2);
        assertThat(bytes.of(2)).isEqualTo("mill".getBytes(StandardCharsets.UTF_8));
        assertThat(bytes.of(3)).isEqualTo("</s>".getBytes(StandardCharsets.UTF_8));

        JsonNode unigram = new ObjectMapper().readTree("""
                {"model": {"type": "Unigram", "vocab": [["<unk>", 0.0], ["\u2581wheel", -2.5]]}}""");
        assertThat(TokenBytes.read(unigram).of(1)).isEqualTo(" wheel".getBytes(StandardCharsets.UTF_8));
    }
}
