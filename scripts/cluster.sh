#!/usr/bin/env bash
#
# A local lock cluster as plain processes on 127.0.0.1: a throwaway PostgreSQL
# prepared from sql/ and N silo processes with ADO.NET clustering on it. The
# same topology as docker-compose.yml, for machines without Docker.
#
#   scripts/cluster.sh start      # build the silo, start PostgreSQL and the silos, wait until they serve
#   scripts/cluster.sh start --nginx  # the same, and Debian's nginx on 127.0.0.1:8080 round-robin over the silos' HTTP
#   scripts/cluster.sh status     # each silo: process, membership status, gateway; exit 0 if all healthy
#   scripts/cluster.sh stop       # stop exactly what start started, delete the database and the state
#   scripts/cluster.sh topology   # print the silo names, ports and options (no side effects)
#
# After start, `. .cluster/env` sets LOCKCTL_GATEWAYS, LOCKCTL_POSTGRES,
# LOCKCTL_CLUSTER_ID and LOCKCTL_SERVICE_ID for lockctl, the demo and scripts, and
# LOCKHTTP_URL for HTTP clients (nginx with --nginx, otherwise silo-1's HTTP API).
# Every silo serves the HTTP API on 127.0.0.1 (open: no API keys on loopback).
#
# Environment:
#   LOCKS_CLUSTER_SILOS              number of silos (default 3)
#   LOCKS_CLUSTER_SILO_PORT_BASE     silo i listens on BASE+i for silo traffic (default 11110: 11111, 11112, ...)
#   LOCKS_CLUSTER_GATEWAY_PORT_BASE  silo i accepts clients on BASE+i (default 30000: 30001, 30002, ...)
#   LOCKS_CLUSTER_HTTP_PORT_BASE     silo i serves HTTP on BASE+i (default 8080: 8081, 8082, ...)
#   LOCKS_CLUSTER_NGINX_PORT         nginx's port with --nginx (default 8080)
#   LOCKS_CLUSTER_ID                 Orleans cluster id (default lock-cluster)
#   LOCKS_SERVICE_ID                 Orleans service id (default lock-service)
#   LOCKS_CLUSTER_NO_BUILD=1         run the silo already built in Release (scripts/demo.sh builds first)
#   PG_BIN                           PostgreSQL server bin directory, if not the Debian default
#   NGINX_BIN                        the nginx binary, if not on PATH (installed with apt-get when missing)
#
# State lives in .cluster/ (git-ignored): PIDs and process start times, logs,
# the env file and the path of the PostgreSQL state directory under /tmp.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLUSTER_DIR=$REPO_ROOT/.cluster
SILO_PROJECT=$REPO_ROOT/src/LockSilo/LockSilo.csproj
SILO_DLL=$REPO_ROOT/src/LockSilo/bin/Release/net10.0/LockSilo.dll
DATABASE=locks

SILOS=${LOCKS_CLUSTER_SILOS:-3}
SILO_PORT_BASE=${LOCKS_CLUSTER_SILO_PORT_BASE:-11110}
GATEWAY_PORT_BASE=${LOCKS_CLUSTER_GATEWAY_PORT_BASE:-30000}
HTTP_PORT_BASE=${LOCKS_CLUSTER_HTTP_PORT_BASE:-8080}
NGINX_PORT=${LOCKS_CLUSTER_NGINX_PORT:-8080}
WITH_NGINX=0
CLUSTER_ID=${LOCKS_CLUSTER_ID:-lock-cluster}
SERVICE_ID=${LOCKS_SERVICE_ID:-lock-service}
READY_MESSAGE="Lock silo started"
READY_DEADLINE_SECONDS=180
STOP_DEADLINE_SECONDS=40

