/**
 * Writes model directories; the engine that reads them is {@link io.millrace.worker.model}.
 *
 * <p>Why these classes exist, and why in the production jar: Millrace must run end to end without
 * downloading a model, so it writes its own built-in model ({@link TinyModel}, {@code millrace-tiny}:
 * seeded GPT-2 weights, a BPE tokenizer trained on a small corpus, the file layout of a Hugging Face
 * Optimum export) when it starts and on {@code millrace model init-tiny}; and it writes the q8
 * variant of any fp32 export ({@link DynamicQuantizer}, {@code millrace model quantize}) because
 * Python's onnxruntime, whose {@code quantize_dynamic} makes that file elsewhere, is not at hand.
 * Tests and benchmarks use the same builders for models the product does not ship: GPT-2 small's
 * shape ({@link ModelShape#GPT2_SMALL}) and the Llama-family export layouts ({@link TinyLlamaModel},
 * {@link LlamaVariant}), so the loader meets every layout it claims to serve with no download.
 *
 * <p>The rest are parts of those builders: {@link OnnxGraph} over the ONNX protobuf messages, the
 * graph builders per architecture, {@link BpeTrainer} and {@link TokenizerJsonWriter} for the
 * tokenizer. This package uses from the engine only what writer and reader must share (the byte-level
 * symbols, the JSON format, where a variant's file lives); the engine never uses this package, so
 * a reader of the engine can skip it.
 */
package io.millrace.worker.model.build;
