package io.millrace.worker.model;

import ai.onnxruntime.OrtException;
import io.millrace.tokenizer.ChatTemplate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A loaded decoder-only model directory (Hugging Face Optimum export layout): {@code model.onnx}
 * or {@code decoder_model_merged.onnx}, {@code config.json}, optional
 * {@code generation_config.json}, {@code tokenizer.json} and {@code tokenizer_config.json} with a
 * chat template. Another {@link ModelVariant} of the decoder ({@code model_quantized.onnx}, ...) may
 * be loaded instead of the full-precision one, at the root or under {@code onnx/} ({@link ModelFiles}).
 *
 * <p>{@link #generate} runs on ONNX Runtime with a KV cache, at batch size 1: a completion depends
 * only on its prompt and {@link SamplingParams}, and the same prompt and seed give the same
 * completion on the same hardware. {@link BatchEngine} serves many requests over one model with the
 * same per-request token picking ({@link Decoding}) and matches generate's greedy output.
 *
 * <p>Thread-safety: {@link #generate}, {@link #encodeChat} and the accessors may be called from any
 * thread (an ONNX Runtime session runs concurrent calls); call {@link #close} only after the last
 * generate has returned and every engine over the model is closed.
 */
public final class DecoderModel implements AutoCloseable {
    private static final String IM_END = "<|im_end|>";

    private final String name;
    private final ModelVariant variant;
    private final ModelConfig config;
    private final HfTokenizer tokenizer;
    private final ChatTemplate chatTemplate;
    private final DecoderSession session;
    private final int[] eosTokenIds;

    private DecoderModel(String name, ModelVariant variant, ModelConfig config, HfTokenizer tokenizer, ChatTemplate chatTemplate,
            DecoderSession session, int[] eosTokenIds) {
        this.name = name;
        this.variant = variant;
        this.config = config;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
        this.session = session;
        this.eosTokenIds = eosTokenIds;
    }

    /** Loads a model directory, failing with a {@link ModelLoadException} that names what is missing and how to fix it. */
    public static DecoderModel load(Path dir) {
        return load(dir, ModelVariant.FP32);
    }

    /**
     * Loads a variant of a model directory: its decoder file ({@link ModelFiles#locate}), the
     * directory's config and tokenizer; served as {@link ModelVariant#servedName}.
     */
    public static DecoderModel load(Path dir, ModelVariant variant) {
        return load(dir, variant, SessionSettings.defaults());
    }

    /** As {@link #load(Path, ModelVariant)}, its ONNX Runtime session run with {@code session} ({@code worker.ort.*}). */
    public static DecoderModel load(Path dir, ModelVariant variant, SessionSettings session) {
        if (!Files.isDirectory(dir)) {
            throw new ModelLoadException("model directory " + dir + " does not exist: export the model there with"
                    + " optimum-cli export onnx --task text-generation-with-past, or write the built-in one with TinyModel.write");
        }
        Path modelFile = ModelFiles.locate(dir, variant);
        requireFile(dir, "config.json", "copy the model's config.json beside the ONNX file");
        requireFile(dir, "tokenizer.json", "export it with optimum-cli export onnx (which saves the tokenizer)"
                + " or copy it beside " + modelFile.getFileName());
        ModelConfig config = ModelConfig.read(dir);
        ChatTemplate chatTemplate;
        try {
            chatTemplate = ChatTemplate.read(dir);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(e.getMessage(), e);
        }
        HfTokenizer tokenizer = HfTokenizer.load(dir.resolve("tokenizer.json"));
        try {
            Set<Integer> eos = new HashSet<>(config.eosTokenIds());
            // ChatML models end a turn with <|im_end|> even where config.json names only <|endoftext|>.
            tokenizer.singleTokenId(IM_END).ifPresent(eos::add);
            if (eos.isEmpty()) {
                throw new ModelLoadException(dir.resolve("config.json") + " has no eos_token_id (nor has generation_config.json):"
                        + " add the id of the token that ends the model's answers");
            }
            DecoderSession decoder = new DecoderSession(modelFile, config, session);
            int[] eosIds = eos.stream().mapToInt(Integer::intValue).sorted().toArray();
            return new DecoderModel(variant.servedName(dir.toAbsolutePath().normalize().getFileName().toString()), variant, config, tokenizer,
                    chatTemplate, decoder, eosIds);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    /** The served model name: the directory's file name, with the variant's suffix unless it is fp32. */
    public String name() {
        return name;
    }

    /** Which of the directory's decoder files this is. */
    public ModelVariant variant() {
        return variant;
    }

    /** Positions the model can attend over, prompt and completion together (config.json n_positions / max_position_embeddings). */
    public int contextLength() {
        return config.contextLength();
    }

    /** "CUDA" or "CPU". */
    public String executionProvider() {
        return session.executionProvider();
    }

    /** Renders the chat template with the generation prompt and tokenizes the result, adding no other special tokens. */
    public int[] encodeChat(List<ChatMessage> messages) {
        return tokenizer.encode(chatTemplate.render(messages));
    }

    /**
     * Tokenizes a {@code /v1/completions} prompt as it is, no chat template; special tokens only as
     * the tokenizer adds them by default ({@link HfTokenizer#encodeWithSpecialTokens}).
     */
    public int[] encodePrompt(String text) {
        return tokenizer.encodeWithSpecialTokens(text);
    }

    /** The text of token ids, special tokens left out: an echoed token-id prompt. */
    public String decode(int[] ids) {
        return tokenizer.decode(ids, ids.length);
    }

    /** A token's text as logprobs show it: its bytes decoded alone (U+FFFD for part of a character). */
    public String tokenText(int id) {
        return new String(tokenizer.tokenBytes(id), java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * The bytes the token adds to decoded text: its bytes, or none for a special token (a BOS), which
     * {@link #decode} and an echoed prompt leave out. What {@code text_offset} counts.
     */
    public byte[] textBytes(int id) {
        return tokenizer.special(id) ? new byte[0] : tokenizer.tokenBytes(id);
    }

    /**
     * Generates a completion of {@code promptIds}: stops at an end-of-sequence token, a stop string,
     * {@code maxNewTokens}, or the end of the context, whichever comes first.
     *
     * @throws IllegalArgumentException if the prompt leaves no room for a new token in the context
     */
    public Completion generate(int[] promptIds, SamplingParams params) {
        Decoding decoding = startDecoding(promptIds, params, System.nanoTime());
        if (decoding.finished() && !decoding.scoresPrompt()) {
            return decoding.completion();
        }
        try {
            decode(promptIds, decoding);
        } catch (OrtException e) {
            throw new IllegalStateException("onnxruntime failed while generating with " + name + ": " + e.getMessage(), e);
        }
        return decoding.completion();
    }

    /**
     * Checks the prompt and starts its completion: the budget of new tokens and the sampling seed
     * (the request's, else one derived from the prompt).
     *
     * @throws IllegalArgumentException if the prompt is empty or leaves no room for a new token
     */
    Decoding startDecoding(int[] promptIds, SamplingParams params, long startNanos) {
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: a decoder needs at least one token to continue");
        }
        if (promptIds.length + 1 > contextLength()) {
            throw new IllegalArgumentException("prompt has " + promptIds.length + " tokens but model " + name
                    + " has a context of " + contextLength() + " tokens: shorten the messages");
        }
        int budget = Math.min(params.maxNewTokens(), contextLength() - promptIds.length);
        long seed = params.seed() != null ? params.seed() : seedFrom(promptIds);
        return new Decoding(promptIds, params, budget, seed, tokenizer, eosTokenIds, startNanos);
    }

    DecoderSession session() {
        return session;
    }

    /** Prefills the whole prompt in one step, then feeds back one picked token per step. */
    private void decode(int[] promptIds, Decoding decoding) throws OrtException {
        long[] ids = Arrays.stream(promptIds).asLongStream().toArray();
        KvCache cache = session.emptyCache(1);
        try {
            boolean prefill = true;
            while (true) {
                DecoderSession.Step step = session.forward(new long[][] {ids}, new long[][] {ones(cache.length() + ids.length)},
                        new long[][] {positions(cache.length(), ids.length)}, cache, prefill && decoding.scoresPrompt());
                cache.close();
                cache = step.cache();
                if (prefill && decoding.scoresPrompt()) {
                    decoding.scorePrompt(step.logits()[0], 0);
                }
                if (decoding.finished()) {
                    return; // an echo request with no new tokens: the prompt was all it wanted scored
                }
                decoding.accept(step.lastLogits()[0]);
                if (decoding.finished()) {
                    return;
                }
                ids = new long[] {decoding.lastToken()};
                prefill = false;
            }
        } finally {
            cache.close();
        }
    }

    @Override
    public void close() {
        session.close();
        tokenizer.close();
    }

    /**
     * FNV-1a over the prompt ids: without a seed, a retried request (generation is at-least-once)
     * reproduces the completion it had before.
     */
    static long seedFrom(int[] promptIds) {
        long h = 0xcbf29ce484222325L;
        for (int id : promptIds) {
            h = (h ^ id) * 0x100000001b3L;
        }
        return h;
    }

    private static long[] ones(int n) {
        long[] a = new long[n];
        Arrays.fill(a, 1L);
        return a;
    }

    private static long[] positions(int from, int n) {
        long[] a = new long[n];
        for (int i = 0; i < n; i++) {
            a[i] = from + i;
        }
        return a;
    }

    private static void requireFile(Path dir, String file, String fix) {
        if (!Files.isRegularFile(dir.resolve(file))) {
            throw new ModelLoadException("model directory " + dir + " has no " + file + ": " + fix);
        }
    }
}
