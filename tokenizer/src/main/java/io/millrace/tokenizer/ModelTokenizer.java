package io.millrace.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A model directory's tokenizer as a server outside the worker shows it (vLLM's
 * {@code /tokenize}, {@code /detokenize}, {@code /tokenizer_info}): {@code tokenizer.json} run by
 * the Rust tokenizers library (through DJL, as the worker runs it), and the special tokens and
 * chat template of {@code tokenizer_config.json}.
 *
 * <p>{@link #encode} with {@code addSpecialTokens} follows Hugging Face's
 * {@code tokenizer(text, add_special_tokens=...)}: true applies the post-processor of
 * tokenizer.json (a BOS for Llama-style tokenizers, nothing for GPT-2's), which is also how the
 * worker encodes a {@code /v1/completions} prompt. Thread-safe; close it to free the native tokenizer.
 */
public final class ModelTokenizer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What {@code tokenizer_config.json} says; absent values are null. */
    public record Info(String eosToken, String bosToken, String padToken, String unkToken, String chatTemplate,
            Long modelMaxLength, Boolean addBosToken) {}

    private final String name;
    private final HuggingFaceTokenizer tokenizer;
    private final Info info;
    /** Null when the directory has none that renders; {@link #noTemplate} says why. */
    private final ChatTemplate chatTemplate;
    private final String noTemplate;

    private ModelTokenizer(String name, HuggingFaceTokenizer tokenizer, Info info, ChatTemplate chatTemplate, String noTemplate) {
        this.name = name;
        this.tokenizer = tokenizer;
        this.info = info;
        this.chatTemplate = chatTemplate;
        this.noTemplate = noTemplate;
    }

    /** Loads {@code dir/tokenizer.json} and, when present, {@code dir/tokenizer_config.json}; the name is the directory's. */
    public static ModelTokenizer load(Path dir) {
        return load(dir, dir.toAbsolutePath().normalize().getFileName().toString());
    }

    /** As {@link #load(Path)}, for a model served under another name (a variant: {@code gpt2-q8}). */
    public static ModelTokenizer load(Path dir, String name) {
        Path file = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("model directory " + dir + " has no tokenizer.json: export the model with"
                    + " optimum-cli export onnx, which saves it");
        }
        Info info = readInfo(dir.resolve("tokenizer_config.json"));
        ChatTemplate chatTemplate = null;
        String noTemplate = null;
        try {
            chatTemplate = ChatTemplate.read(dir);
        } catch (IllegalArgumentException e) {
            // Prompts still tokenize; only a conversation cannot (a worker would not load this model for chat).
            noTemplate = e.getMessage();
        }
        HuggingFaceTokenizer tokenizer;
        try {
            // DJL otherwise applies its own defaults (truncation to 512 tokens, padding).
            tokenizer = HuggingFaceTokenizer.newInstance(file, Map.of("truncation", "false", "padding", "false"));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot load " + file + ": " + e.getMessage()
                    + " (it must be a Hugging Face tokenizers JSON file, as saved by tokenizer.save_pretrained)", e);
        }
        return new ModelTokenizer(name, tokenizer, info, chatTemplate, noTemplate);
    }

    /** The served model's name: its directory's, or the one given, as workers serve it. */
    public String name() {
        return name;
    }

    public Info info() {
        return info;
    }

    public int[] encode(String text, boolean addSpecialTokens) {
        long[] ids = tokenizer.encode(text, addSpecialTokens, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /**
     * The ids of a conversation as the worker generates from it: the chat template rendered (with
     * the assistant's generation prompt when {@code addGenerationPrompt}; or, when
     * {@code continueLastTurn}, cut after the last turn's content) and encoded, with the
     * tokenizer's own special tokens only when {@code addSpecialTokens} (the template spells out
     * those it wants; the worker adds none).
     *
     * @throws IllegalStateException    when the model directory has no chat template that renders
     * @throws IllegalArgumentException when the template rejects the conversation
     */
    public int[] encodeChat(java.util.List<? extends ChatTemplate.Turn> messages, boolean addGenerationPrompt,
            boolean continueLastTurn, boolean addSpecialTokens) {
        if (chatTemplate == null) {
            throw new IllegalStateException("model '" + name + "' has no chat template to render messages with: " + noTemplate);
        }
        String text = continueLastTurn ? chatTemplate.renderContinuingLastTurn(messages) : chatTemplate.render(messages, addGenerationPrompt);
        return encode(text, addSpecialTokens);
    }

    /** The text of ids, special tokens kept (as vLLM's /detokenize, so a round trip loses nothing). */
    public String decode(int[] ids) {
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            longs[i] = ids[i];
        }
        return tokenizer.decode(longs, false);
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    private static Info readInfo(Path config) {
        if (!Files.isRegularFile(config)) {
            return new Info(null, null, null, null, null, null, null);
        }
        JsonNode c;
        try {
            c = JSON.readTree(config.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + config + ": " + e.getMessage()
                    + " (it must be the JSON file tokenizer.save_pretrained writes)", e);
        }
        JsonNode max = c.get("model_max_length");
        return new Info(token(c.get("eos_token")), token(c.get("bos_token")), token(c.get("pad_token")), token(c.get("unk_token")),
                c.path("chat_template").isTextual() ? c.get("chat_template").asText() : null,
                max != null && max.canConvertToLong() ? max.asLong() : null,
                c.path("add_bos_token").isBoolean() ? c.get("add_bos_token").asBoolean() : null);
    }

    /** A special token as transformers saves it: a string, or an AddedToken object with its {@code content}. */
    private static String token(JsonNode t) {
        if (t == null || t.isNull()) {
            return null;
        }
        return t.isTextual() ? t.asText() : t.path("content").isTextual() ? t.get("content").asText() : null;
    }
}
