package io.millrace.worker.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which of a model directory's ONNX files is served: the precisions that Optimum and transformers.js
 * export beside {@code model.onnx}, named by transformers.js's {@code dtype} and found by its file
 * suffix ({@code dtype: "q8"} loads {@code model_quantized.onnx}), so a directory prepared for
 * transformers.js serves here unchanged and both load the same file.
 *
 * <p>The loader does not care how the file was made: a variant is any decoder with the Optimum
 * interface. Only the precision of past/present and logits is checked ({@link DecoderSession});
 * operators the variant uses (MatMulInteger for q8, MatMulNBits for q4) are onnxruntime's to run.
 */
public enum ModelVariant {
    /** The full-precision export: {@code model.onnx}. */
    FP32(""),
    /** float16 weights, cache and logits: {@code model_fp16.onnx}. */
    FP16("_fp16"),
    /** Dynamic int8 quantization (onnxruntime's quantize_dynamic, Optimum's default): {@code model_quantized.onnx}. */
    Q8("_quantized"),
    INT8("_int8"),
    UINT8("_uint8"),
    /** 4-bit block-quantized weights (MatMulNBits): {@code model_q4.onnx}. */
    Q4("_q4"),
    Q4F16("_q4f16"),
    BNB4("_bnb4");

    private final String suffix;

    ModelVariant(String suffix) {
        this.suffix = suffix;
    }

    /** transformers.js's name for it: {@code fp32}, {@code q8}, ... */
    public String dtype() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The file name of this variant of an export named {@code base} ({@code model}, {@code decoder_model_merged}). */
    public String fileName(String base) {
        return base + suffix + ".onnx";
    }

    /**
     * The name a model directory is served under with this variant: the directory's name, and for
     * any variant but fp32 a {@code -dtype} suffix, so that a request, its result and the metrics
     * say which precision answered, and two variants of one directory never share a name or a topic.
     */
    public String servedName(String directoryName) {
        return this == FP32 ? directoryName : directoryName + "-" + dtype();
    }

    /** The variant of a dtype name (case and blanks ignored); the message lists the choices. */
    public static ModelVariant parse(String dtype) {
        String d = dtype.trim().toLowerCase(Locale.ROOT);
        for (ModelVariant v : values()) {
            if (v.dtype().equals(d)) {
                return v;
            }
        }
        throw new IllegalArgumentException("'" + dtype + "' is not a model variant: use one of " + choices());
    }

    /** {@code fp32, fp16, q8, ...} */
    public static String choices() {
        return Arrays.stream(values()).map(ModelVariant::dtype).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return dtype();
    }
}
