# shellcheck shell=sh
# The lock service's HTTP API from a shell, over curl. Source it:  . examples/lockhttp.sh
#
#   lockhttp POST /v1/locks/backup/acquire '{"ttl":"30s"}'     # prints the JSON answer; non-zero exit on an error
#   lockhttp GET /v1/queues/mail/stats
#   lockhttp_with_lock backup 60s ./backup.sh                  # run a command under a lock, then release it
#
# LOCKHTTP_URL is the base URL (default http://127.0.0.1:8080, nginx in front of the silos); LOCKHTTP_KEY an API key,
# sent as a Bearer token on curl's standard input, so it never shows in `ps`.

lockhttp() {
    _lockhttp_method=$1 _lockhttp_path=$2 _lockhttp_body=${3-}
    set -- --silent --show-error --fail-with-body --max-time 70 -X "$_lockhttp_method" -H 'Accept: application/json' -H @-
    if [ -n "$_lockhttp_body" ]; then
        set -- "$@" -H 'Content-Type: application/json' --data-binary "$_lockhttp_body"
    fi
    # The header list on stdin: the Authorization line when a key is set, nothing otherwise.
    if [ -n "${LOCKHTTP_KEY-}" ]; then
        printf 'Authorization: Bearer %s\n' "$LOCKHTTP_KEY"
    fi | curl "$@" -w '\n' "${LOCKHTTP_URL:-http://127.0.0.1:8080}$_lockhttp_path"
}

# lockhttp_with_lock NAME TTL COMMAND...: one try for the lock; runs the command (LOCK_FENCING_TOKEN set) if granted,
# then releases. The lease is not refreshed: give a TTL longer than the command runs. Exit 75 when the lock is busy.
lockhttp_with_lock() {
    _lockhttp_name=$1 _lockhttp_ttl=$2
    shift 2
    _lockhttp_grant=$(lockhttp POST "/v1/locks/$_lockhttp_name/acquire" "{\"ttl\":\"$_lockhttp_ttl\"}") || {
        printf '%s\n' "$_lockhttp_grant" >&2
        return 75
    }
    _lockhttp_lease=$(printf '%s' "$_lockhttp_grant" | sed -n 's/.*"leaseId":"\([^"]*\)".*/\1/p')
    _lockhttp_token=$(printf '%s' "$_lockhttp_grant" | sed -n 's/.*"fencingToken":\([0-9]*\).*/\1/p')
    LOCK_FENCING_TOKEN=$_lockhttp_token "$@"
    _lockhttp_status=$?
    lockhttp POST "/v1/locks/$_lockhttp_name/release" "{\"leaseId\":\"$_lockhttp_lease\"}" >/dev/null
    return "$_lockhttp_status"
}
