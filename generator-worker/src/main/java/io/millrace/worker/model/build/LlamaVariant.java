package io.millrace.worker.model.build;

/**
 * Which Optimum export layout {@link TinyLlamaModel} writes: the interface variations a real
 * decoder-only export can have, each of which the loader must handle.
 *
 * @param modelType config.json model_type: "llama", or "qwen2" (which adds q/k/v projection biases)
 * @param fp16 float16 weights, past/present and logits (optimum-cli export onnx --dtype fp16)
 * @param positionIds whether the graph takes position_ids; without, it derives positions from the
 *     attention mask (cumsum − 1), as some exports do
 * @param merged {@code decoder_model_merged.onnx} with a {@code use_cache_branch} input that an If
 *     node switches on, instead of {@code model.onnx}
 */
public record LlamaVariant(String name, String modelType, boolean fp16, boolean positionIds, boolean merged) {
    public static final LlamaVariant LLAMA_FP32 = new LlamaVariant("llama-fp32", "llama", false, true, false);
    public static final LlamaVariant QWEN2_FP16 = new LlamaVariant("qwen2-fp16", "qwen2", true, true, false);
    public static final LlamaVariant LLAMA_MERGED = new LlamaVariant("llama-merged", "llama", false, true, true);
    public static final LlamaVariant LLAMA_NO_POSITION_IDS = new LlamaVariant("llama-no-position-ids", "llama", false, false, false);

    public LlamaVariant {
        if (!modelType.equals("llama") && !modelType.equals("qwen2")) {
            throw new IllegalArgumentException("model_type " + modelType + " is not llama or qwen2");
        }
    }

    /** The ONNX file name Optimum gives this layout. */
    public String modelFile() {
        return merged ? "decoder_model_merged.onnx" : "model.onnx";
    }

    boolean qkvBias() {
        return modelType.equals("qwen2");
    }
}
