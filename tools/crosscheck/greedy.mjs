// Greedy generation with transformers.js on a Millrace model directory, loaded unmodified from disk.
//
//   node greedy.mjs MODEL_DIR PROMPTS.json [--dtype fp32|q8|fp16|...] [--subfolder ''|onnx]
//
// --dtype picks the file as transformers.js does (q8: model_quantized.onnx), default fp32; --subfolder
// where it lies: '' (the default here) for Optimum's layout, onnx for the Hub's transformers.js layout.
//
// PROMPTS.json: {"prompts": [{"ids": [..], "max_new_tokens": N, "text": "..."?, "messages": [..]?}, ...]}
// Prints one JSON object: {"results": [{"generated_ids": [..], "decoded": "..", "text_ids": [..]?,
//   "chat_text": ".."?}, ...]}
//   generated_ids  the new tokens only (an end-of-sequence token, if the model chose one, is the last id)
//   text_ids       transformers.js's own tokenization of "text" (no special tokens added), when given
//   decoded        transformers.js's decoding of generated_ids, special tokens skipped
//   chat_text      transformers.js's rendering of "messages" with the directory's chat_template and
//                  the generation prompt, when given
// Each prompt runs alone (batch size 1, no padding), so the ids are exactly what the model was given.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { env, AutoTokenizer, AutoModelForCausalLM, Tensor } from '@huggingface/transformers';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args.splice(i, 2)[1] : fallback;
};
const dtype = option('dtype', 'fp32');
const subfolder = option('subfolder', '');
const [modelDir, promptsFile] = args;
if (!modelDir || !promptsFile) {
  console.error("usage: node greedy.mjs MODEL_DIR PROMPTS.json [--dtype fp32|q8|...] [--subfolder ''|onnx]");
  process.exit(2);
}

// Local files only: never reach for the Hugging Face Hub, read the directory as it is.
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = '';
const dir = path.resolve(modelDir);

const tokenizer = await AutoTokenizer.from_pretrained(dir);
// subfolder '' (the default here): model.onnx sits at the directory root (Optimum's layout), not under
// onnx/ (the Hub's transformers.js layout). dtype fp32 (the default here): the plain model.onnx.
const model = await AutoModelForCausalLM.from_pretrained(dir, { subfolder, dtype, device: 'cpu' });

const { prompts } = JSON.parse(readFileSync(promptsFile, 'utf8'));
const results = [];
for (const p of prompts) {
  const ids = p.ids.map(BigInt);
  const input_ids = new Tensor('int64', BigInt64Array.from(ids), [1, ids.length]);
  const attention_mask = new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
  const out = await model.generate({ input_ids, attention_mask, max_new_tokens: p.max_new_tokens, do_sample: false });
  const generated = out.tolist()[0].slice(ids.length).map(Number);
  const r = { generated_ids: generated, decoded: tokenizer.decode(generated, { skip_special_tokens: true }) };
  if (typeof p.text === 'string') {
    r.text_ids = tokenizer.encode(p.text, { add_special_tokens: false });
  }
  if (Array.isArray(p.messages)) {
    r.chat_text = tokenizer.apply_chat_template(p.messages, { tokenize: false, add_generation_prompt: true });
  }
  results.push(r);
}
await model.dispose();
process.stdout.write(JSON.stringify({ results }) + '\n');
