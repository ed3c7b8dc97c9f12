# shellcheck shell=bash
# Helpers of the integration tests (tests/it/t_*.sh), sourced after `set -euo pipefail`.
# Expects ABC_ROOT, ABC_STATE_DIR, ABC_HTTP_PORT, ABC_BUILD (tests/it/run.sh sets them).
#
#   http_get URL_OR_PATH [MAX_TIME]  GET; prints the status code ("000" if no answer);
#                                    body in $IT_TMP/body, status in $IT_TMP/status,
#                                    seconds taken in $IT_TMP/time
#   http_body                        prints the last body
#   wait_until TIMEOUT CMD...        polls CMD every 100 ms; fails after TIMEOUT seconds
#   pid_of NAME / kill_proc NAME SIG / start_proc NAME   processes of the stack
#   psql_abc [psql args]             psql on the stack's database abc (superuser)
#   status_row CLASS_OF LABEL        class ("up"/"down") of the /status row LABEL, from the
#                                    last body
#   check DESCRIPTION CMD...         runs CMD; prints "ok ..." or "FAIL ..."; counts failures
#   it_done                          exit status: 1 if any check failed
#   now_ms                           wall clock in milliseconds

ABC_ROOT="${ABC_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# shellcheck source=deploy/lib.sh
source "$ABC_ROOT/deploy/lib.sh"
abc_env

BASE_URL="http://127.0.0.1:$ABC_PORT"
IT_TMP="$(mktemp -d)"
trap 'rm -rf "$IT_TMP"' EXIT
# shellcheck source=tests/it/check_lib.sh
source "$ABC_ROOT/tests/it/check_lib.sh"

now_ms() { date +%s%3N; }

http_get() {
    local url="$1" max="${2:-10}"
    [[ "$url" == /* ]] && url="$BASE_URL$url"
    local rc=0 out
    out="$(curl -s -o "$IT_TMP/body" -w '%{http_code} %{time_total}' --max-time "$max" "$url")" || rc=$?
    [[ -n "$out" ]] || out="000 $max"
    echo "${out%% *}" >"$IT_TMP/status"
    echo "${out##* }" >"$IT_TMP/time"
    [[ -f "$IT_TMP/body" ]] || : >"$IT_TMP/body"
    echo "${out%% *}"
    return "$rc"
}

http_body() { cat "$IT_TMP/body"; }

wait_until() {
    local timeout="$1"
    shift
    local deadline=$(($(now_ms) + timeout * 1000))
    until "$@"; do
        (($(now_ms) < deadline)) || return 1
        sleep 0.1
    done
}

pid_of() { abc_pid "$1"; }

kill_proc() {
    local pid i
    pid="$(abc_pid "$1")" || {
        echo "kill_proc: $1 is not running" >&2
        return 1
    }
    kill "-$2" "$pid"
    # A SIGKILLed process takes a moment to go (its threads, its memory; longer on a busy
    # machine): wait for it, or a start right after finds it alive and starts nothing.
    if [[ "$2" == KILL || "$2" == 9 ]]; then
        for ((i = 0; i < 100; i++)); do
            abc_alive "$pid" || return 0
            sleep 0.1
        done
        echo "kill_proc: $1 (pid $pid) still there 10 s after SIGKILL" >&2
    fi
}

# start_proc NAME: starts whatever is not running, the way ./deploy/run does.
start_proc() {
    "$ABC_ROOT/deploy/run" start >"$IT_TMP/start.log" 2>&1 || {
        cat "$IT_TMP/start.log" >&2
        return 1
    }
    abc_pid "$1" >/dev/null
}

psql_abc() { abc_psql -d abc -At "$@"; }
# invariants: sql/admin/check_invariants.sql passes (what failed is printed).
invariants() {
    psql_abc -v ON_ERROR_STOP=1 -q -f "$ABC_ROOT/sql/admin/check_invariants.sql" >"$IT_TMP/inv" 2>&1 || {
        cat "$IT_TMP/inv"
        return 1
    }
}

# status_row LABEL: class of the <tr> whose first cell contains LABEL in the last body.
status_row() {
    tr -d '\n\r' <"$IT_TMP/body" | grep -oE "<tr[^>]*class=\"[a-z]+\"[^>]*>[[:space:]]*<td[^>]*>[^<]*$1[^<]*</td>" |
        head -n 1 | sed -E 's/.*class="([a-z]+)".*/\1/'
}

# status_row_html LABEL: the whole <tr>...</tr> of that row.
status_row_html() {
    tr -d '\n\r' <"$IT_TMP/body" | grep -oE "<tr[^>]*>[[:space:]]*<td[^>]*>[^<]*$1[^<]*</td>.*" |
        head -n 1 | sed -E 's#</tr>.*#</tr>#'
}
