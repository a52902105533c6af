#!/usr/bin/env bash
# Priority lanes (docs/BENCHMARKS.md): an interactive request's time to first token (the first
# streamed chunk with text, through the official OpenAI Java SDK) on an idle in-process serve, then
# while a 5,000-line batch runs on the same worker, and the ratio of the medians (target <= 2).
# Writes benchmarks/results/interactive-ttft-<UTC date-time>.json. Works on a fresh clone: it builds
# what it runs in one reactor, nothing is installed into ~/.m2.
#
# usage: benchmarks/interactive-ttft.sh [--quick] [--lines 5000] [--requests 30] [--batch-tokens 64] [--set KEY=VALUE ...]
#   --quick: a 1,000-line batch and 10 requests each way (about 2 minutes with the build)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lines=5000
requests=30
tokens=64
sets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) lines=1000; requests=10; shift ;;
    --lines) lines="$2"; shift 2 ;;
    --requests) requests="$2"; shift 2 ;;
    --batch-tokens) tokens="$2"; shift 2 ;;
    --set) sets+=(--set "$2"); shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "interactive-ttft.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
work="$(mktemp -d "${TMPDIR:-/tmp}/millrace-lanes.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$root/benchmarks/results"
# shellcheck source=classpath.sh
source "$root/benchmarks/classpath.sh"
benchmark_classpath "$root" infra "$work"
out="$root/benchmarks/results/interactive-ttft-$(date -u +%Y%m%dT%H%M%SZ).json"
java ${BENCH_JAVA_OPTS:--Xmx2g} -Dorg.slf4j.simpleLogger.defaultLogLevel=warn io.millrace.infra.LaneLatencyBenchmark "$work/run" \
  --lines "$lines" --requests "$requests" --batch-tokens "$tokens" --out "$out" ${sets[@]+"${sets[@]}"}
