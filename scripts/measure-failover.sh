#!/usr/bin/env bash
#
# Measures the failover time the README quotes: RUNS times, a fresh local
# cluster (scripts/cluster.sh), the demo's scenarios, whose fourth kills -9 the
# silo hosting 'backup' and times until the lock answers again. Also counts
# false suspicions: probes missed, votes and evictions against silos that were
# NOT killed, read from the silo logs before each cluster is stopped.
#
#   scripts/measure-failover.sh [RUNS] [--load]
#
#   RUNS    number of runs (default 5)
#   --load  keep both cores busy with CPU burners during every run, as on a
#           loaded CI machine (they are stopped on exit); LOAD_BURNERS=N sets
#           how many (default 2, one per core)
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=5
LOAD=0
for arg in "$@"; do
    case $arg in
        --load) LOAD=1 ;;
        [0-9]*) RUNS=$arg ;;
        *) echo "usage: scripts/measure-failover.sh [RUNS] [--load]" >&2; exit 2 ;;
    esac
done

BURNERS=()
RESULTS=()
KEEP=""
WORK=$(mktemp -d "${TMPDIR:-/tmp}/locks-measure.XXXXXX")

on_exit() {
    local rc=$? pid
    set +e
    trap '' INT TERM
    for pid in "${BURNERS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    [[ -d $REPO_ROOT/.cluster ]] && bash "$REPO_ROOT/scripts/cluster.sh" stop
    rm -rf -- "$WORK"
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cd "$REPO_ROOT"
export MSBUILDDISABLENODEREUSE=1 DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
dotnet build src/LockSilo/LockSilo.csproj -c Release -nologo -v quiet
dotnet build src/LockDemo/LockDemo.csproj -c Release -nologo -v quiet

if ((LOAD)); then
    for ((burner = 0; burner < ${LOAD_BURNERS:-2}; burner++)); do
        bash -c 'while :; do :; done' &
        BURNERS+=($!)
    done
    echo "measure: ${#BURNERS[@]} CPU burners running (pids ${BURNERS[*]})"
fi

false_suspicions=0
missed_probes=0
for ((run = 1; run <= RUNS; run++)); do
    LOCKS_CLUSTER_NO_BUILD=1 bash scripts/cluster.sh start >/dev/null 2>"$WORK/start.log" ||
        { cat "$WORK/start.log" >&2; exit 1; }
    . .cluster/env
    dotnet src/LockDemo/bin/Release/net10.0/LockDemo.dll --silos .cluster/silos >"$WORK/demo.log" 2>&1 || true
    line=$(grep '^failover:' "$WORK/demo.log" || echo "failover: (no measurement)")
    killed=$(sed -n 's/.*lives on silo-[0-9]* (\([0-9.]*:[0-9]*\),.*/\1/p' "$WORK/demo.log")
    behaved=$(grep -q 'every scenario behaved' "$WORK/demo.log" && echo "all scenarios ok" || echo "SCENARIO FAILED")
    # Anything said against a silo that is still alive is a false suspicion (or a missed probe on the way to one).
    others=$(grep -h -E "Voting to evict|Evicting|Did not get response for probe" .cluster/silo-*.log | grep -v -F "S${killed:-none}:" || true)
    votes=$(grep -c -E "Voting to evict|Evicting" <<<"$others" || true)
    probes=$(grep -c "Did not get response for probe" <<<"$others" || true)
    false_suspicions=$((false_suspicions + votes))
    missed_probes=$((missed_probes + probes))
    # The silos' own view of their health: thread pool delays and the like lengthen their probe periods.
    degraded=$(cat .cluster/silo-*.log | grep -c -E "Thread Pool is exhibiting delays|reporting that it is unhealthy" || true)
    echo "run $run: $line ($behaved; killed $killed; against live silos: $probes missed probes, $votes votes; $degraded local health complaints)"
    if [[ $behaved != "all scenarios ok" ]]; then
        KEEP=${KEEP:-$(mktemp -d "${TMPDIR:-/tmp}/locks-measure-logs.XXXXXX")}
        mkdir -p "$KEEP/run-$run" && cp .cluster/silo-*.log "$WORK/demo.log" "$KEEP/run-$run/"
        echo "run $run: silo and demo logs kept in $KEEP/run-$run"
    fi
    seconds=$(sed -n 's/.*served again after \([0-9.]*\) s.*/\1/p' <<<"$line")
    [[ -n $seconds ]] && RESULTS+=("$seconds")
    bash scripts/cluster.sh stop 2>/dev/null
done

printf '%s\n' "${RESULTS[@]}" | sort -n | awk -v runs="$RUNS" -v load="$LOAD" -v fs="$false_suspicions" -v mp="$missed_probes" '
    { v[NR] = $1; sum += $1 }
    END {
        if (NR == 0) { print "measure: no failover measured"; exit 1 }
        median = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "measure: %d of %d runs measured%s: min %.1f s, median %.1f s, max %.1f s; against live silos: %d missed probes, %d suspicion votes\n",
            NR, runs, load ? " under load" : "", v[1], median, v[NR], mp, fs
    }'
