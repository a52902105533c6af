package io.millrace.worker;

import io.millrace.worker.model.CompletionEngine;
import io.millrace.worker.model.DecoderModel;

/**
 * A model this worker serves: the loaded model (chat template, tokenizer, context length), the
 * engine that generates with it and its meters.
 */
record ServedModel(DecoderModel model, CompletionEngine engine, WorkerMetrics.Model metrics) {}
