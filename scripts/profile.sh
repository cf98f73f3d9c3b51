#!/usr/bin/env bash
#
# Where a lock service operation's time goes (issue 19): runs one bench scenario
# against orleans-1 alone (scripts/bench.sh: the silo on its defaults, a
# throwaway PostgreSQL) and, while its measured windows run, samples the silo
# process and the bench process (the clients and the client library) with
# dotnet-trace, then prints each one's top frames by CPU (exclusive and
# inclusive) and its runtime counters (dotnet-counters).
#
#   scripts/profile.sh SCENARIO [SECONDS] [OUTPUT_DIR]
#
#   SCENARIO    a bench scenario: b (many names), d (hot lock, wait), f (semaphore)
#   SECONDS     how long to sample (default 10); the bench measures 3x as long
#   OUTPUT_DIR  where the traces, counters and reports go (default: a new /tmp dir)
#
# The CPU time per operation of each process (bench, silos, PostgreSQL) needs no
# profiler: every bench run reports it for (b), (d) and (f) (bench/Hosting/CpuLedger.cs).
# Sampling costs the sampled processes some CPU, so take throughput figures from
# runs without it. dotnet-trace and dotnet-counters are installed as dotnet tools
# into .tools/ (or $DOTNET_TOOLS) if missing. Stops everything it started on exit.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${DOTNET_TOOLS:-$REPO_ROOT/.tools}
SCENARIO=${1:-}
SECONDS_TO_SAMPLE=${2:-10}
OUT=${3:-}
[[ $SCENARIO =~ ^(b|d|f)$ && $SECONDS_TO_SAMPLE =~ ^[0-9]+$ ]] || { echo "usage: scripts/profile.sh b|d|f [SECONDS] [OUTPUT_DIR]" >&2; exit 2; }
[[ -n $OUT ]] || OUT=$(mktemp -d /tmp/locks-profile.XXXXXX)
mkdir -p "$OUT"

log() { printf 'profile.sh: %s\n' "$*" >&2; }

BENCH_SH=""
cleanup() {
    local rc=$?
    set +e
    if [[ -n $BENCH_SH ]] && kill -0 "$BENCH_SH" 2>/dev/null; then
        kill -TERM "$BENCH_SH" 2>/dev/null
        wait "$BENCH_SH" 2>/dev/null
    fi
    exit "$rc"
}
trap cleanup EXIT

for tool in dotnet-trace dotnet-counters; do
    if [[ ! -x $TOOLS/$tool ]]; then
        log "installing $tool into $TOOLS"
        dotnet tool install --tool-path "$TOOLS" "$tool" >&2
    fi
done

# The children of a process whose command line matches a pattern (the bench program, then its silos).
child_matching() { pgrep -P "$1" -f "$2" || true; }

log "running (${SCENARIO}) against orleans-1; output in $OUT"
"$REPO_ROOT/scripts/bench.sh" --peers orleans-1 --scenarios "$SCENARIO" --scale 0 --large-names 0 \
    --duration $((3 * SECONDS_TO_SAMPLE)) --results "$OUT/results.json" --markdown "$OUT/results.md" \
    >"$OUT/bench.out" 2>"$OUT/bench.log" &
BENCH_SH=$!

# The measured windows start after the scenario's warm-up; its log line comes just before the warm-up.
until grep -q "^bench \[.*\]: (${SCENARIO}):" "$OUT/bench.log" 2>/dev/null; do
    kill -0 "$BENCH_SH" 2>/dev/null || { log "the bench ended early; its log follows"; cat "$OUT/bench.log" >&2; exit 1; }
    sleep 0.5
done
BENCH=$(child_matching "$BENCH_SH" 'LockBench.dll' | head -n 1)
SILO=$(child_matching "$BENCH" 'LockSilo.dll' | head -n 1)
[[ -n $BENCH && -n $SILO ]] || { log "could not find the bench ($BENCH) or silo ($SILO) process"; exit 1; }
sleep 3
log "sampling the silo ($SILO) and the bench ($BENCH) for ${SECONDS_TO_SAMPLE} s"
duration=$(printf '00:00:%02d:%02d' $((SECONDS_TO_SAMPLE / 60)) $((SECONDS_TO_SAMPLE % 60)))
pids=()
for target in "silo:$SILO" "bench:$BENCH"; do
    name=${target%%:*} pid=${target#*:}
    "$TOOLS/dotnet-trace" collect -p "$pid" --profile dotnet-common,dotnet-sampled-thread-time --duration "$duration" -o "$OUT/$name.nettrace" >"$OUT/$name.trace.log" 2>&1 &
    pids+=($!)
done
"$TOOLS/dotnet-counters" collect -p "$SILO" --counters System.Runtime,Microsoft.Orleans --format csv \
    --duration "$duration" -o "$OUT/silo.counters.csv" >"$OUT/silo.counters.log" 2>&1 &
pids+=($!)
for pid in "${pids[@]}"; do wait "$pid" || log "warning: a sampler exited with $? (see $OUT/*.log)"; done
wait "$BENCH_SH" || log "warning: the bench exited with $?"
BENCH_SH=""

for name in silo bench; do
    [[ -s $OUT/$name.nettrace ]] || continue
    for kind in exclusive inclusive; do
        flag=""; [[ $kind == inclusive ]] && flag=--inclusive
        # shellcheck disable=SC2086
        "$TOOLS/dotnet-trace" report "$OUT/$name.nettrace" topN -n 40 $flag >"$OUT/$name.top-$kind.txt" 2>&1 || true
        log "$name: top frames by $kind CPU: $OUT/$name.top-$kind.txt"
    done
done
grep -E "^\| \(${SCENARIO}\)" "$OUT/results.md" >&2 || true
log "done: $OUT"
