#!/usr/bin/env bash
#
# Builds the solution and runs the whole test suite against a throwaway
# PostgreSQL (started here, deleted on exit).
#
#   scripts/test.sh                                  # everything
#   scripts/test.sh --filter "FullyQualifiedName~X"  # extra args go to `dotnet test`
#
# Environment:
#   TEST_RESULTS_DIR  keep the .trx files in this directory (default: a temp
#                     directory that is deleted on exit)
#   PG_BIN            PostgreSQL server bin directory, if not the Debian default
#
# Tests receive:
#   LOCKS_TEST_POSTGRES        Npgsql connection string to `locks_test` (schema from sql/ applied)
#   LOCKS_TEST_POSTGRES_ADMIN  same server, Database=postgres (superuser: tests may CREATE DATABASE)
#
# The last line of output is always exactly "N passed, M failed". A build
# failure, a crashed test run or zero executed tests count as (at least) one
# failure, so "0 failed" really means green. Exit status is non-zero unless
# M is 0.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SOLUTION=LockService.slnx
TEST_DB=locks_test

# Prints "PASSED FAILED TOTAL FILES" summed over every .trx file under DIR.
# error/timeout/aborted outcomes are counted as failed: they are not passes.
sum_trx_counters() {
    local dir=$1 file counters passed=0 failed=0 total=0 files=0 name
    while IFS= read -r -d '' file; do
        # One <Counters .../> element per file; join lines in case a writer
        # wraps attributes.
        counters=$(tr '\r\n' '  ' <"$file" | grep -o '<Counters [^>]*>' | head -n 1) || continue
        [[ -n $counters ]] || continue
        files=$((files + 1))
        total=$((total + $(_trx_attr "$counters" total)))
        passed=$((passed + $(_trx_attr "$counters" passed)))
        for name in failed error timeout aborted; do
            failed=$((failed + $(_trx_attr "$counters" "$name")))
        done
    done < <(find "$dir" -type f -name '*.trx' -print0 2>/dev/null)
    printf '%d %d %d %d\n' "$passed" "$failed" "$total" "$files"
}

# Prints the numeric value of attribute NAME in COUNTERS, or 0 if absent.
# The leading space keeps "passed" from matching "passedButRunAborted" etc.
_trx_attr() {
    local value
    value=$(sed -n "s/.*[[:space:]]$2=\"\([0-9][0-9]*\)\".*/\1/p" <<<"$1")
    printf '%d\n' "${value:-0}"
}

# --- Hook points for later steps (intentionally empty for now) -------------

# Validates docker-compose.yml with `docker-compose config -q` (cheap, static,
# needs no Docker engine; runs before the build so a broken compose file fails
# fast). Installs Debian's docker-compose package if it is missing, as
# scripts/lib/postgres.sh does for PostgreSQL. The result counts as one check
# in the summary line: a pass, or a failure that makes the run red.
COMPOSE_PASSED=0
COMPOSE_FAILED=0
validate_compose_config() {
    if ! command -v docker-compose >/dev/null; then
        if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
            echo "test.sh: docker-compose not found; installing it with apt-get" >&2
            apt-get -q -o DPkg::Lock::Timeout=300 update </dev/null >&2 &&
                DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300 install docker-compose </dev/null >&2 ||
                echo "test.sh: error: apt-get install docker-compose failed" >&2
        fi
    fi
    if ! command -v docker-compose >/dev/null; then
        echo "test.sh: error: docker-compose is not installed (Debian: apt-get install -y docker-compose); compose check failed" >&2
        COMPOSE_FAILED=1
    elif docker-compose -f docker-compose.yml config -q; then
        echo "test.sh: docker-compose config: docker-compose.yml is valid" >&2
        COMPOSE_PASSED=1
    else
        echo "test.sh: error: docker-compose config rejected docker-compose.yml" >&2
        COMPOSE_FAILED=1
    fi
}

