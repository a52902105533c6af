/**
 * The engine: serves a model directory as exported by Hugging Face Optimum, on ONNX Runtime.
 *
 * <p>Where to start reading: {@link DecoderModel} loads a directory (config, tokenizer, chat
 * template, the {@link ModelVariant}'s ONNX file) and generates one completion at a time;
 * {@link CompletionEngine} is the contract the worker uses, kept by {@link BatchEngine}
 * (continuous batching: {@code StepPlanner} decides each step, {@code BatchKv} holds the batch's KV
 * cache, {@code KvBudget} admits what fits in memory, {@code PrefixCache} reuses prompt prefixes) and by
 * {@link SequentialEngine} (batch size 1, the baseline). {@code DecoderSession} is the forward pass
 * over ONNX Runtime; {@code Decoding}, {@code Sampler} and {@code Penalties} pick tokens.
 *
 * <p>Classes that write model directories (the built-in model, q8 variants, synthetic models for
 * tests) live apart in {@link io.millrace.worker.model.build}; this package never uses them.
 */
package io.millrace.worker.model;
