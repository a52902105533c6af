#!/usr/bin/env bash
# Database in, database out (docs/BENCHMARKS.md): rows/s from INSERT into millrace_requests to the row in
# millrace_results, against the same requests written straight to millrace.requests by a Kafka producer in
# the same run, and their ratio; then the latency of the capture hop (INSERT commit -> request on the topic)
# beside a Kafka send's, one row at a time, and end to end. A PostgreSQL cluster of its own (initdb and
# pg_ctl from the machine's server binaries, run as user postgres when run as root; wal_level=logical, a
# free port) and the in-process broker; router, worker (built-in tiny model, 1 token per answer), capture
# and write-back in one process. Writes benchmarks/results/cdc-<UTC date-time>.json. Works on a fresh
# clone: it builds what it runs in one reactor, nothing is installed into ~/.m2.
#
# usage: benchmarks/cdc.sh [--quick] [--rows 2000] [--samples 50]
#   --quick: 500 rows and 20 samples
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rows=2000
samples=50
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) rows=500; samples=20; shift ;;
    --rows) rows="$2"; shift 2 ;;
    --samples) samples="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "cdc.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
work="$(mktemp -d "${TMPDIR:-/tmp}/millrace-cdc.XXXXXX")"
# The cluster runs as user postgres, which must reach its directory.
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
mkdir -p "$root/benchmarks/results"
# shellcheck source=classpath.sh
source "$root/benchmarks/classpath.sh"
benchmark_classpath "$root" infra "$work"
out="$root/benchmarks/results/cdc-$(date -u +%Y%m%dT%H%M%SZ).json"
java ${BENCH_JAVA_OPTS:--Xmx2g} -Dorg.slf4j.simpleLogger.defaultLogLevel=warn io.millrace.infra.CdcBenchmark "$work/run" \
  --rows "$rows" --samples "$samples" --out "$out"
