# shellcheck shell=bash
# The checks of every shell test (tests/it/lib.sh, tests/hosts/lib.sh), sourced:
#
#   check DESCRIPTION CMD...   runs CMD; prints "ok ..." or "FAIL ..."; counts failures
#   it_done                    exit status: 1 if any check failed

IT_FAILS=0

check() {
    local what="$1"
    shift
    if "$@"; then
        echo "ok   $what"
    else
        echo "FAIL $what"
        IT_FAILS=$((IT_FAILS + 1))
    fi
}

it_done() {
    if ((IT_FAILS)); then
        echo "$IT_FAILS check(s) failed"
        return 1
    fi
}
