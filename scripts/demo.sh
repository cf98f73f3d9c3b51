#!/usr/bin/env bash
#
# The lock service's main job on a fresh machine, end to end: builds the silo
# and the demo client, starts a local three-silo cluster on a throwaway
# PostgreSQL with nginx in front of the silos' HTTP API (scripts/cluster.sh
# start --nginx), runs the seed scenarios against it, and stops everything
# again, also on failure or Ctrl-C.
#
#   scripts/demo.sh
#
# First seed 001's scenario over HTTP through nginx (examples/grab_tasks.py):
# reset a queue, create 30 tasks, 15 concurrent grabs, each a different task,
# with how many grabs each silo served (X-Served-By).
#
# Then the scenarios of src/LockDemo: 1. server-1 takes 'backup' and refreshes it;
# 2. server-2 is refused; 3. five servers race, one wins; 4. kill -9 of the
# silo hosting 'backup': the lock is served again, same holder and fencing
# token, within 5 s; 5. the holder stops refreshing, the lease expires, the
# next server gets a larger fencing token.
#
# Exit status 0 only if every scenario behaved. LOCKS_CLUSTER_* variables are
# passed on to scripts/cluster.sh (e.g. LOCKS_CLUSTER_SILOS=5).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO_DLL=$REPO_ROOT/src/LockDemo/bin/Release/net10.0/LockDemo.dll
OWN_CLUSTER=0
DEMO_PID=""
STARTED_AT=$SECONDS

log() { printf 'demo.sh: %s\n' "$*" >&2; }

on_exit() {
    local rc=$?
    set +e
    trap '' INT TERM   # a second Ctrl-C must not skip the cleanup
    if [[ -n $DEMO_PID ]] && kill -0 "$DEMO_PID" 2>/dev/null; then
        kill -TERM "$DEMO_PID" 2>/dev/null
        wait "$DEMO_PID" 2>/dev/null
    fi
    if ((OWN_CLUSTER)); then
        bash "$REPO_ROOT/scripts/cluster.sh" stop || { log "error: the cluster did not stop cleanly"; rc=${rc:-1}; ((rc == 0)) && rc=1; }
    fi
    if ((rc == 0)); then
        echo "demo: passed in $((SECONDS - STARTED_AT)) s"
    else
        echo "demo: FAILED (exit $rc) after $((SECONDS - STARTED_AT)) s"
    fi
    exit "$rc"
}

main() {
    cd "$REPO_ROOT"
    export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
    # No MSBuild node reuse, so no build process outlives the demo.
    export MSBUILDDISABLENODEREUSE=1

    if [[ -f .cluster/silos ]] && bash scripts/cluster.sh status >/dev/null 2>&1; then
        log "error: a cluster is already running from .cluster/; stop it first (scripts/cluster.sh stop)"
        exit 1
    fi

    trap on_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    echo "demo: building the silo and the demo client (Release)"
    dotnet build src/LockSilo/LockSilo.csproj -c Release -nologo -v quiet
    dotnet build src/LockDemo/LockDemo.csproj -c Release -nologo -v quiet

    echo "demo: starting a local cluster (PostgreSQL + ${LOCKS_CLUSTER_SILOS:-3} silos + nginx)"
    OWN_CLUSTER=1
    LOCKS_CLUSTER_NO_BUILD=1 bash scripts/cluster.sh start --nginx
    # shellcheck source=/dev/null
    . .cluster/env

    echo
    echo "demo: seed 001 over HTTP: 15 concurrent task grabs through nginx at $LOCKHTTP_URL"
    python3 examples/grab_tasks.py --url "$LOCKHTTP_URL" --expect-silos "${LOCKS_CLUSTER_SILOS:-3}"
    echo

    # In the background so that Ctrl-C or SIGTERM reach the EXIT trap at once.
    dotnet "$DEMO_DLL" --silos .cluster/silos &
    DEMO_PID=$!
    local demo_rc=0
    wait "$DEMO_PID" || demo_rc=$?
    DEMO_PID=""

    echo
    echo "demo: the cluster after the demo (the killed silo is gone):"
    bash scripts/cluster.sh status || true
    exit "$demo_rc"
}

main "$@"