log() { printf 'cluster.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

silo_port() { echo $((SILO_PORT_BASE + $1)); }
gateway_port() { echo $((GATEWAY_PORT_BASE + $1)); }
http_port() { echo $((HTTP_PORT_BASE + $1)); }

validate_settings() {
    [[ $SILOS =~ ^[1-9][0-9]*$ && $SILOS -le 20 ]] || die "LOCKS_CLUSTER_SILOS must be a number from 1 to 20 (was '$SILOS')"
    [[ $SILO_PORT_BASE =~ ^[0-9]+$ && $GATEWAY_PORT_BASE =~ ^[0-9]+$ ]] || die "port bases must be numbers"
    (( SILO_PORT_BASE + SILOS <= 65535 && GATEWAY_PORT_BASE + SILOS <= 65535 )) || die "port bases leave no room for $SILOS silos"
    (( SILO_PORT_BASE + SILOS < GATEWAY_PORT_BASE + 1 || GATEWAY_PORT_BASE + SILOS < SILO_PORT_BASE + 1 )) ||
        die "silo and gateway port ranges overlap"
    [[ $HTTP_PORT_BASE =~ ^[0-9]+$ && $NGINX_PORT =~ ^[0-9]+$ ]] || die "the HTTP port base and the nginx port must be numbers"
    (( HTTP_PORT_BASE + SILOS <= 65535 )) || die "the HTTP port base leaves no room for $SILOS silos"
    local i
    for ((i = 1; i <= SILOS; i++)); do
        local http
        http=$(http_port "$i")
        ((http != NGINX_PORT)) || die "silo-$i's HTTP port $http is nginx's port (LOCKS_CLUSTER_NGINX_PORT)"
        (( (http < SILO_PORT_BASE + 1 || http > SILO_PORT_BASE + SILOS) && (http < GATEWAY_PORT_BASE + 1 || http > GATEWAY_PORT_BASE + SILOS) )) ||
            die "silo-$i's HTTP port $http overlaps the silo or gateway ports"
    done
}

# Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. Together with the PID it
# names one process for good, so stop never signals a process that merely reused a recorded PID.
process_start_time() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }   # drop "pid (comm) ", comm may contain spaces
    awk '{print $20}' <<<"$stat"
}

# True while the process recorded in silo-N.pid is alive and is the one we started.
silo_alive() {
    local i=$1 pid start
    [[ -f $CLUSTER_DIR/silo-$i.pid ]] || return 1
    read -r pid start <"$CLUSTER_DIR/silo-$i.pid" || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ $(process_start_time "$pid" 2>/dev/null) == "$start" ]]
}

silo_pid() { awk '{print $1}' "$CLUSTER_DIR/silo-$1.pid" 2>/dev/null; }

