#!/usr/bin/env bash
# The local stack's process table (deploy/lib.sh): `./deploy/run status` names every
# process with where it answers; `./deploy/run start` brings back a process killed with
# SIGKILL, even nginx, whose workers outlive their master and keep its port, and whose
# Unix sockets stay behind, and a pid file that names another process by now; the bitcoind
# stand-in's password is not on its command line.
set -euo pipefail
# shellcheck source=tests/it/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# (a) status: one line per process of the table, running, with where it answers.
"$ABC_ROOT/deploy/run" status >"$IT_TMP/status" 2>&1 || true
status_lists_all() {
    local p bad=0
    for p in "${ABC_PROCS[@]}"; do
        grep -Eq "^  $p +running \(pid [0-9]+\) +$(abc_proc_where "$p")\$" "$IT_TMP/status" || {
            echo "  no 'running' line for $p at $(abc_proc_where "$p")"
            bad=1
        }
    done
    grep -Eq '^  postgresql +running' "$IT_TMP/status" || bad=1
    ((bad == 0)) || sed 's/^/  | /' "$IT_TMP/status"
    return "$bad"
}
check "./deploy/run status lists the ${#ABC_PROCS[@]} processes of the table running" \
    status_lists_all

# (b) the stand-in's password stays off its command line (ps shows it to every user).
sim_pass_hidden() {
    local pid args
    pid="$(pid_of bitcoind-sim)" || return 1
    args="$(tr '\0' ' ' <"/proc/$pid/cmdline")"
    [[ "$args" == *--rpcpassword-file* && "$args" != *"$(cat "$ABC_SECRET")"* ]] || {
        echo "  command line: ${args//$(cat "$ABC_SECRET")/<the password>}"
        return 1
    }
}
check "the bitcoind stand-in's password is not on its command line" sim_pass_hidden

# (c) kill -9 nginx: its workers keep port and sockets; ./deploy/run start cleans up and
# brings it back.
home_ok() { [[ "$(http_get / 5)" == 200 ]]; }
old="$(pid_of nginx)"
kill_proc nginx KILL
wait_until 5 bash -c "! kill -0 $old 2>/dev/null" || true
echo "  nginx master $old killed; group left: $(pgrep -g "$old" | tr '\n' ' ')"
nginx_back() {
    start_proc nginx || return 1
    local pid
    pid="$(pid_of nginx)" || return 1
    [[ "$pid" != "$old" ]] && home_ok && ! pgrep -g "$old" >/dev/null
}
check "kill -9 nginx: ./deploy/run start brings it back (GET / 200, old workers gone)" nginx_back
web1_socket_ok() {
    [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
        --unix-socket "$ABC_RUN/http-web1.sock" http://localhost/)" == 200 ]]
}
check "...and its Unix socket to web1 answers again" web1_socket_ok

# (d) kill -9 web1: its FastCGI socket stays; ./deploy/run start brings it back.
old="$(pid_of web1)"
kill_proc web1 KILL
wait_until 5 bash -c "! kill -0 $old 2>/dev/null" || true
web1_back() {
    start_proc web1 || return 1
    [[ "$(pid_of web1)" != "$old" ]] && web1_socket_ok
}
check "kill -9 web1: ./deploy/run start brings it back (answers through nginx)" web1_back

# (e) the pid file of a killed abc-worker now names another process (pids wrap, and a
# thread id is a pid too): ./deploy/run start must not take it for abc-worker (a CI run
# answered "already running" and left the site without its worker), and must not stop it.
kill_proc worker KILL
sleep 120 &
stranger=$!
# The pid file as abc_spawn left it (no newer than the start time beside it), naming
# the stranger, as a recycled pid would.
echo "$stranger" >"$(abc_pidfile worker)"
touch -r "$(abc_pidfile worker).start" "$(abc_pidfile worker)"
worker_back_past_stranger() {
    start_proc worker || return 1
    local pid
    pid="$(pid_of worker)" || return 1
    echo "  worker.pid named $stranger (a sleep); abc-worker now runs as $pid"
    [[ "$pid" != "$stranger" && "$(tr '\0' ' ' <"/proc/$pid/cmdline")" == *abc-worker* ]] &&
        kill -0 "$stranger" && [[ "$(http_get /status 5)" == 200 ]]
}
check "a pid file naming another process: ./deploy/run start starts abc-worker, leaves the other alone" \
    worker_back_past_stranger
kill "$stranger" 2>/dev/null || true

it_done
