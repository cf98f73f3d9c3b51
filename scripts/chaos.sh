#!/usr/bin/env bash
#
# The chaos suite: real silo processes, real client processes and a real PostgreSQL, broken on purpose while a
# checker reads what the clients saw (C1-C6, see README "Guarantees and how we test them").
#
#   scripts/chaos.sh              # the full suite (about 15-20 minutes)
#   scripts/chaos.sh --smoke      # baseline, silo kill, client pause, PostgreSQL restart (a few minutes; in test.sh)
#   scripts/chaos.sh --only silo-kill,clock-skew
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

pg_ensure_installed
cleanup() {
    local rc=$?
    # Any process of ours that a failed run left behind, then the database.
    pkill -f "LockChaos.dll client" 2>/dev/null || true
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
