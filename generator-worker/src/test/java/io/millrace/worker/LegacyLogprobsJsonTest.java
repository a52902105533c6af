package io.millrace.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.worker.model.DecoderModel;
import io.millrace.worker.model.TokenLogprob;
import io.millrace.worker.model.build.TinyModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LegacyLogprobsJsonTest {
    private static TokenLogprob t(int id, String text, double lp, TokenLogprob... top) {
        return new TokenLogprob(id, text, bytes(text), lp, List.of(top));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** A token holding part of a character: it decodes alone to U+FFFD. */
    private static TokenLogprob part(int id, int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return new TokenLogprob(id, "\uFFFD", b, -1.0, List.of());
    }

    private static List<Integer> offsets(ObjectNode json) {
        List<Integer> out = new ArrayList<>();
        json.get("text_offset").forEach(n -> out.add(n.asInt()));
        return out;
    }

    @Test
    void aCharacterSplitOverTwoTokensStartsWhereTheCharacterDoes() {
        // "Café?" with é (C3 A9) split over two tokens, then " x" generated after the echoed 5 characters.
        ObjectNode json = LegacyLogprobsJson.of("Caf", bytes("Caf"), List.of(part(1, 0xC3), part(2, 0xA9), t(3, "?", -1.0)),
                List.of(t(4, " x", -0.5)), 0, "Café?".codePointCount(0, 5));
        // By hand: C,a,f are 0-2; é starts at 3 and its second byte's token starts there too; ? is 4; " x" 5.
        // Counting each token's decoded text ("\uFFFD" twice) would give 0, 3, 4, 5, 6.
        assertThat(offsets(json)).containsExactly(0, 3, 3, 4, 5);
    }

    @Test
    void theTinyModelsTokensOfMixedTextStartWhereTheirCharactersDo(@TempDir Path dir) throws Exception {
        // The built-in model's byte-level tokenizer splits some of these characters over several tokens.
        String text = "The caf\u00e9's wheel \uD83D\uDE80 turns \u2014 \u65E5\u672C\u8A9E";
        TinyModel.write(dir);
        try (DecoderModel model = DecoderModel.load(dir)) {
            int[] ids = model.encodePrompt(text);
            List<TokenLogprob> rest = new ArrayList<>();
            for (int k = 1; k < ids.length; k++) {
                rest.add(new TokenLogprob(ids[k], model.tokenText(ids[k]), model.textBytes(ids[k]), -1.0, List.of()));
            }
            List<Integer> offsets = offsets(LegacyLogprobsJson.of(model.tokenText(ids[0]), model.textBytes(ids[0]), rest,
                    List.of(), 0, 0));
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            int at = 0;
            for (int k = 0; k < ids.length; k++) {
                // The offset is the index of the character that holds the token's first byte.
                String upTo = new String(Arrays.copyOf(utf8, at + 1), StandardCharsets.UTF_8);
                assertThat(offsets.get(k)).as("token %d at byte %d", k, at).isEqualTo(upTo.codePointCount(0, upTo.length()) - 1);
                at += model.textBytes(ids[k]).length;
            }
            assertThat(at).isEqualTo(utf8.length);
        }
    }

    @Test
    void offsetsCountCharactersNotUtf16Units() {
        // U+1F600 is one character (two UTF-16 units): Python, and so OpenAI, count it once.
        String smile = new String(Character.toChars(0x1F600));
        ObjectNode json = LegacyLogprobsJson.of("a", bytes("a"), List.of(t(1, smile, -1.0), t(2, "b", -1.0)), List.of(), 0, 3);
        assertThat(offsets(json)).containsExactly(0, 1, 2);
    }

    @Test
    void aBosTheEchoedTextLeavesOutTakesNoCharacters() {
        // "<s>" is not in the echoed text "Hi": the next token starts at 0, not 3.
        ObjectNode json = LegacyLogprobsJson.of("<s>", new byte[0], List.of(t(1, "Hi", -1.0)), List.of(t(2, "!", -1.0)), 0, 2);
        assertThat(offsets(json)).containsExactly(0, 0, 2);
    }

    @Test
    void echoPutsThePromptFirstWithANullFirstLogprob() {
        TokenLogprob best = t(7, " a", -0.1);
        ObjectNode json = LegacyLogprobsJson.of("He", bytes("He"), List.of(t(3, "llo", -2.0, best)), List.of(t(7, " a", -0.1, best)), 1, 5);
        assertThat(json.toString()).isEqualTo("{\"tokens\":[\"He\",\"llo\",\" a\"],"
                + "\"token_logprobs\":[null,-2.0,-0.1],"
                + "\"top_logprobs\":[null,{\" a\":-0.1,\"llo\":-2.0},{\" a\":-0.1}],"
                + "\"text_offset\":[0,2,5]}");
    }

    @Test
    void withoutEchoOnlyTheCompletionAndAnUnlikelyTokenIsFinite() {
        ObjectNode json = LegacyLogprobsJson.of(null, null, null, List.of(t(1, "x", Double.NEGATIVE_INFINITY, t(2, "y", -0.5))), 0, 0);
        assertThat(json.toString()).isEqualTo("{\"tokens\":[\"x\"],\"token_logprobs\":[-9999.0],"
                + "\"top_logprobs\":[{\"x\":-9999.0}],\"text_offset\":[0]}");
    }
}
