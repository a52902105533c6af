package io.millrace.worker.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A Hugging Face {@code tokenizer.json} run by the Rust tokenizers library (through DJL). Text is
 * encoded without the post-processor's special tokens: the chat template already spells out every
 * special token the model expects, and added tokens in the text (such as {@code <|im_start|>})
 * are matched literally to their single ids.
 */
final class HfTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    private final TokenBytes tokenBytes;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, TokenBytes tokenBytes) {
        this.tokenizer = tokenizer;
        this.tokenBytes = tokenBytes;
    }

    static HfTokenizer load(Path tokenizerJson) {
        HuggingFaceTokenizer tokenizer;
        try {
            // DJL otherwise applies its own defaults (truncation to 512 tokens, special tokens added).
            tokenizer = HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of(
                    "addSpecialTokens", "false",
                    "truncation", "false",
                    "padding", "false"));
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException("cannot load " + tokenizerJson + ": " + e.getMessage()
                    + " (it must be a Hugging Face tokenizers JSON file, as saved by tokenizer.save_pretrained)", e);
        }
        try {
            return new HfTokenizer(tokenizer, TokenBytes.read(JsonFiles.read(tokenizerJson)));
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    int[] encode(String text) {
        Encoding encoding = tokenizer.encode(text, false, false);
        long[] ids = encoding.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /**
     * Encodes text as Hugging Face's {@code tokenizer(text)} does by default
     * ({@code add_special_tokens=True}): the post-processor adds what the model's tokenizer.json
     * says it adds (a BOS for Llama-style tokenizers, nothing for GPT-2's). This is how vLLM
     * encodes a {@code /v1/completions} prompt, which has no chat template to spell them out.
     */
    int[] encodeWithSpecialTokens(String text) {
        long[] ids = tokenizer.encode(text, true, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /** Decodes ids to text, leaving special tokens out. */
    String decode(int[] ids, int length) {
        long[] longs = new long[length];
        for (int i = 0; i < length; i++) {
            longs[i] = ids[i];
        }
        return tokenizer.decode(longs, true);
    }

    /** The token's exact UTF-8 bytes (possibly part of a character); empty for an id outside the vocabulary. */
    byte[] tokenBytes(int id) {
        return tokenBytes.of(id);
    }

    /** Whether decoding to text leaves the token out (a special token such as a BOS). */
    boolean special(int id) {
        return tokenBytes.special(id);
    }

    /** The id of a token that the tokenizer maps to exactly one id, such as an added special token. */
    OptionalInt singleTokenId(String token) {
        Encoding encoding = tokenizer.encode(token, false, false);
        String[] tokens = encoding.getTokens();
        return tokens.length == 1 && tokens[0].equals(token)
                ? OptionalInt.of(Math.toIntExact(encoding.getIds()[0]))
                : OptionalInt.empty();
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
