// Generation throughput of transformers.js (onnxruntime-node, CPU) on a model directory: the baseline
// (c) of benchmarks/generation.sh.
//
//   node bench.mjs MODEL_DIR PROMPTS.json --batch-size B [--dtype fp32|q8] [--tokens-out TOKENS.json] [--out RESULT.json]
//
// --dtype: which file transformers.js loads (q8: model_quantized.onnx beside model.onnx); --tokens-out:
// each prompt's generated ids, {"tokens": [[..], ..]}, for the q8 comparison (QuantizedComparison).
//
// PROMPTS.json: {"new_tokens": M, "pad_token_id": P, "prompts": [{"ids": [..]}, ...]} (as
// GenerationBenchmark writes it). The prompts run in order, B at a time, as one generate() call per
// batch: left-padded with P, attention_mask 0 over the padding (transformers.js derives position_ids
// from it), greedy, max_new_tokens M. Static batching: a batch ends when its longest row ends.
//
// Measured after the model is loaded and warmed up (one short generate):
//   tokens_per_second     new tokens of all prompts / wall time of all batches
//   ttft_avg_ms           per prompt, from the start of the run (every prompt is submitted then) until
//                         its batch produced its first new token, averaged
//   peak_rss_bytes        process.resourceUsage().maxRSS of this process (one process per batch size)
//   load_average_*        the 1-minute load average before and after: above the CPU count, something
//                         else competed for the CPUs
// The run fails if a row produced an end-of-sequence token: every prompt must generate M tokens.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { env, AutoModelForCausalLM, Tensor } from '@huggingface/transformers';

const args = process.argv.slice(2);
const positional = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const [modelDir, promptsFile] = positional;
const batchSize = Number(option('batch-size', '8'));
const outFile = option('out', null);
const dtype = option('dtype', 'fp32');
const tokensOut = option('tokens-out', null);
if (!modelDir || !promptsFile || !(batchSize > 0)) {
  console.error('usage: node bench.mjs MODEL_DIR PROMPTS.json --batch-size B [--dtype fp32|q8] [--tokens-out TOKENS.json] [--out RESULT.json]');
  process.exit(2);
}

env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = '';
const dir = path.resolve(modelDir);
const spec = JSON.parse(readFileSync(promptsFile, 'utf8'));
const newTokens = spec.new_tokens;
const pad = BigInt(spec.pad_token_id);
const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
const generationConfig = JSON.parse(readFileSync(path.join(dir, 'generation_config.json'), 'utf8'));
const eos = new Set([config.eos_token_id, generationConfig.eos_token_id].flat().filter((x) => x != null).map(Number));

const loadStart = performance.now();
const model = await AutoModelForCausalLM.from_pretrained(dir, { subfolder: '', dtype, device: 'cpu' });
const loadMs = performance.now() - loadStart;

function batchInputs(rows) {
  const width = Math.max(...rows.map((r) => r.length));
  const ids = new BigInt64Array(rows.length * width).fill(pad);
  const mask = new BigInt64Array(rows.length * width);
  rows.forEach((r, b) => {
    const offset = b * width + (width - r.length);
    r.forEach((id, j) => {
      ids[offset + j] = BigInt(id);
      mask[offset + j] = 1n;
    });
  });
  return {
    input_ids: new Tensor('int64', ids, [rows.length, width]),
    attention_mask: new Tensor('int64', mask, [rows.length, width]),
    width,
  };
}

/** A streamer that notes when the first new tokens arrive (put() is called with the prompt first). */
class FirstTokenClock {
  constructor() {
    this.calls = 0;
    this.firstTokenAt = null;
  }
  put() {
    if (++this.calls === 2) {
      this.firstTokenAt = performance.now();
    }
  }
  end() {}
}

// Warm-up: onnxruntime's first runs allocate and plan; not part of the measurement.
{
  const { input_ids, attention_mask } = batchInputs(spec.prompts.slice(0, Math.min(batchSize, spec.prompts.length)).map((p) => p.ids));
  await model.generate({ input_ids, attention_mask, max_new_tokens: 4, do_sample: false });
}

const loadAtStart = os.loadavg()[0];
const start = performance.now();
const ttfts = [];
const tokens = [];
let generated = 0;
let paddingTokens = 0;
const completions = [];
for (let i = 0; i < spec.prompts.length; i += batchSize) {
  const rows = spec.prompts.slice(i, i + batchSize).map((p) => p.ids);
  const { input_ids, attention_mask, width } = batchInputs(rows);
  const clock = new FirstTokenClock();
  const out = await model.generate({ input_ids, attention_mask, max_new_tokens: newTokens, do_sample: false, streamer: clock });
  const sequences = out.tolist();
  sequences.forEach((seq, b) => {
    const fresh = seq.slice(width).map(Number);
    if (fresh.length !== newTokens || fresh.some((t) => eos.has(t))) {
      throw new Error(`prompt ${i + b}: generated ${fresh.length} tokens${fresh.some((t) => eos.has(t)) ? ' including an end-of-sequence token' : ''}, expected ${newTokens} without one`);
    }
    generated += fresh.length;
    tokens.push(fresh);
    completions.push(fresh);
    paddingTokens += width - rows[b].length;
    ttfts.push(clock.firstTokenAt - start);
  });
}
const wallMs = performance.now() - start;
const loadAtEnd = os.loadavg()[0];
await model.dispose();

const result = {
  engine: 'transformers.js',
  mode: `static batches of ${batchSize}, left padding${dtype === 'fp32' ? '' : `, ${dtype}`}`,
  variant: dtype,
  batch_size: batchSize,
  transformers_js_version: JSON.parse(readFileSync(new URL('./node_modules/@huggingface/transformers/package.json', import.meta.url))).version,
  onnxruntime_node_version: JSON.parse(readFileSync(new URL('./node_modules/onnxruntime-node/package.json', import.meta.url))).version,
  node_version: process.version,
  prompts: spec.prompts.length,
  new_tokens: newTokens,
  generated_tokens: generated,
  prompt_tokens: spec.prompts.reduce((n, p) => n + p.ids.length, 0),
  padding_tokens: paddingTokens,
  load_ms: loadMs,
  wall_ms: wallMs,
  tokens_per_second: generated / (wallMs / 1000),
  ttft_avg_ms: ttfts.reduce((a, b) => a + b, 0) / ttfts.length,
  peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
  load_average_at_start: loadAtStart,
  load_average_at_end: loadAtEnd,
  completions,
};
const json = JSON.stringify(result, null, 2);
if (tokensOut) {
  writeFileSync(tokensOut, JSON.stringify({ tokens }) + '\n');
}
if (outFile) {
  writeFileSync(outFile, json + '\n');
}
process.stdout.write(json + '\n');
