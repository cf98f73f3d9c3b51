# shellcheck shell=bash
#
# Throwaway PostgreSQL server for tests. Source this file; do not execute it.
#
#   source scripts/lib/postgres.sh
#   pg_ensure_installed            # sets PG_BIN (installs the Debian package if needed, root only)
#   pg_start [STATE_DIR]           # exports PG_PORT PG_DATA PG_STATE_DIR PG_CONN
#   pg_create_database NAME
#   pg_apply_sql NAME SQL_DIR      # every *.sql in SQL_DIR, in C-locale name order
#   pg_conn_string NAME            # prints an Npgsql connection string for database NAME
#   pg_stop [STATE_DIR]            # stops the server and deletes STATE_DIR; safe to call twice
#
# The functions do not rely on the caller's `set -e`: each checks its own
# steps and returns non-zero with a message on stderr. Nothing here changes the
# caller's shell options.

# Marker file: pg_stop only deletes directories that pg_start created, so a
# wrong argument can never make it `rm -rf` something else.
_PG_MARKER=.locks-pg-state

_pg_log() { printf 'postgres.sh: %s\n' "$*" >&2; }

_pg_is_root() { [[ $(id -u) -eq 0 ]]; }

# initdb/pg_ctl/postgres refuse to run as root, so as root they run as the
# `postgres` OS user. We cd into the state dir first: otherwise they warn
# that they cannot access the caller's cwd (e.g. /root).
_pg_as_owner() {
    (
        cd "${PG_STATE_DIR:-/}" 2>/dev/null || cd /
        if _pg_is_root; then
            exec runuser -u postgres -- "$@"
        else
            exec "$@"
        fi
    )
}

# Prints the highest-versioned /usr/lib/postgresql/*/bin that has a server.
_pg_find_bin() {
    local candidate best=""
    # Explicit override wins (useful on non-Debian developer machines).
    if [[ -n ${PG_BIN:-} && -x ${PG_BIN}/postgres && -x ${PG_BIN}/initdb ]]; then
        printf '%s\n' "$PG_BIN"
        return 0
    fi
    # Debian/Ubuntu layout; `sort -V` so that 9.6 < 10 < 15 < 17.
    best=$(
        for candidate in /usr/lib/postgresql/*/bin/postgres; do
            if [[ -x $candidate ]]; then printf '%s\n' "${candidate%/postgres}"; fi
        done | sort -V | tail -n 1
    )
    if [[ -n $best ]]; then
        printf '%s\n' "$best"
        return 0
    fi
    # Other distros / Homebrew put the server binaries on PATH.
    if candidate=$(command -v postgres) && command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        printf '%s\n' "$(dirname "$candidate")"
        return 0
    fi
    return 1
}

# Sets PG_BIN; installs the `postgresql` package when no server is present.
pg_ensure_installed() {
    local bin
    if bin=$(_pg_find_bin); then
        PG_BIN=$bin
        export PG_BIN
        return 0
    fi
    if ! _pg_is_root; then
        _pg_log "error: no PostgreSQL server binaries found (looked for /usr/lib/postgresql/*/bin/postgres and postgres/initdb on PATH)."
        _pg_log "       Install them (Debian/Ubuntu: sudo apt-get install -y postgresql) or set PG_BIN to the server's bin directory."
        return 1
    fi
    if ! command -v apt-get >/dev/null; then
        _pg_log "error: no PostgreSQL server binaries found and apt-get is not available to install them."
        return 1
    fi
    _pg_log "PostgreSQL server not found; installing it with apt-get"
    # No stdin in CI: keep apt non-interactive. The lock timeout covers fresh
    # cloud VMs where unattended-upgrades holds the dpkg lock right after boot.
    # If the package starts Debian's own cluster we leave it alone; we never use it.
    if ! apt-get -q -o DPkg::Lock::Timeout=300 update </dev/null; then
        _pg_log "error: apt-get update failed"
        return 1
    fi
    if ! DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300 install postgresql </dev/null; then
        _pg_log "error: apt-get install postgresql failed"
        return 1
    fi
    if ! bin=$(_pg_find_bin); then
        _pg_log "error: installed the postgresql package but still cannot find /usr/lib/postgresql/*/bin/postgres"
        return 1
    fi
    PG_BIN=$bin
    export PG_BIN
}

# True if something already listens on 127.0.0.1:PORT (or on all addresses).
_pg_port_in_use() {
    local port=$1
    if command -v ss >/dev/null; then
        # Any listener on this port, whatever its address.
        if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
            return 0
        fi
    fi
    # Fallback/second opinion without ss: a successful connect means "taken".
    # Connecting to a closed local port is refused immediately, so no timeout needed.
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        return 0
    fi
    return 1
}

