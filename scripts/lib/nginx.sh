# shellcheck shell=bash
#
# nginx in front of local silos, with the same proxy settings as docker-compose.yml (deploy/nginx/). Source this
# file; do not execute it.
#
#   source scripts/lib/nginx.sh
#   nginx_ensure_installed                      # sets NGINX_BIN (installs Debian's nginx if needed, root only)
#   nginx_write_config DIR PORT UPSTREAM...     # DIR/nginx.conf: listen on 127.0.0.1:PORT, round-robin over UPSTREAMs
#   nginx_start DIR                             # starts nginx from DIR (daemon; pid in DIR/nginx.pid)
#   nginx_stop DIR                              # stops it (fast shutdown) and waits; safe to call twice
#
# Everything nginx writes (pid, logs, temporary files) stays in DIR, so it never touches /etc/nginx or /var/log.

_NGINX_REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

_nginx_log() { printf 'nginx.sh: %s\n' "$*" >&2; }

_nginx_find_bin() {
    local candidate
    for candidate in "${NGINX_BIN:-}" "$(command -v nginx 2>/dev/null)" /usr/sbin/nginx; do
        if [[ -n $candidate && -x $candidate ]]; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    return 1
}

# Sets NGINX_BIN; installs the `nginx` package when there is none. The package's own service is not used (in a
# container Debian's policy-rc.d keeps it from starting at all).
nginx_ensure_installed() {
    local bin
    if bin=$(_nginx_find_bin); then
        NGINX_BIN=$bin
        export NGINX_BIN
        return 0
    fi
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
        _nginx_log "error: nginx is not installed (Debian/Ubuntu: sudo apt-get install -y nginx), or set NGINX_BIN"
        return 1
    fi
    _nginx_log "nginx not found; installing it with apt-get"
    if ! apt-get -q -o DPkg::Lock::Timeout=300 update </dev/null >&2 ||
        ! DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300 install nginx </dev/null >&2; then
        _nginx_log "error: apt-get install nginx failed"
        return 1
    fi
    bin=$(_nginx_find_bin) || { _nginx_log "error: installed nginx but cannot find its binary"; return 1; }
    NGINX_BIN=$bin
    export NGINX_BIN
}

# nginx_write_config DIR PORT UPSTREAM...: the local twin of deploy/nginx/compose.conf.
nginx_write_config() {
    local dir=${1:?usage: nginx_write_config DIR PORT UPSTREAM...} port=${2:?port} upstream
    shift 2
    (($# > 0)) || { _nginx_log "error: nginx_write_config needs at least one upstream (host:port)"; return 1; }
    mkdir -p "$dir/tmp" || return 1
    dir=$(cd "$dir" && pwd) || return 1
    {
        echo "# Written by scripts/lib/nginx.sh: nginx on 127.0.0.1:$port in front of $# silos."
        echo "worker_processes 1;"
        echo "pid $dir/nginx.pid;"
        echo "error_log $dir/error.log warn;"
        echo "events { worker_connections 1024; }"
        echo "http {"
        echo "    access_log $dir/access.log;"
        echo "    client_body_temp_path $dir/tmp/client_body;"
        echo "    proxy_temp_path $dir/tmp/proxy;"
        echo "    fastcgi_temp_path $dir/tmp/fastcgi;"
        echo "    uwsgi_temp_path $dir/tmp/uwsgi;"
        echo "    scgi_temp_path $dir/tmp/scgi;"
        echo "    upstream lockservice {"
        for upstream in "$@"; do
            echo "        server $upstream;"
        done
        echo "        keepalive 32;"
        echo "    }"
        echo "    server {"
        echo "        listen 127.0.0.1:$port;"
        echo "        include $_NGINX_REPO_ROOT/deploy/nginx/lockservice-proxy.conf;"
        echo "    }"
        echo "}"
    } >"$dir/nginx.conf"
}

# nginx_start DIR: checks the config, starts nginx in the background, waits until it has written its pid.
nginx_start() {
    local dir=${1:?usage: nginx_start DIR} waited
    [[ -n ${NGINX_BIN:-} ]] || nginx_ensure_installed || return 1
    # -e: the error log before the config is read, so nginx never opens /var/log/nginx.
    if ! "$NGINX_BIN" -t -q -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"; then
        _nginx_log "error: nginx rejected $dir/nginx.conf"
        return 1
    fi
    "$NGINX_BIN" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" || { _nginx_log "error: nginx did not start; see $dir/error.log"; return 1; }
    for ((waited = 0; waited < 100; waited++)); do
        [[ -s $dir/nginx.pid ]] && return 0
        sleep 0.1
    done
    _nginx_log "error: nginx wrote no pid file in 10 s; see $dir/error.log"
    return 1
}

# nginx_stop DIR: fast shutdown of the nginx started from DIR, if it runs; waits until it is gone.
nginx_stop() {
    local dir=${1:?usage: nginx_stop DIR} pid waited
    [[ -s $dir/nginx.pid ]] || return 0
    pid=$(<"$dir/nginx.pid")
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    # Only the nginx master started from this DIR: its command line names this DIR's config.
    if ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$dir/nginx.conf"; then
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((waited = 0; waited < 100; waited++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    _nginx_log "error: nginx (pid $pid) did not stop within 10 s"
    return 1
}
