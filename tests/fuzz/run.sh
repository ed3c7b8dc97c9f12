#!/bin/sh
#
# Build and run every libFuzzer target tests/fuzz/fuzz_NAME.c for a bounded
# time each, starting from a copy of tests/fuzz/corpus/NAME/.
#
# Usage: tests/fuzz/run.sh [SECONDS_EACH]	(default 20)
#
# Each target names what it links in header comment lines, paths relative
# to the repository root:
#	/* fuzz-sources: common/frame.c common/buf.c common/xmalloc.c */
#	/* fuzz-cflags: -DSOMETHING */		(optional)
#	/* fuzz-libs: -ljson-c */		(optional)
#
# Environment: FUZZ_BUILD_DIR (default <root>/build-fuzz), FUZZ_JOBS (targets run side
# by side, default one per CPU), FUZZ_CC
# (default clang, else clang-14).  Exits non-zero if any target fails to
# build or finds a crash, leak, timeout or out-of-memory.

set -u

secs=${1:-20}
case $secs in
''|*[!0-9]*|0)
	echo "usage: $0 [SECONDS_EACH]" >&2
	exit 2
	;;
esac

root=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
mkdir -p "$build" || exit 2
build=$(cd "$build" && pwd) || exit 2

cc=${FUZZ_CC:-}
if [ -z "$cc" ]; then
	for c in clang clang-14; do
		if command -v "$c" >/dev/null 2>&1; then
			cc=$c
			break
		fi
	done
fi
if [ -z "$cc" ]; then
	echo "fuzz: no clang found (set FUZZ_CC)" >&2
	exit 2
fi

# Print the values of every "/* KEY: ... */" line of file $2, joined.
directive() {
	sed -n "s|^[[:space:]]*/\*[[:space:]]*$1:[[:space:]]*\(.*\)\*/[[:space:]]*\$|\1|p" \
	    "$2" | tr '\n' ' '
}

# Build target $1 (name) from $2 (source file).  Returns non-zero on failure.
# Project headers are found with -iquote, as in Makefile.am: with -I,
# common/abc_limits.h would shadow the system <limits.h>.
build_target() {
	srcs=$(directive fuzz-sources "$2")
	cflags=$(directive fuzz-cflags "$2")
	libs=$(directive fuzz-libs "$2")
	paths=
	for s in $srcs; do
		paths="$paths $root/$s"
	done
	# Word splitting of the directive values is intended.
	# shellcheck disable=SC2086
	"$cc" -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -D_GNU_SOURCE \
	    -iquote "$root/common" -iquote "$root/web" -iquote "$root/worker" \
	    -iquote "$root/deploy/bitcoind-sim" $cflags \
	    -o "$build/fuzz_$1" "$2" $paths $libs \
	    >"$build/fuzz_$1.build.log" 2>&1
}

# Run target $1 on a fresh copy of its seed corpus.  Returns its status.
run_target() {
	corpus=$build/corpus/$1
	rm -rf "$corpus" && mkdir -p "$corpus" "$build/artifacts" || return 2
	if [ -d "$root/tests/fuzz/corpus/$1" ]; then
		cp -R "$root/tests/fuzz/corpus/$1/." "$corpus/" || return 2
	fi
	(cd "$build" && ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
	    "./fuzz_$1" -max_total_time="$secs" -rss_limit_mb=2048 \
	    -timeout=60 -print_final_stats=1 \
	    -artifact_prefix="$build/artifacts/$1-" "$corpus" \
	    </dev/null >"$build/fuzz_$1.log" 2>&1)
}

# Build and run one target; prints its one-line result (and a failure's excerpt) and
# exits 0 when it passed.
one_target() {
	src=$1
	name=$(basename "$src" .c)
	name=${name#fuzz_}
	if [ -z "$(directive fuzz-sources "$src")" ]; then
		echo "fuzz $name: FAILED (no /* fuzz-sources: ... */ line)"
		return 1
	fi
	if ! build_target "$name" "$src"; then
		echo "fuzz $name: FAILED to build (log: $build/fuzz_$name.build.log)"
		tail -n 20 "$build/fuzz_$name.build.log" | sed 's/^/    /'
		return 1
	fi
	if run_target "$name"; then
		runs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' \
		    "$build/fuzz_$name.log" | tail -n 1)
		echo "fuzz $name: ok (runs=${runs:-?})"
		return 0
	fi
	echo "fuzz $name: FAILED (log: $build/fuzz_$name.log)"
	grep -E 'ERROR|SUMMARY|runtime error|Test unit written' \
	    "$build/fuzz_$name.log" | head -n 10 | sed 's/^/    /'
	return 1
}

# The targets are dealt round-robin to FUZZ_JOBS lanes (default: one per CPU) that run
# side by side, each target after the other; a lane writes each target's result line to
# a file of its own, and the results are printed in name order at the end.
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
case $jobs in
''|*[!0-9]*|0) jobs=1 ;;
esac
lane=0
while [ "$lane" -lt "$jobs" ]; do
	(
		i=0
		for src in "$root"/tests/fuzz/fuzz_*.c; do
			[ -f "$src" ] || continue
			if [ $((i % jobs)) -eq "$lane" ]; then
				out=$build/$(basename "$src" .c)
				if one_target "$src" >"$out.result" 2>&1; then
					echo ok >"$out.status"
				else
					echo failed >"$out.status"
				fi
			fi
			i=$((i + 1))
		done
	) &
	lane=$((lane + 1))
done
wait

passed=0
failed=0
for src in "$root"/tests/fuzz/fuzz_*.c; do
	[ -f "$src" ] || continue
	out=$build/$(basename "$src" .c)
	cat "$out.result"
	if [ "$(cat "$out.status" 2>/dev/null)" = ok ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
	rm -f "$out.result" "$out.status"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