# The chaos smoke suite (baseline, silo kill with releases at once and lazy,
# client pause, a lazy PostgreSQL restart; raw and handle-API clients)
# on its own throwaway PostgreSQL, so CI guards the guarantees under faults.
# It counts as one test in the summary. Skipped when arguments select a subset
# of the tests (a developer's filtered run); never skipped in a plain run.
CHAOS_PASSED=0
CHAOS_FAILED=0
run_chaos_smoke() {
    if (($# > 0)); then
        echo "test.sh: chaos smoke skipped: arguments select a subset of the tests" >&2
        return
    fi
    if env -u PG_PORT -u PG_DATA -u PG_STATE_DIR -u PG_CONN bash scripts/chaos.sh --smoke; then
        CHAOS_PASSED=1
    else
        echo "test.sh: error: the chaos smoke suite found violations or failed (histories in .chaos/)" >&2
        CHAOS_FAILED=1
    fi
}

# After a failed run: the errors the tests' silo processes logged, a few per silo, so a CI log that
# shows only the end of the output still says what the silos saw (a timed-out call is otherwise a mystery).
print_silo_trouble() {
    local logs=${RESULTS_DIR:+$RESULTS_DIR/silo-logs} file
    [[ -n $logs && -d $logs ]] || return 0
    echo "test.sh: errors the tests' silo processes logged (first 3 per silo, 60 in all; every log in $logs):" >&2
    while IFS= read -r -d '' file; do
        grep -E '^(fail|crit):' "$file" | head -n 3 | cut -c1-300 | sed "s|^|  ${file#"$logs"/}: |"
    done < <(find "$logs" -type f -name '*.log' -print0 | sort -z) | head -n 60 >&2
}

# ---------------------------------------------------------------------------

RESULTS_DIR=""
KEEP_RESULTS=0
RUN_COMPLETE=0   # set once build + tests ran to the end (not aborted by setup errors/Ctrl-C)
BUILD_FAILED=0

# EXIT trap: always stop PostgreSQL and print the summary line last,
# whatever happened (test failure, setup error, Ctrl-C).
on_exit() {
    local rc=$? passed=0 failed=0 total=0 files=0
    set +e
    trap '' INT TERM   # a second Ctrl-C must not skip the cleanup

    if [[ -n $RESULTS_DIR && -d $RESULTS_DIR ]]; then
        read -r passed failed total files < <(sum_trx_counters "$RESULTS_DIR")
    fi

    if ((BUILD_FAILED)); then
        echo "test.sh: build failed" >&2
    elif ((RUN_COMPLETE == 0)); then
        echo "test.sh: aborted before the test run finished (exit $rc)" >&2
    elif ((files == 0 || total == 0)); then
        echo "test.sh: no tests were executed (no .trx results, or total=0)" >&2
    elif ((rc != 0 && failed == 0)); then
        echo "test.sh: dotnet test failed (exit $rc) without reporting a failed test; see output above" >&2
    fi
    # Make sure anything other than a clean, non-empty run shows as a failure.
    if ((failed == 0 && (rc != 0 || RUN_COMPLETE == 0 || total == 0))); then
        failed=1
    fi
    # The compose check runs before the tests; it counts whatever happened after it.
    passed=$((passed + COMPOSE_PASSED + CHAOS_PASSED))
    failed=$((failed + COMPOSE_FAILED + CHAOS_FAILED))

    if ((failed > 0)); then
        print_silo_trouble
    fi

    if declare -F pg_stop >/dev/null; then
        pg_stop || echo "test.sh: warning: could not stop the throwaway PostgreSQL cleanly" >&2
    fi
    if [[ -n $RESULTS_DIR ]]; then
        if ((KEEP_RESULTS)); then
            echo "test.sh: test results kept in $RESULTS_DIR" >&2
        else
            rm -rf -- "$RESULTS_DIR"
        fi
    fi
    # CI: don't leave MSBuild/Roslyn build servers running (they can keep the
    # job's output pipe open after we exit).
    if [[ ${CI:-} == true ]] && command -v dotnet >/dev/null; then
        dotnet build-server shutdown >/dev/null 2>&1
    fi

    printf '%d passed, %d failed\n' "$passed" "$failed"
    if ((failed > 0)); then
        exit $((rc != 0 ? rc : 1))
    fi
    exit 0
}

main() {
    cd "$REPO_ROOT"
    # shellcheck source=scripts/lib/postgres.sh
    source scripts/lib/postgres.sh

    trap on_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    if [[ -n ${TEST_RESULTS_DIR:-} ]]; then
        mkdir -p "$TEST_RESULTS_DIR"
        RESULTS_DIR=$(cd "$TEST_RESULTS_DIR" && pwd)
        KEEP_RESULTS=1
        # Stale .trx files from an earlier run would be counted again.
        find "$RESULTS_DIR" -type f -name '*.trx' -delete
    else
        RESULTS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/locks-test-results.XXXXXX")
    fi

    # Quieter, non-interactive dotnet; no MSBuild node reuse, so no build
    # processes outlive this script.
    export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
    export MSBUILDDISABLENODEREUSE=1

    validate_compose_config

    pg_ensure_installed
    pg_start ""   # empty: a fresh temp state dir under /tmp
    pg_create_database "$TEST_DB"
    pg_apply_sql "$TEST_DB" sql
    LOCKS_TEST_POSTGRES=$(pg_conn_string "$TEST_DB")
    LOCKS_TEST_POSTGRES_ADMIN=$(pg_conn_string postgres)
    export LOCKS_TEST_POSTGRES LOCKS_TEST_POSTGRES_ADMIN

    if ! dotnet build "$SOLUTION" -c Release; then
        BUILD_FAILED=1
        exit 1
    fi

    # Silo processes started by the tests leave their output here (one folder per cluster); see print_silo_trouble.
    export LOCKS_TEST_SILO_LOGS="$RESULTS_DIR/silo-logs"

    local test_rc=0
    dotnet test "$SOLUTION" -c Release --no-build \
        --logger "trx;LogFilePrefix=results" \
        --logger "console;verbosity=normal" \
        --results-directory "$RESULTS_DIR" \
        "$@" || test_rc=$?

    run_chaos_smoke "$@"

    RUN_COMPLETE=1
    exit "$test_rc"
}

# Sourcing this file (e.g. to unit-test sum_trx_counters) must not run anything.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    main "$@"
fi