port_in_use() {
    ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

recorded_silos() {
    local file
    for file in "$CLUSTER_DIR"/silo-*.pid; do
        [[ -e $file ]] || continue
        file=${file##*/silo-}
        echo "${file%.pid}"
    done | sort -n
}

load_postgres_state() {
    # shellcheck source=scripts/lib/postgres.sh
    source "$REPO_ROOT/scripts/lib/postgres.sh"
    PG_STATE=""
    if [[ -f $CLUSTER_DIR/postgres ]]; then
        PG_STATE=$(head -n 1 "$CLUSTER_DIR/postgres")
    fi
}

# Stops every recorded silo (SIGTERM, then SIGKILL after the deadline) and the database; deletes .cluster/.
stop_cluster() {
    local i pid waited rc=0
    [[ -d $CLUSTER_DIR ]] || { log "no cluster state in $CLUSTER_DIR: nothing to stop"; return 0; }

    for i in $(recorded_silos); do
        if silo_alive "$i"; then
            pid=$(silo_pid "$i")
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    for i in $(recorded_silos); do
        for ((waited = 0; waited < STOP_DEADLINE_SECONDS * 10; waited++)); do
            silo_alive "$i" || break
            sleep 0.1
        done
        if silo_alive "$i"; then
            pid=$(silo_pid "$i")
            log "silo-$i (pid $pid) did not stop within ${STOP_DEADLINE_SECONDS}s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            for ((waited = 0; waited < 100; waited++)); do
                silo_alive "$i" || break
                sleep 0.1
            done
            if silo_alive "$i"; then
                log "error: silo-$i (pid $pid) is still running"
                rc=1
            fi
        fi
    done

    if [[ -d $CLUSTER_DIR/nginx ]]; then
        # shellcheck source=scripts/lib/nginx.sh
        source "$REPO_ROOT/scripts/lib/nginx.sh"
        nginx_stop "$CLUSTER_DIR/nginx" || { log "error: could not stop nginx"; rc=1; }
    fi

    load_postgres_state
    if [[ -n $PG_STATE ]]; then
        pg_stop "$PG_STATE" || { log "error: could not stop PostgreSQL in $PG_STATE"; rc=1; }
    fi

    if ((rc == 0)); then
        rm -rf -- "$CLUSTER_DIR"
        log "stopped"
    else
        log "state kept in $CLUSTER_DIR so that stop can be run again"
    fi
    return "$rc"
}

start_silo() {
    local i=$1 name="silo-$1"
    # Checked again right before the start: the first check was before the build and the database.
    port_in_use "$(silo_port "$i")" && die "port $(silo_port "$i") ($name silo port) is in use"
    port_in_use "$(gateway_port "$i")" && die "port $(gateway_port "$i") ($name gateway port) is in use"
    port_in_use "$(http_port "$i")" && die "port $(http_port "$i") ($name HTTP port) is in use"
    # The connection string goes by environment, not argument, so it is not visible in `ps`.
    LOCKSILO_POSTGRES=$LOCKCTL_POSTGRES \
    LOCKSILO_Logging__Console__FormatterName=simple \
    LOCKSILO_Logging__Console__FormatterOptions__SingleLine=true \
    LOCKSILO_Logging__Console__FormatterOptions__TimestampFormat='HH:mm:ss.fff ' \
        nohup dotnet "$SILO_DLL" \
        --silo-port "$(silo_port "$i")" \
        --gateway-port "$(gateway_port "$i")" \
        --cluster-id "$CLUSTER_ID" \
        --service-id "$SERVICE_ID" \
        --advertised-address 127.0.0.1 \
        --silo-name "$name" \
        --http-port "$(http_port "$i")" \
        </dev/null >"$CLUSTER_DIR/$name.log" 2>&1 &
    local pid=$!
    local start
    start=$(process_start_time "$pid") || die "$name exited at once; see $CLUSTER_DIR/$name.log"
    printf '%s %s\n' "$pid" "$start" >"$CLUSTER_DIR/$name.pid"
}

# PIDs of the processes listening on TCP port $1.
listeners() { ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u; }

# Orleans listens with SO_REUSEPORT, so a second cluster started on the same ports (say from another clone) binds
# them too and the kernel splits connections between the two: silos of one cluster then talk to the other's. Refuse
# to go on unless our silo is the only listener on its ports.
check_sole_listener() {
    local i=$1 port pid others
    for port in "$(silo_port "$i")" "$(gateway_port "$i")" "$(http_port "$i")"; do
        others=$(listeners "$port" | grep -vx "$(silo_pid "$i")" || true)
        if [[ -n $others ]]; then
            log "error: port $port of silo-$i is also bound by pid(s) $(echo $others): another cluster uses these ports"
            log "       (stop it, or use LOCKS_CLUSTER_SILO_PORT_BASE / LOCKS_CLUSTER_GATEWAY_PORT_BASE)"
            return 1
        fi
    done
}

wait_until_ready() {
    local i=$1 name="silo-$1" waited
    for ((waited = 0; waited < READY_DEADLINE_SECONDS * 10; waited++)); do
        if grep -q "$READY_MESSAGE" "$CLUSTER_DIR/$name.log" 2>/dev/null; then
            check_sole_listener "$i"
            return
        fi
        if ! silo_alive "$i"; then
            log "error: $name exited before it was ready; its log:"
            tail -n 40 "$CLUSTER_DIR/$name.log" >&2 || true
            return 1
        fi
        sleep 0.1
    done
    log "error: $name was not ready after ${READY_DEADLINE_SECONDS}s; its log:"
    tail -n 40 "$CLUSTER_DIR/$name.log" >&2 || true
    return 1
}

# Active silos of this cluster in the membership table (status 3 = Active).
active_silo_ports() {
    "$PG_BIN/psql" -X -q -At -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$DATABASE" \
        -v cluster="$CLUSTER_ID" \
        <<<"SELECT port FROM orleansmembershiptable WHERE deploymentid = :'cluster' AND status = 3 ORDER BY port;" 2>/dev/null
}

# The cluster serves once every silo printed its banner (it has joined and its gateway accepts clients) and the
# membership table lists all of them as Active, so every silo routes calls to every other.
wait_until_cluster_formed() {
    local waited active
    for ((waited = 0; waited < READY_DEADLINE_SECONDS * 10; waited++)); do
        active=$(active_silo_ports | grep -c . || true)
        if ((active == SILOS)); then
            return 0
        fi
        sleep 0.1
    done
    log "error: only $active of $SILOS silos are Active in the membership table after ${READY_DEADLINE_SECONDS}s"
    return 1
}

# Single-quoted for the shell, whatever the value holds.
shell_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

write_env() {
    local i gateways=""
    for ((i = 1; i <= SILOS; i++)); do
        gateways+="${gateways:+,}127.0.0.1:$(gateway_port "$i")"
    done
    LOCKCTL_GATEWAYS=$gateways
    if ((WITH_NGINX)); then
        LOCKHTTP_URL=http://127.0.0.1:$NGINX_PORT
    else
        LOCKHTTP_URL=http://127.0.0.1:$(http_port 1)
    fi
    {
        echo "# Written by scripts/cluster.sh start; source it: . .cluster/env"
        printf 'LOCKCTL_GATEWAYS=%s\n' "$(shell_quote "$LOCKCTL_GATEWAYS")"
        printf 'LOCKCTL_POSTGRES=%s\n' "$(shell_quote "$LOCKCTL_POSTGRES")"
        printf 'LOCKCTL_CLUSTER_ID=%s\n' "$(shell_quote "$CLUSTER_ID")"
        printf 'LOCKCTL_SERVICE_ID=%s\n' "$(shell_quote "$SERVICE_ID")"
        printf 'LOCKHTTP_URL=%s\n' "$(shell_quote "$LOCKHTTP_URL")"
        echo 'export LOCKCTL_GATEWAYS LOCKCTL_POSTGRES LOCKCTL_CLUSTER_ID LOCKCTL_SERVICE_ID LOCKHTTP_URL'
    } >"$CLUSTER_DIR/env"
    # One line per silo for tools that need to find a silo's process (the demo's failover scenario).
    {
        echo "# name pid silo_port gateway_port"
        for ((i = 1; i <= SILOS; i++)); do
            printf 'silo-%d %s %d %d\n' "$i" "$(silo_pid "$i")" "$(silo_port "$i")" "$(gateway_port "$i")"
        done
    } >"$CLUSTER_DIR/silos"
}

start_cluster() {
    local i
    validate_settings
    if [[ -d $CLUSTER_DIR ]]; then
        for i in $(recorded_silos); do
            if silo_alive "$i"; then
                die "a cluster is already running from $CLUSTER_DIR (scripts/cluster.sh stop first)"
            fi
        done
        log "removing the state of a cluster that is no longer running"
        stop_cluster
    fi
    for ((i = 1; i <= SILOS; i++)); do
        port_in_use "$(silo_port "$i")" && die "port $(silo_port "$i") (silo-$i silo port) is in use"
        port_in_use "$(gateway_port "$i")" && die "port $(gateway_port "$i") (silo-$i gateway port) is in use"
        port_in_use "$(http_port "$i")" && die "port $(http_port "$i") (silo-$i HTTP port) is in use"
    done
    if ((WITH_NGINX)); then
        port_in_use "$NGINX_PORT" && die "port $NGINX_PORT (nginx) is in use"
        # shellcheck source=scripts/lib/nginx.sh
        source "$REPO_ROOT/scripts/lib/nginx.sh"
        nginx_ensure_installed || die "nginx is needed for --nginx"
    fi

    if [[ ${LOCKS_CLUSTER_NO_BUILD:-0} != 1 ]]; then
        log "building the silo (Release)"
        local build_log
        build_log=$(mktemp "${TMPDIR:-/tmp}/locks-cluster-build.XXXXXX")
        if ! dotnet build "$SILO_PROJECT" -c Release -nologo -v quiet >"$build_log" 2>&1; then
            cat "$build_log" >&2
            rm -f -- "$build_log"
            die "the silo did not build"
        fi
        rm -f -- "$build_log"
    fi
    [[ -f $SILO_DLL ]] || die "$SILO_DLL is missing (build src/LockSilo in Release)"

    mkdir -p "$CLUSTER_DIR"
    # From here on, a failure stops whatever was started.
    trap 'rc=$?; if ((rc != 0)); then log "start failed; stopping what was started"; stop_cluster || true; fi' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    load_postgres_state
    pg_ensure_installed
    pg_start ""
    echo "$PG_STATE_DIR" >"$CLUSTER_DIR/postgres"
    pg_create_database "$DATABASE"
    pg_apply_sql "$DATABASE" "$REPO_ROOT/sql"
    LOCKCTL_POSTGRES=$(pg_conn_string "$DATABASE")

    # The first silo alone creates the cluster's row in the membership version table; the others then join.
    log "starting $SILOS silos"
    start_silo 1
    wait_until_ready 1
    for ((i = 2; i <= SILOS; i++)); do
        start_silo "$i"
    done
    for ((i = 2; i <= SILOS; i++)); do
        wait_until_ready "$i"
    done
    wait_until_cluster_formed
    if ((WITH_NGINX)); then
        local upstreams=()
        for ((i = 1; i <= SILOS; i++)); do
            upstreams+=("127.0.0.1:$(http_port "$i")")
        done
        nginx_write_config "$CLUSTER_DIR/nginx" "$NGINX_PORT" "${upstreams[@]}"
        nginx_start "$CLUSTER_DIR/nginx"
    fi
    write_env
    trap - EXIT INT TERM

    echo "lock cluster '$CLUSTER_ID' is serving with $SILOS silos"
    echo "  gateways:   $LOCKCTL_GATEWAYS"
    echo "  postgres:   $LOCKCTL_POSTGRES"
    echo "  http:       $LOCKHTTP_URL$( ((WITH_NGINX)) && echo " (nginx, round-robin over 127.0.0.1:$(http_port 1)-$(http_port "$SILOS"))")"
    echo "  state:      $CLUSTER_DIR (logs: silo-N.log)"
    echo "  use it:     . .cluster/env"
}

status_cluster() {
    local i healthy=0 pid process membership gateway active
    if [[ ! -d $CLUSTER_DIR || ! -f $CLUSTER_DIR/postgres ]]; then
        echo "no cluster is running (no state in $CLUSTER_DIR)"
        return 3
    fi
    load_postgres_state
    local bin="" data="" port=""
    if [[ -f $PG_STATE/.locks-pg-state ]]; then
        bin=$(sed -n 's/^PG_BIN=//p' "$PG_STATE/.locks-pg-state")
        port=$(sed -n 's/^PG_PORT=//p' "$PG_STATE/.locks-pg-state")
    fi
    PG_BIN=$bin PG_PORT=$port
    if [[ -n $bin && -n $port ]] && active=$(active_silo_ports); then
        echo "postgres: running on 127.0.0.1:$port"
    else
        active=""
        echo "postgres: NOT reachable"
    fi
    if [[ -s $CLUSTER_DIR/nginx/nginx.pid ]]; then
        if kill -0 "$(<"$CLUSTER_DIR/nginx/nginx.pid")" 2>/dev/null; then echo "nginx: running on 127.0.0.1:$NGINX_PORT"; else echo "nginx: NOT running"; fi
    fi
    printf '%-8s %-8s %-9s %-10s %-12s %s\n' SILO PID PROCESS SILO_PORT MEMBERSHIP GATEWAY
    for i in $(recorded_silos); do
        pid=$(silo_pid "$i")
        if silo_alive "$i"; then process=running; else process=gone; fi
        if grep -qx "$(silo_port "$i")" <<<"$active"; then membership=Active; else membership=not-active; fi
        if port_in_use "$(gateway_port "$i")"; then gateway="127.0.0.1:$(gateway_port "$i") open"; else gateway="127.0.0.1:$(gateway_port "$i") closed"; fi
        printf '%-8s %-8s %-9s %-10s %-12s %s\n' "silo-$i" "$pid" "$process" "$(silo_port "$i")" "$membership" "$gateway"
        if [[ $process == running && $membership == Active && $gateway == *open ]]; then
            healthy=$((healthy + 1))
        fi
    done
    local total
    total=$(recorded_silos | grep -c . || true)
    echo "$healthy of $total silos healthy"
    ((healthy == total && total > 0))
}

# The topology that docker-compose.yml must match; the compose test reads this.
print_topology() {
    local i
    validate_settings
    echo "cluster_id=$CLUSTER_ID service_id=$SERVICE_ID database=$DATABASE nginx_port=$NGINX_PORT"
    for ((i = 1; i <= SILOS; i++)); do
        echo "silo-$i silo_port=$(silo_port "$i") gateway_port=$(gateway_port "$i") http_port=$(http_port "$i")"
    done
}

main() {
    cd "$REPO_ROOT"
    case ${1:-} in
        start)
            case ${2:-} in
                "") ;;
                --nginx) WITH_NGINX=1 ;;
                *) echo "usage: scripts/cluster.sh start [--nginx]" >&2; exit 2 ;;
            esac
            start_cluster
            ;;
        stop) stop_cluster ;;
        status) status_cluster ;;
        topology) print_topology ;;
        *)
            echo "usage: scripts/cluster.sh start [--nginx]|stop|status|topology" >&2
            exit 2
            ;;
    esac
}

main "$@"
