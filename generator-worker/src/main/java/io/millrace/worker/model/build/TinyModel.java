package io.millrace.worker.model.build;

import ai.onnx.proto.OnnxMl;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.worker.model.JsonFiles;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes the built-in model: a tiny GPT-2-architecture decoder with seeded weights.
 *
 * <p>It exists so that every stage can run and be tested end to end without downloading a model:
 * the directory has the layout of a Hugging Face Optimum export (config, generation config,
 * tokenizer, tokenizer config with a ChatML chat template, {@code model.onnx}), so it exercises the
 * same loading and generation code as a real model. Its output is gibberish, but deterministic.
 */
public final class TinyModel {
    public static final String NAME = "millrace-tiny";

    static final double LAYER_NORM_EPSILON = 1e-5;
    static final long WEIGHT_SEED = 20240917L;
    /** An upper bound; the trainer stops earlier once no pair repeats in the corpus. */
    static final int MAX_MERGES = 600;

    public static final String END_OF_TEXT = "<|endoftext|>";
    static final String IM_START = "<|im_start|>";
    public static final String IM_END = "<|im_end|>";
    public static final List<String> SPECIAL_TOKENS = List.of(END_OF_TEXT, IM_START, IM_END);

    static final String CHAT_TEMPLATE = "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
            + "{{ message['content'] }}<|im_end|>\n{% endfor %}"
            + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    private static final String CORPUS = "tiny-corpus.txt";
    /** The external data file of shapes that store weights outside model.onnx. */
    public static final String EXTERNAL_DATA = "model.onnx_data";

    private TinyModel() {}

    /** Writes a complete model directory; byte-for-byte identical output on every run/machine. Creates dir if needed. */
    public static void write(Path dir) throws IOException {
        write(dir, ModelShape.TINY);
    }

    /**
     * Writes a model of the given shape with the same tokenizer recipe, template and seed: {@link
     * ModelShape#TINY} is the built-in model; {@link ModelShape#GPT2_SMALL} (124M parameters, about
     * 500 MB of weights in {@code model.onnx_data}) is for benchmarks. Deterministic for every shape.
     */
    public static void write(Path dir, ModelShape shape) throws IOException {
        Files.createDirectories(dir);
        BpeTrainer.Vocabulary vocabulary = new BpeTrainer(MAX_MERGES, 2).train(corpus());
        if (shape.vocabSize() > 0) {
            vocabulary = BpeTrainer.fill(vocabulary, shape.vocabSize() - SPECIAL_TOKENS.size());
        }
        int vocabSize = vocabulary.tokenIds().size() + SPECIAL_TOKENS.size();
        int endOfText = TokenizerJsonWriter.specialTokenId(vocabulary, SPECIAL_TOKENS, END_OF_TEXT);
        int imEnd = TokenizerJsonWriter.specialTokenId(vocabulary, SPECIAL_TOKENS, IM_END);

        JsonFiles.write(dir.resolve("tokenizer.json"), TokenizerJsonWriter.toJson(vocabulary, SPECIAL_TOKENS));
        JsonFiles.write(dir.resolve("tokenizer_config.json"), tokenizerConfig(vocabulary, shape));
        JsonFiles.write(dir.resolve("config.json"), config(vocabSize, endOfText, shape));
        ObjectNode generation = JsonFiles.object();
        generation.put("bos_token_id", endOfText);
        generation.putArray("eos_token_id").add(endOfText).add(imEnd);
        JsonFiles.write(dir.resolve("generation_config.json"), generation);

        int firstSpecial = vocabulary.tokenIds().size();
        Gpt2GraphBuilder.Dimensions dims = new Gpt2GraphBuilder.Dimensions(vocabSize, shape.nPositions(), shape.nEmbd(),
                shape.nLayer(), shape.nHead(), (float) LAYER_NORM_EPSILON,
                shape.zeroSpecialEmbeddings() ? firstSpecial : vocabSize);
        Path dataFile = dir.resolve(EXTERNAL_DATA);
        if (!shape.externalData()) {
            Files.deleteIfExists(dataFile);
            Files.write(dir.resolve("model.onnx"), Gpt2GraphBuilder.build(dims, WEIGHT_SEED).toByteArray());
            return;
        }
        OnnxMl.ModelProto model;
        try (OutputStream data = new BufferedOutputStream(Files.newOutputStream(dataFile), 1 << 20)) {
            model = Gpt2GraphBuilder.build(dims, WEIGHT_SEED, new OnnxGraph.ExternalData(EXTERNAL_DATA, data));
        }
        Files.write(dir.resolve("model.onnx"), model.toByteArray());
    }

    private static ObjectNode config(int vocabSize, int endOfText, ModelShape shape) {
        ObjectNode c = JsonFiles.object();
        c.put("activation_function", "gelu_new");
        c.putArray("architectures").add("GPT2LMHeadModel");
        c.put("attn_pdrop", 0.0);
        c.put("bos_token_id", endOfText);
        c.put("embd_pdrop", 0.0);
        c.put("eos_token_id", endOfText);
        c.put("initializer_range", 0.02);
        c.put("layer_norm_epsilon", LAYER_NORM_EPSILON);
        c.put("model_type", "gpt2");
        c.put("n_ctx", shape.nPositions());
        c.put("n_embd", shape.nEmbd());
        c.put("n_head", shape.nHead());
        c.putNull("n_inner");
        c.put("n_layer", shape.nLayer());
        c.put("n_positions", shape.nPositions());
        c.put("resid_pdrop", 0.0);
        c.put("scale_attn_weights", true);
        c.put("torch_dtype", "float32");
        c.put("use_cache", true);
        c.put("vocab_size", vocabSize);
        return c;
    }

    private static ObjectNode tokenizerConfig(BpeTrainer.Vocabulary vocabulary, ModelShape shape) {
        ObjectNode c = JsonFiles.object();
        c.put("add_bos_token", false);
        c.put("add_prefix_space", false);
        ObjectNode decoder = c.putObject("added_tokens_decoder");
        for (String special : SPECIAL_TOKENS) {
            ObjectNode t = decoder.putObject(Integer.toString(
                    TokenizerJsonWriter.specialTokenId(vocabulary, SPECIAL_TOKENS, special)));
            t.put("content", special);
            t.put("lstrip", false);
            t.put("normalized", false);
            t.put("rstrip", false);
            t.put("single_word", false);
            t.put("special", true);
        }
        c.put("bos_token", END_OF_TEXT);
        c.put("chat_template", CHAT_TEMPLATE);
        c.put("clean_up_tokenization_spaces", false);
        c.put("eos_token", END_OF_TEXT);
        c.put("errors", "replace");
        c.put("model_max_length", shape.nPositions());
        c.put("tokenizer_class", "GPT2Tokenizer");
        c.put("unk_token", END_OF_TEXT);
        return c;
    }

    /** The built-in model's training corpus, line endings normalized (also the benchmarks' prompt source). */
    public static String corpus() {
        try (InputStream in = TinyModel.class.getResourceAsStream(CORPUS)) {
            if (in == null) {
                throw new IllegalStateException(CORPUS + " is missing from the generator-worker jar");
            }
            // Line endings normalized so a checkout with CRLF conversion trains the same merges.
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("\r\n", "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
