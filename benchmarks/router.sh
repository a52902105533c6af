#!/usr/bin/env bash
# The router's figures (docs/BENCHMARKS.md): events/s through the router topology (cache on, exactly-once)
# against a plain kafka-clients exactly-once consume->produce passthrough of the same records on the same
# broker in the same run, and their ratio; then the latency of a cache hit (request event to committed
# cached answer) and, beside it, of a miss's hop (request event to routed event). The router runs alone on
# the in-process broker: no worker. Writes benchmarks/results/router-<UTC date-time>.json. Works on a fresh
# clone: it builds what it runs in one reactor, nothing is installed into ~/.m2.
#
# Last, an interactive request's hop when it is sent right behind a burst of batch lines (the router reads
# each partition in order, so it waits for the lines ahead of it), once per burst.
#
# usage: benchmarks/router.sh [--quick] [--events 100000] [--hits 200] [--burst 2400] [--bursts 20] [--set STREAMS_KEY=VALUE ...]
#   --quick: 50,000 events and 100 hits (under a minute after the build; fewer events measure JIT warm-up)
#   --burst / --bursts: batch lines per burst, and how many bursts (each followed by one interactive request)
#   --set: a Kafka Streams setting of the router (commit.interval.ms=100, say), to try one
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
events=100000
hits=200
sets=()
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) events=50000; hits=100; shift ;;
    --events) events="$2"; shift 2 ;;
    --hits) hits="$2"; shift 2 ;;
    --burst) extra+=(--burst "$2"); shift 2 ;;
    --bursts) extra+=(--bursts "$2"); shift 2 ;;
    --set) sets+=(--set "$2"); shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "router.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
work="$(mktemp -d "${TMPDIR:-/tmp}/millrace-router.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$root/benchmarks/results"
# shellcheck source=classpath.sh
source "$root/benchmarks/classpath.sh"
benchmark_classpath "$root" infra "$work"
out="$root/benchmarks/results/router-$(date -u +%Y%m%dT%H%M%SZ).json"
java ${BENCH_JAVA_OPTS:--Xmx2g} -Dorg.slf4j.simpleLogger.defaultLogLevel=warn io.millrace.infra.RouterBenchmark "$work/run" \
  --events "$events" --hits "$hits" --out "$out" ${extra[@]+"${extra[@]}"} ${sets[@]+"${sets[@]}"}
