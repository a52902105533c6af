#!/usr/bin/env bash
# Generation benchmark (docs/BENCHMARKS.md): one GPT-2-small-shaped model (124M parameters, seeded
# weights, written here and never committed), the same prompts with greedy decoding of a fixed number
# of new tokens, run by
#   (a) Millrace's BatchEngine (continuous batching),
#   (b) Millrace's SequentialEngine (batch size 1),
#   (c) transformers.js on onnxruntime-node (static batches, left padding; each batch size given),
#   (d) a plain ONNX Runtime loop (Java binding; static batches, left padding; each batch size given),
# each in a process of its own, after measuring this machine's fp32 GEMM rate through the same ONNX
# Runtime (the ceiling). Prints tokens/s, GFLOP/s and share of the ceiling, average time to first token
# and peak memory of each and the ratios (a)/(b), (a)/(best c), (a)/(best d), and writes
# benchmarks/results/generation-<UTC date-time>.json.
#
# usage: benchmarks/generation.sh [--prompts 64] [--new-tokens 128] [--batch-sizes "4 8 16 32"]
#                                 [--engines "batch sequential transformers.js plain"] [--work-dir DIR] [--quick]
#        --quick: 16 prompts x 32 new tokens, transformers.js and the plain loop at batch size 8 only (a few minutes)
#        --q8: also the model's q8 variant (model_quantized.onnx, written by Millrace's DynamicQuantizer as
#              onnxruntime's quantize_dynamic does): our batch engine vs transformers.js dtype "q8" at the
#              batch size --q8-batch-size (default 16) on the same file, and the drift of both from our
#              fp32 tokens; writes benchmarks/results/generation-q8-<UTC date-time>.json
#        BENCH_JAVA_OPTS="-Xmx2g" (the default) sets the JVM options of the Java steps.
# A full run takes about 20 minutes on 2 CPUs; --prompts/--new-tokens make a quicker, smaller one.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prompts=64
new_tokens=128
batch_sizes="4 8 16 32"
engines="batch sequential transformers.js plain"
work=""
q8=0
q8_batch_size=16
while [ $# -gt 0 ]; do
  case "$1" in
    --prompts) prompts="$2"; shift 2 ;;
    --new-tokens) new_tokens="$2"; shift 2 ;;
    --batch-sizes) batch_sizes="$2"; shift 2 ;;
    --engines) engines="$2"; shift 2 ;;
    --work-dir) work="$2"; shift 2 ;;
    --quick) prompts=16; new_tokens=32; batch_sizes="8"; shift ;;
    --q8) q8=1; shift ;;
    --q8-batch-size) q8_batch_size="$2"; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "generation.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$work" ]; then
  work="$(mktemp -d "${TMPDIR:-/tmp}/millrace-bench.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work" "$root/benchmarks/results"
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

# shellcheck source=classpath.sh
source "$root/benchmarks/classpath.sh"
benchmark_classpath "$root" generator-worker "$work"
# BENCH_JAVA_OPTS: JVM options of the Java steps (default -Xmx2g; onnxruntime's memory is native, outside it).
read -r -a java_opts <<< "${BENCH_JAVA_OPTS:--Xmx2g}"
java_opts+=(-Dorg.slf4j.simpleLogger.defaultLogLevel=warn)
bench=io.millrace.worker.bench.GenerationBenchmark
if [[ " $engines " == *" transformers.js "* ]] || [ "$q8" = 1 ]; then
  "$root/tools/npm-ensure" "$root/tools/crosscheck"   # transformers.js, pinned; installs only when missing or stale
fi

model="$work/model"
log "writing the gpt2-small model to $model"
java "${java_opts[@]}" "$bench" write-model "$model" --shape gpt2-small
java "${java_opts[@]}" "$bench" prompts "$model" --prompts "$prompts" --new-tokens "$new_tokens" --out "$work/prompts.json"

log "measuring the fp32 GEMM ceiling through onnxruntime"
java "${java_opts[@]}" "$bench" ceiling --out "$work/ceiling.json" >/dev/null

results=()
for engine in $engines; do
  case "$engine" in
    batch|sequential)
      log "running ($([ "$engine" = batch ] && echo a || echo b)) Millrace $engine engine: $prompts prompts x $new_tokens tokens"
      # With --q8 the batch run also records its tokens (the fp32 reference of the drift): logprobs on.
      tokens_opt=()
      if [ "$q8" = 1 ] && [ "$engine" = batch ]; then tokens_opt=(--tokens-out "$work/batch.tokens.json"); fi
      java "${java_opts[@]}" "$bench" run "$model" "$work/prompts.json" --engine "$engine" "${tokens_opt[@]}" --out "$work/$engine.json" >/dev/null
      results+=("$work/$engine.json") ;;
    transformers.js)
      for bs in $batch_sizes; do
        log "running (c) transformers.js, batch size $bs"
        node "$root/tools/crosscheck/bench.mjs" "$model" "$work/prompts.json" --batch-size "$bs" --out "$work/transformers-js-$bs.json" >/dev/null
        results+=("$work/transformers-js-$bs.json")
      done ;;
    plain)
      for bs in $batch_sizes; do
        log "running (d) plain onnxruntime loop, batch size $bs"
        java "${java_opts[@]}" "$bench" run "$model" "$work/prompts.json" --engine plain --batch-size "$bs" --out "$work/plain-$bs.json" >/dev/null
        results+=("$work/plain-$bs.json")
      done ;;
    *) echo "generation.sh: unknown engine $engine (batch, sequential, transformers.js, plain)" >&2; exit 2 ;;
  esac
done

cpu="$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
machine="$(nproc) CPUs${cpu:+ ($cpu)}, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, $(uname -sm)"
report="$root/benchmarks/results/generation-$(date -u +%Y-%m-%dT%H%M%SZ).json"
java "${java_opts[@]}" "$bench" report --machine "$machine" --model "$model" --ceiling "$work/ceiling.json" --out "$report" "${results[@]}"

if [ "$q8" = 1 ]; then
  q8bench=io.millrace.worker.bench.QuantizedComparison
  if [ ! -f "$work/batch.tokens.json" ]; then
    log "running the fp32 batch engine for the q8 drift's reference tokens"
    java "${java_opts[@]}" "$bench" run "$model" "$work/prompts.json" --engine batch --tokens-out "$work/batch.tokens.json" \
      --out "$work/batch.json" >/dev/null
  fi
  log "writing the q8 variant (model_quantized.onnx)"
  java "${java_opts[@]}" "$q8bench" quantize "$model"
  log "running Millrace's batch engine on the q8 variant"
  java "${java_opts[@]}" "$bench" run "$model" "$work/prompts.json" --engine batch --variant q8 \
    --tokens-out "$work/batch-q8.tokens.json" --out "$work/batch-q8.json" >/dev/null
  log "running transformers.js dtype q8, batch size $q8_batch_size"
  node "$root/tools/crosscheck/bench.mjs" "$model" "$work/prompts.json" --batch-size "$q8_batch_size" --dtype q8 \
    --tokens-out "$work/transformers-js-q8.tokens.json" --out "$work/transformers-js-q8.json" >/dev/null
  java "${java_opts[@]}" "$q8bench" compare --out "$root/benchmarks/results/generation-q8-$(date -u +%Y-%m-%dT%H%M%SZ).json" \
    --fp32 "$work/batch.json" --fp32-tokens "$work/batch.tokens.json" \
    --ours "$work/batch-q8.json" --ours-tokens "$work/batch-q8.tokens.json" \
    --peer "$work/transformers-js-q8.json" --peer-tokens "$work/transformers-js-q8.tokens.json"
fi
