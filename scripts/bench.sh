#!/usr/bin/env bash
#
# The benchmark of issue 7: this lock service (one silo and three silos, real
# LockSilo processes on PostgreSQL) side by side with a PostgreSQL lock table,
# PostgreSQL advisory locks (DistributedLock.Postgres) and Redis
# (DistributedLock.Redis), all in one run against the same PostgreSQL server;
# and scenario (f) of issue 13: the semaphore grain against a PostgreSQL slot
# table and DistributedLock.Redis's RedisDistributedSemaphore; the work queue
# (q) of issue 14; and (h) of issue 15: seed 001's own system (FastAPI workers,
# SKIP LOCKED) against this service's HTTP API, each behind nginx, plus the
# lock over HTTP (peer http-1) beside the .NET client in (a).
#
#   scripts/bench.sh                     # everything; about 11-13 minutes on 2 quiet cores
#   scripts/bench.sh --peers pg-row,orleans-1 --scale 10000   # extra args go to the bench program
#   scripts/bench.sh --scenarios f --results /tmp/f.json --markdown /tmp/f.md   # only (f), for development
#   scripts/bench.sh --scenarios e --scale 20000 --idle-wait 30 --results /tmp/e.json   # only (e), smaller
#
# Starts and, on exit, stops everything it needs: a throwaway PostgreSQL with
# sql/ applied (scripts/lib/postgres.sh), a throwaway Redis on a free loopback
# port (the redis-server package is installed if missing, as root, like nginx
# and python3-fastapi/-uvicorn/-psycopg2 for (h)), nginx and uvicorn, and the
# silo processes (started by the bench program, PIDs recorded in the state
# directory so they are stopped here even if the program dies).
#
# Prints a markdown table and writes bench/results/latest.json (with the
# `targets` array) and bench/results/latest.md. Exit status is non-zero if a
# correctness check failed (two holders at once, a free lock refused) or the
# run broke; an unmet performance target is reported, not an error.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATABASE=locks_bench
BENCH_DLL=$REPO_ROOT/bench/bin/Release/net10.0/LockBench.dll
SILO_DLL=$REPO_ROOT/src/LockSilo/bin/Release/net10.0/LockSilo.dll

STATE_DIR=""
REDIS_PID=""

log() { printf 'bench.sh: %s\n' "$*" >&2; }

# Stops exactly what this script (or the bench program on its behalf) started.
cleanup() {
    local rc=$? file pid i
    set +e
    trap '' INT TERM
    if [[ -n $STATE_DIR && -d $STATE_DIR ]]; then
        for file in "$STATE_DIR"/*.pid; do
            [[ -e $file ]] || continue
            pid=$(head -n 1 "$file")
            if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
                log "stopping leftover process $pid ($(basename "$file" .pid))"
                kill -TERM "$pid" 2>/dev/null
                for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
                kill -KILL "$pid" 2>/dev/null
            fi
        done
    fi
    if [[ -n $REDIS_PID ]] && kill -0 "$REDIS_PID" 2>/dev/null; then
        kill -TERM "$REDIS_PID" 2>/dev/null
        for ((i = 0; i < 50; i++)); do kill -0 "$REDIS_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$REDIS_PID" 2>/dev/null
    fi
    if declare -F pg_stop >/dev/null; then
        pg_stop || log "warning: could not stop the throwaway PostgreSQL cleanly"
    fi
    if [[ -n $STATE_DIR && -d $STATE_DIR ]]; then
        rm -rf -- "$STATE_DIR"
    fi
    exit "$rc"
}

ensure_redis_installed() {
    command -v redis-server >/dev/null && return 0
    [[ $(id -u) -eq 0 ]] || { log "error: redis-server is not installed (Debian: sudo apt-get install -y redis-server)"; return 1; }
    log "redis-server not found; installing it with apt-get"
    apt-get -q -o DPkg::Lock::Timeout=300 update </dev/null >&2
    DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300 install redis-server </dev/null >&2
}

free_port() {
    local port i
    for ((i = 0; i < 100; i++)); do
        port=$((20000 + RANDOM % 10000))
        if ! ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

# A Redis that keeps nothing on disk, on loopback only, owned by this script.
# Scenario (h) runs seed 001's own system: FastAPI workers on psycopg2 (Debian packages), behind nginx.
ensure_seed001_installed() {
    # Debian's interpreter, as the bench program runs it: the packages are Debian's.
    /usr/bin/python3 -c 'import fastapi, uvicorn, psycopg2' 2>/dev/null && return 0
    [[ $(id -u) -eq 0 ]] || { log "error: scenario (h) needs python3-fastapi, python3-uvicorn and python3-psycopg2 (Debian: sudo apt-get install -y ...)"; return 1; }
    log "python3-fastapi, python3-uvicorn or python3-psycopg2 missing; installing them with apt-get"
    apt-get -q -o DPkg::Lock::Timeout=300 update </dev/null >&2
    DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300 install python3-fastapi python3-uvicorn python3-psycopg2 </dev/null >&2
}

start_redis() {
    local port i
    port=$(free_port) || { log "error: no free port for Redis"; return 1; }
    redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize no \
        --dir "$STATE_DIR" --logfile "$STATE_DIR/redis.log" &
    REDIS_PID=$!
    for ((i = 0; i < 100; i++)); do
        if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
            REDIS_ENDPOINT=127.0.0.1:$port
            log "Redis $(redis-server --version | awk '{print $3}' | sed 's/^v=//') running on $REDIS_ENDPOINT (pid $REDIS_PID)"
            return 0
        fi
        sleep 0.1
    done
    log "error: Redis did not answer; its log follows"
    cat "$STATE_DIR/redis.log" >&2
    return 1
}

main() {
    cd "$REPO_ROOT"
    # shellcheck source=scripts/lib/postgres.sh
    source scripts/lib/postgres.sh
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 MSBUILDDISABLENODEREUSE=1

    pg_ensure_installed
    ensure_redis_installed
    ensure_seed001_installed
    # shellcheck source=scripts/lib/nginx.sh
    source scripts/lib/nginx.sh
    nginx_ensure_installed

    log "building the bench and the silo (Release)"
    dotnet build bench/LockBench.csproj -c Release -v quiet -nologo >&2
    dotnet build src/LockSilo/LockSilo.csproj -c Release -v quiet -nologo >&2

    STATE_DIR=$(mktemp -d /tmp/locks-bench.XXXXXX)
    pg_start ""
    pg_create_database "$DATABASE"
    pg_apply_sql "$DATABASE" sql
    start_redis

    # The silos' settings are the bench program's business (bench/Hosting/SiloVariant.cs): the headline peers run
    # the silo's defaults, and every variant is a peer of its own name. Nothing is exported here, and a LOCKSILO_
    # variable in the caller's environment (which the silos would inherit) is recorded in the results.

    local rc=0
    dotnet "$BENCH_DLL" \
        --postgres "$(pg_conn_string "$DATABASE")" \
        --redis "$REDIS_ENDPOINT" \
        --silo-dll "$SILO_DLL" \
        --state-dir "$STATE_DIR" \
        --results bench/results/latest.json \
        --markdown bench/results/latest.md \
        "$@" || rc=$?
    return "$rc"
}

main "$@"
