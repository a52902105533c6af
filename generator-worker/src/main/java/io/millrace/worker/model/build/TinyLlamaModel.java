package io.millrace.worker.model.build;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.worker.model.JsonFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a tiny Llama-architecture decoder with seeded weights in the directory layout of a Hugging
 * Face Optimum export, in one of the {@link LlamaVariant} layouts: 2 layers, 4 attention heads over
 * 2 key/value heads of size 16, so that loading and generation are tested on the interfaces real
 * Llama, Qwen2 and Phi-3 exports have, not only on GPT-2's. The tokenizer and ChatML template are
 * the built-in model's ({@link TinyModel}). Deterministic: the same variant gives the same bytes.
 */
public final class TinyLlamaModel {
    public static final int LAYERS = 2;
    public static final int HEADS = 4;
    public static final int KV_HEADS = 2;
    public static final int HIDDEN = 64;
    static final int INTERMEDIATE = 128;
    public static final int CONTEXT = 256;
    static final double RMS_NORM_EPS = 1e-6;
    static final double ROPE_THETA = 10000.0;
    static final long WEIGHT_SEED = 20250301L;

    private TinyLlamaModel() {}

    /** Writes a complete model directory; creates dir if needed. */
    public static void write(Path dir, LlamaVariant variant) throws IOException {
        Files.createDirectories(dir);
        BpeTrainer.Vocabulary vocabulary = new BpeTrainer(TinyModel.MAX_MERGES, 2).train(TinyModel.corpus());
        int vocabSize = vocabulary.tokenIds().size() + TinyModel.SPECIAL_TOKENS.size();
        int endOfText = TokenizerJsonWriter.specialTokenId(vocabulary, TinyModel.SPECIAL_TOKENS, TinyModel.END_OF_TEXT);
        int imEnd = TokenizerJsonWriter.specialTokenId(vocabulary, TinyModel.SPECIAL_TOKENS, TinyModel.IM_END);

        JsonFiles.write(dir.resolve("tokenizer.json"), TokenizerJsonWriter.toJson(vocabulary, TinyModel.SPECIAL_TOKENS));
        JsonFiles.write(dir.resolve("tokenizer_config.json"), tokenizerConfig());
        JsonFiles.write(dir.resolve("config.json"), config(variant, vocabSize, endOfText, imEnd));
        LlamaGraphBuilder.Dimensions dims = new LlamaGraphBuilder.Dimensions(vocabSize, HIDDEN, INTERMEDIATE, LAYERS, HEADS,
                KV_HEADS, (float) RMS_NORM_EPS, (float) ROPE_THETA);
        Files.deleteIfExists(dir.resolve(variant.merged() ? "model.onnx" : "decoder_model_merged.onnx"));
        Files.write(dir.resolve(variant.modelFile()), LlamaGraphBuilder.build(dims, variant, WEIGHT_SEED).toByteArray());
    }

    /** config.json as transformers writes it for LlamaForCausalLM / Qwen2ForCausalLM. */
    private static ObjectNode config(LlamaVariant variant, int vocabSize, int bos, int eos) {
        boolean qwen = variant.modelType().equals("qwen2");
        ObjectNode c = JsonFiles.object();
        c.putArray("architectures").add(qwen ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
        c.put("attention_bias", variant.qkvBias());
        c.put("bos_token_id", bos);
        c.put("eos_token_id", eos);
        c.put("head_dim", HIDDEN / HEADS);
        c.put("hidden_act", "silu");
        c.put("hidden_size", HIDDEN);
        c.put("initializer_range", 0.02);
        c.put("intermediate_size", INTERMEDIATE);
        c.put("max_position_embeddings", CONTEXT);
        c.put("model_type", variant.modelType());
        c.put("num_attention_heads", HEADS);
        c.put("num_hidden_layers", LAYERS);
        c.put("num_key_value_heads", KV_HEADS);
        c.put("rms_norm_eps", RMS_NORM_EPS);
        c.putNull("rope_scaling");
        c.put("rope_theta", ROPE_THETA);
        c.put("tie_word_embeddings", false);
        c.put("torch_dtype", variant.fp16() ? "float16" : "float32");
        c.put("use_cache", true);
        c.put("vocab_size", vocabSize);
        return c;
    }

    private static ObjectNode tokenizerConfig() {
        ObjectNode c = JsonFiles.object();
        c.put("add_bos_token", false);
        c.put("add_prefix_space", false);
        c.putNull("bos_token");
        c.put("chat_template", TinyModel.CHAT_TEMPLATE);
        c.put("clean_up_tokenization_spaces", false);
        c.put("eos_token", TinyModel.IM_END);
        c.put("model_max_length", CONTEXT);
        c.put("pad_token", TinyModel.END_OF_TEXT);
        c.put("tokenizer_class", "Qwen2Tokenizer");
        return c;
    }
}
