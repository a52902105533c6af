#!/usr/bin/env bash
# Latency of the synchronous HTTP path (docs/BENCHMARKS.md): max_tokens: 1 chat requests through the
# official OpenAI Java SDK against an in-process serve (exactly-once on, built-in model), at 1 and at
# 16 concurrent clients; p50/p99 end-to-end latency and the pipeline's overhead over the worker's own
# generation time, beside a plain Kafka client doing the same in the same run (the baseline), and the
# ratio. Writes benchmarks/results/api-latency-<UTC date-time>.json. Works on a fresh clone: it builds
# what it runs in one reactor, nothing is installed into ~/.m2.
#
# usage: benchmarks/api-latency.sh [--quick] [--requests 60] [--concurrent-requests 160] [--set worker.KEY=VALUE ...]
#   --quick: 20 sequential and 48 concurrent requests per path (about 2 minutes with the build)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requests=60
concurrent=160
sets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) requests=20; concurrent=48; shift ;;
    --requests) requests="$2"; shift 2 ;;
    --concurrent-requests) concurrent="$2"; shift 2 ;;
    --set) sets+=(--set "$2"); shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "api-latency.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
work="$(mktemp -d "${TMPDIR:-/tmp}/millrace-latency.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$root/benchmarks/results"
# shellcheck source=classpath.sh
source "$root/benchmarks/classpath.sh"
benchmark_classpath "$root" infra "$work"
out="$root/benchmarks/results/api-latency-$(date -u +%Y%m%dT%H%M%SZ).json"
java ${BENCH_JAVA_OPTS:--Xmx2g} -Dorg.slf4j.simpleLogger.defaultLogLevel=warn io.millrace.infra.ApiLatencyBenchmark "$work/run" \
  --requests "$requests" --concurrent-requests "$concurrent" --out "$out" ${sets[@]+"${sets[@]}"}