# Prints a port that looks free. There is still a race until postgres binds it,
# so pg_start retries with another port if the bind fails.
_pg_pick_port() {
    local i port
    for ((i = 0; i < 100; i++)); do
        # 20000-29999: below Linux's ephemeral range (32768+) and away from
        # well-known defaults (5432, Orleans 11111/30000).
        port=$((20000 + (RANDOM % 10000)))
        if ! _pg_port_in_use "$port"; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    _pg_log "error: could not find a free TCP port on 127.0.0.1"
    return 1
}

# Reads the state file written by pg_start into the caller's locals `bin` and
# `data` (bash scoping is dynamic). Parsed rather than sourced: the directory is
# writable by the postgres user and we may be root.
_pg_read_state() {
    local state_dir=$1 key value
    [[ -f $state_dir/$_PG_MARKER ]] || return 1
    while IFS='=' read -r key value; do
        case $key in
            PG_BIN) bin=$value ;;
            PG_DATA) data=$value ;;
        esac
    done <"$state_dir/$_PG_MARKER"
    [[ -n ${bin:-} && -n ${data:-} ]]
}

pg_conn_string() {
    local db=${1:?usage: pg_conn_string DATABASE}
    printf 'Host=127.0.0.1;Port=%s;Username=postgres;Database=%s\n' "${PG_PORT:?PostgreSQL is not started (call pg_start)}" "$db"
}

# pg_start [STATE_DIR]: initdb + start a private server on a free port.
pg_start() {
    local state_dir=${1:-} port attempt log ok=0
    if [[ -n ${PG_STATE_DIR:-} && -d ${PG_STATE_DIR} ]]; then
        _pg_log "error: a server is already running from $PG_STATE_DIR (call pg_stop first)"
        return 1
    fi
    if [[ -z ${PG_BIN:-} ]] && ! pg_ensure_installed; then
        return 1
    fi
    if _pg_is_root && ! id postgres >/dev/null 2>&1; then
        _pg_log "error: running as root but there is no 'postgres' OS user to run the server as"
        return 1
    fi

    # The state dir must be new or empty: pg_stop deletes it wholesale.
    if [[ -z $state_dir ]]; then
        # Under /tmp so the postgres user can reach it even if the repo is under /root.
        state_dir=$(mktemp -d /tmp/locks-pg.XXXXXX) || { _pg_log "error: mktemp failed"; return 1; }
    else
        if [[ -e $state_dir && -n $(ls -A "$state_dir" 2>/dev/null) ]]; then
            _pg_log "error: state dir $state_dir exists and is not empty"
            return 1
        fi
        mkdir -p "$state_dir" || return 1
        state_dir=$(cd "$state_dir" && pwd) || return 1
    fi
    # Mark it ours right away so pg_stop can clean up even after a failed start.
    PG_STATE_DIR=$state_dir
    PG_DATA=$state_dir/data
    export PG_STATE_DIR PG_DATA
    printf 'PG_BIN=%s\nPG_DATA=%s\n' "$PG_BIN" "$PG_DATA" >"$state_dir/$_PG_MARKER" || return 1
    mkdir -p "$state_dir/sock" || return 1
    if _pg_is_root; then
        chown -R postgres: "$state_dir" || return 1
        # Fail early with a clear message if a parent directory blocks the postgres user.
        if ! runuser -u postgres -- test -w "$state_dir"; then
            _pg_log "error: the postgres OS user cannot write to $state_dir (check parent directory permissions)"
            pg_stop "$state_dir"
            return 1
        fi
    fi

    # Trust auth on loopback only: a disposable server for tests, no passwords.
    if ! _pg_as_owner "$PG_BIN/initdb" -D "$PG_DATA" --auth=trust -U postgres \
        --encoding=UTF8 --locale=C >"$state_dir/initdb.log" 2>&1; then
        _pg_log "error: initdb failed:"
        cat "$state_dir/initdb.log" >&2
        pg_stop "$state_dir"
        return 1
    fi

    # Settings live in the config (not pg_ctl -o) so a manual `pg_ctl restart`
    # on PG_DATA keeps them. The port goes in its own include file so a retry
    # can change it. fsync stays on: the lock service's tests are about
    # correctness, we don't want a server that behaves differently from prod.
    {
        printf '\n# --- added by scripts/lib/postgres.sh ---\n'
        printf "listen_addresses = '127.0.0.1'\n"
        printf "unix_socket_directories = '%s'\n" "$state_dir/sock"
        printf 'max_connections = 300\n'
        printf "include = 'port.conf'\n"
    } >>"$PG_DATA/postgresql.conf" || return 1

    log=$state_dir/postgres.log
    for ((attempt = 1; attempt <= 5; attempt++)); do
        port=$(_pg_pick_port) || break
        printf 'port = %s\n' "$port" >"$PG_DATA/port.conf" || break
        rm -f "$log"
        if _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$log" -w -t 60 start >/dev/null 2>&1; then
            ok=1
            break
        fi
        # Someone grabbed the port between our check and the bind: try another.
        if grep -q -e 'Address already in use' -e 'could not create any TCP/IP sockets' "$log" 2>/dev/null; then
            _pg_log "port $port was taken, retrying with another port"
            continue
        fi
        break
    done
    if [[ $ok -ne 1 ]]; then
        _pg_log "error: PostgreSQL failed to start; server log follows:"
        cat "$log" >&2 2>/dev/null || true
        pg_stop "$state_dir"
        return 1
    fi

    PG_PORT=$port
    PG_CONN=$(pg_conn_string postgres)
    export PG_PORT PG_CONN
    printf 'PG_PORT=%s\n' "$PG_PORT" >>"$state_dir/$_PG_MARKER"
    _pg_log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') running on 127.0.0.1:$PG_PORT (state: $state_dir)"
}

