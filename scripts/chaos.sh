#!/usr/bin/env bash
#
# The chaos suite: real silo processes, real client processes and a real PostgreSQL, broken on purpose while a
# checker reads what the clients saw (C1-C7, see README "Guarantees and how we test them").
#
#   scripts/chaos.sh              # the full suite (about 35 minutes, lazy release off and on; the partition tests need root, ip and iptables)
#   scripts/chaos.sh --smoke      # baseline, silo kill (releases at once and lazy), client pause, PostgreSQL restart (lazy), queue kill; in test.sh
#   scripts/chaos.sh --only silo-kill,clock-skew-ahead
#   dotnet tests/LockChaos/bin/Release/net10.0/LockChaos.dll check .chaos/silo-kill   # judge a kept history again
#
# Histories and per-test reports stay in .chaos/<test>/ for inspection. Exits non-zero on any violation.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_ROOT"
# shellcheck source=scripts/lib/postgres.sh
source scripts/lib/postgres.sh

run_args=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --smoke) run_args+=(--smoke); shift ;;
        --only) run_args+=(--only "${2:?--only needs test names}"); shift 2 ;;
        *) echo "chaos.sh: unknown argument '$1' (use --smoke or --only NAMES)" >&2; exit 64 ;;
    esac
done

# The partition tests give each silo a network namespace and cut it off with iptables inside it.
ensure_network_tools() {
    command -v ip >/dev/null && command -v iptables >/dev/null && return 0
    if [[ $(id -u) -ne 0 ]]; then
        echo "chaos.sh: the partition tests need 'ip' and 'iptables' (packages iproute2, iptables) and root" >&2
        return 0
    fi
    echo "chaos.sh: installing iproute2 and iptables for the partition tests" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q iproute2 iptables >/dev/null ||
        { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q iproute2 iptables >/dev/null; }
}

# Namespaces and the bridge a killed run may have left (the suite removes them itself otherwise).
remove_silo_networks() {
    command -v ip >/dev/null || return 0
    local ns
    for ns in $(ip netns list 2>/dev/null | awk '/^lkchaos-/ {print $1}'); do
        ip netns del "$ns" 2>/dev/null || true
    done
    ip link del lkchaos0 2>/dev/null || true
}

pg_ensure_installed
[[ " ${run_args[*]-} " == *" --smoke "* ]] || ensure_network_tools
cleanup() {
    local rc=$?
    # Any process of ours that a failed run left behind, its networks, then the database.
    pkill -f "LockChaos.dll client" 2>/dev/null || true
    remove_silo_networks
    pg_stop || true
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
pg_start ""

dotnet build tests/LockChaos -c Release -nologo -v quiet
export CHAOS_PG_ADMIN CHAOS_PG_BIN="$PG_BIN" CHAOS_PG_DATA="$PG_DATA"
CHAOS_PG_ADMIN=$(pg_conn_string postgres)
mkdir -p .chaos
dotnet tests/LockChaos/bin/Release/net10.0/LockChaos.dll run "${run_args[@]}" --sql "$REPO_ROOT/sql" --out "$REPO_ROOT/.chaos"
