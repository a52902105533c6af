package io.millrace.worker.model;

import ai.onnxruntime.OrtException;
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
 * chat template.
 *
 * <p>Generation runs on ONNX Runtime with a KV cache, at batch size 1: a completion depends only
 * on its prompt and {@link SamplingParams}, never on what else the worker is generating, and the
 * same prompt and seed give the same completion on the same hardware.
 *
 * <p>Thread-safety: call {@link #generate} from one thread at a time (the worker's inference
 * thread); {@link #encodeChat} and the accessors may be called from any thread; call
 * {@link #close} only after the last generate has returned.
 */
public final class DecoderModel implements AutoCloseable {
    private static final String IM_END = "<|im_end|>";

    private final String name;
    private final ModelConfig config;
    private final HfTokenizer tokenizer;
    private final ChatTemplate chatTemplate;
    private final DecoderSession session;
    private final int[] eosTokenIds;

    private DecoderModel(String name, ModelConfig config, HfTokenizer tokenizer, ChatTemplate chatTemplate,
            DecoderSession session, int[] eosTokenIds) {
        this.name = name;
        this.config = config;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
        this.session = session;
        this.eosTokenIds = eosTokenIds;
    }

    /** Loads a model directory, failing with a {@link ModelLoadException} that names what is missing and how to fix it. */
    public static DecoderModel load(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ModelLoadException("model directory " + dir + " does not exist: export the model there with"
                    + " optimum-cli export onnx --task text-generation-with-past, or write the built-in one with TinyModel.write");
        }
        Path modelFile = modelFile(dir);
        requireFile(dir, "config.json", "copy the model's config.json beside the ONNX file");
        requireFile(dir, "tokenizer.json", "export it with optimum-cli export onnx (which saves the tokenizer)"
                + " or copy it beside " + modelFile.getFileName());
        ModelConfig config = ModelConfig.read(dir);
        ChatTemplate chatTemplate = ChatTemplate.read(dir);
        HfTokenizer tokenizer = HfTokenizer.load(dir.resolve("tokenizer.json"));
        try {
            Set<Integer> eos = new HashSet<>(config.eosTokenIds());
            // ChatML models end a turn with <|im_end|> even where config.json names only <|endoftext|>.
            tokenizer.singleTokenId(IM_END).ifPresent(eos::add);
            if (eos.isEmpty()) {
                throw new ModelLoadException(dir.resolve("config.json") + " has no eos_token_id (nor has generation_config.json):"
                        + " add the id of the token that ends the model's answers");
            }
            DecoderSession session = new DecoderSession(modelFile, config);
            int[] eosIds = eos.stream().mapToInt(Integer::intValue).sorted().toArray();
            return new DecoderModel(dir.toAbsolutePath().normalize().getFileName().toString(), config, tokenizer,
                    chatTemplate, session, eosIds);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    /** The served model name: the directory's file name. */
    public String name() {
        return name;
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
     * Generates a completion of {@code promptIds}: stops at an end-of-sequence token, a stop string,
     * {@code maxNewTokens}, or the end of the context, whichever comes first.
     *
     * @throws IllegalArgumentException if the prompt leaves no room for a new token in the context
     */
    public Completion generate(int[] promptIds, SamplingParams params) {
        long start = System.nanoTime();
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: a decoder needs at least one token to continue");
        }
        if (promptIds.length + 1 > contextLength()) {
            throw new IllegalArgumentException("prompt has " + promptIds.length + " tokens but model " + name
                    + " has a context of " + contextLength() + " tokens: shorten the messages");
        }
        int budget = Math.min(params.maxNewTokens(), contextLength() - promptIds.length);
        if (budget == 0) {
            return new Completion("", promptIds.length, 0, "length", 0, System.nanoTime() - start);
        }
        Sampler sampler = new Sampler(params.temperature(), params.topP(),
                params.seed() != null ? params.seed() : seedFrom(promptIds));
        try {
            return decode(promptIds, params.stop(), budget, sampler, start);
        } catch (OrtException e) {
            throw new IllegalStateException("onnxruntime failed while generating with " + name + ": " + e.getMessage(), e);
        }
    }

    private Completion decode(int[] promptIds, List<String> stop, int budget, Sampler sampler, long start) throws OrtException {
        int[] generated = new int[budget];
        int count = 0;
        int textTokens = 0;
        long firstToken = 0;
        String finish = "length";
        String stopTrimmed = null;
        long[] ids = Arrays.stream(promptIds).asLongStream().toArray();
        KvCache cache = session.emptyCache(1);
        try {
            while (true) {
                DecoderSession.Step step = session.forward(new long[][] {ids}, new long[][] {ones(cache.length() + ids.length)},
                        new long[][] {positions(cache.length(), ids.length)}, cache);
                cache.close();
                cache = step.cache();
                int token = sampler.next(step.lastLogits()[0]);
                if (count++ == 0) {
                    firstToken = System.nanoTime() - start;
                }
                if (isEos(token)) {
                    finish = "stop";
                    break;
                }
                generated[textTokens++] = token;
                if (!stop.isEmpty()) {
                    stopTrimmed = trimAtStop(tokenizer.decode(generated, textTokens), stop);
                    if (stopTrimmed != null) {
                        finish = "stop";
                        break;
                    }
                }
                if (count == budget) {
                    break;
                }
                ids = new long[] {token};
            }
        } finally {
            cache.close();
        }
        String text = stopTrimmed != null ? stopTrimmed : tokenizer.decode(generated, textTokens);
        return new Completion(text, promptIds.length, count, finish, firstToken, System.nanoTime() - start);
    }

    @Override
    public void close() {
        session.close();
        tokenizer.close();
    }

    private boolean isEos(int token) {
        return Arrays.binarySearch(eosTokenIds, token) >= 0;
    }

    /** The text before the earliest stop string, or null if none occurs. */
    private static String trimAtStop(String text, List<String> stop) {
        int cut = -1;
        for (String s : stop) {
            int at = text.indexOf(s);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        return cut < 0 ? null : text.substring(0, cut);
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

    private static Path modelFile(Path dir) {
        for (String candidate : new String[] {"model.onnx", "decoder_model_merged.onnx"}) {
            Path file = dir.resolve(candidate);
            if (Files.isRegularFile(file)) {
                return file;
            }
        }
        throw new ModelLoadException("model directory " + dir + " has no model.onnx or decoder_model_merged.onnx:"
                + " export the decoder with optimum-cli export onnx --task text-generation-with-past " + dir);
    }

    private static void requireFile(Path dir, String file, String fix) {
        if (!Files.isRegularFile(dir.resolve(file))) {
            throw new ModelLoadException("model directory " + dir + " has no " + file + ": " + fix);
        }
    }
}