_pg_require_running() {
    if [[ -z ${PG_PORT:-} || -z ${PG_BIN:-} ]]; then
        _pg_log "error: PostgreSQL is not started (call pg_start first)"
        return 1
    fi
}

# psql over TCP as the superuser; -X ignores any ~/.psqlrc of the caller.
_pg_psql() {
    "$PG_BIN/psql" -X -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -q "$@"
}

pg_create_database() {
    local db=${1:?usage: pg_create_database NAME}
    _pg_require_running || return 1
    # :"db" lets psql quote the identifier; variables are not expanded in -c, hence stdin.
    if ! printf 'CREATE DATABASE :"db";\n' | _pg_psql -d postgres -v db="$db"; then
        _pg_log "error: could not create database $db"
        return 1
    fi
}

pg_apply_sql() {
    local db=${1:?usage: pg_apply_sql NAME SQL_DIR} dir=${2:?usage: pg_apply_sql NAME SQL_DIR}
    local file count=0
    _pg_require_running || return 1
    if [[ ! -d $dir ]]; then
        _pg_log "error: SQL directory $dir does not exist"
        return 1
    fi
    # C collation so the order is the same on every machine (001_x.sql, 002_y.sql, ...).
    while IFS= read -r -d '' file; do
        if ! _pg_psql -d "$db" -f "$file"; then
            _pg_log "error: applying $file to database $db failed"
            return 1
        fi
        count=$((count + 1))
    done < <(find "$dir" -maxdepth 1 -type f -name '*.sql' -print0 | LC_ALL=C sort -z)
    if [[ $count -eq 0 ]]; then
        _pg_log "warning: no *.sql files in $dir"
    else
        _pg_log "applied $count SQL file(s) from $dir to $db"
    fi
}

# Clears the exported variables if they describe STATE_DIR (or nothing).
_pg_forget() {
    if [[ -z ${PG_STATE_DIR:-} || -z $1 || $1 == "${PG_STATE_DIR}" ]]; then
        unset PG_PORT PG_DATA PG_STATE_DIR PG_CONN
    fi
}

# pg_stop [STATE_DIR]: stop the server and delete its state dir. Quiet on
# success (test.sh prints its summary as the last line), idempotent.
pg_stop() {
    local state_dir=${1:-${PG_STATE_DIR:-}} bin="" data="" pid i rc=0
    if [[ -z $state_dir || ! -d $state_dir ]]; then
        _pg_forget "$state_dir"
        return 0
    fi
    if ! _pg_read_state "$state_dir"; then
        _pg_log "error: refusing to delete $state_dir: it was not created by pg_start (no valid $_PG_MARKER)"
        return 1
    fi
    if [[ -f $data/postmaster.pid ]]; then
        pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null)
        # fast = roll back open transactions and disconnect clients; immediate
        # is the fallback if that hangs. The data is thrown away anyway.
        PG_STATE_DIR=$state_dir _pg_as_owner "$bin/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
            PG_STATE_DIR=$state_dir _pg_as_owner "$bin/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1 ||
            true
        # Last resort: kill the postmaster; its children exit when it dies.
        # Only if that PID is still a postgres process (PIDs get reused).
        if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
            [[ $(cat "/proc/$pid/comm" 2>/dev/null) == postgres* ]]; then
            kill -KILL "$pid" 2>/dev/null
            for ((i = 0; i < 50; i++)); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            if kill -0 "$pid" 2>/dev/null; then
                _pg_log "error: PostgreSQL postmaster $pid did not exit; leaving $state_dir in place"
                rc=1
            fi
        fi
    fi
    if [[ $rc -eq 0 ]]; then
        rm -rf -- "$state_dir" || rc=1
    fi
    _pg_forget "$state_dir"
    return "$rc"
}
