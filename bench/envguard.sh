#!/bin/sh
# bench/envguard.sh - start-up overhead of `envguard run -- true' against
# `true', bare and with a protected tree (-r) and a writable one (-w).
# SPDX-License-Identifier: ISC
#
# Run by `make bench` as
#	BIN=$PWD/build/bin BENCHBIN=$PWD/build/bench sh bench/envguard.sh
# Environment:
#	BENCH_RUNS	runs of each command per round (default 500)
#	BENCH_ROUNDS	rounds, each running every command once; the best
#			round counts (default 3), so that load from other
#			work on the machine hurts every command alike
#	BENCH_LOOP=1	time a shell loop even when hyperfine is there
#	TMPDIR		where the protected tree goes (default /var/tmp); the
#			more entries its ancestors hold, the more rules -r makes
# With hyperfine each command runs without a shell (-N); without it, a
# loop of BENCH_RUNS runs is timed with date, the loop's own cost included
# in both.  As root, -r also makes a mount namespace and a bind mount.
# Exit status: 0 when the benchmark ran, 1 when a run failed, 2 when the
# setup is unusable.

set -u
LC_ALL=C
export LC_ALL

prog=bench/envguard.sh
BIN=${BIN:-$(pwd)/build/bin}
RUNS=${BENCH_RUNS:-500}
ROUNDS=${BENCH_ROUNDS:-3}
E=$BIN/envguard

die() { echo "$prog: $*" >&2; exit 1; }
unusable() { echo "$prog: $*" >&2; exit 2; }

case $RUNS in ''|*[!0-9]*) unusable "BENCH_RUNS: not a number: $RUNS";; esac
[ "$RUNS" -ge 10 ] || unusable "BENCH_RUNS: must be at least 10"
case $ROUNDS in ''|*[!0-9]*|0) unusable "BENCH_ROUNDS: not a positive number: $ROUNDS";; esac
[ -x "$E" ] || unusable "$E: not found or not executable (run make)"
TRUE=$(command -v true)
case $TRUE in /*) ;; *) TRUE=/bin/true ;; esac
[ -x "$TRUE" ] || unusable "no true(1) binary"

W=$(mktemp -d "${TMPDIR:-/var/tmp}/envguard-bench.XXXXXX") ||
    unusable "cannot make a work directory"
trap 'rm -rf "$W"' EXIT
trap 'exit 1' HUP INT TERM
mkdir "$W/prod" "$W/out"

"$E" run -r "$W/prod" -- "$TRUE" ||
    die "envguard run -r does not work here (Landlock ABI 3 needed)"
rules=$("$E" run -v -r "$W/prod" -- "$TRUE" 2>&1 | grep -c '^allow')

echo "envguard run start-up: best of $ROUNDS rounds of $RUNS runs each," \
    "as $(id -un 2>/dev/null || id -u), $rules rules for -r"

# mean_ms CMD...: the mean wall time of one run, in milliseconds.
if [ "${BENCH_LOOP:-0}" != 1 ] && command -v hyperfine >/dev/null 2>&1; then
	how=hyperfine
	mean_ms() {
		hyperfine -N --style none --warmup 20 --runs "$RUNS" \
		    --export-csv "$W/h.csv" "$*" >/dev/null 2>&1 ||
		    die "hyperfine failed on: $*"
		awk -F, 'NR == 2 { printf "%.3f", $2 * 1000 }' "$W/h.csv"
	}
else
	how="a loop timed with date"
	mean_ms() {
		t0=$(date +%s%N)
		i=0
		while [ $i -lt "$RUNS" ]; do
			"$@" || die "failed: $*"
			i=$((i + 1))
		done
		t1=$(date +%s%N)
		awk -v a="$t0" -v b="$t1" -v n="$RUNS" \
		    'BEGIN { printf "%.3f", (b - a) / n / 1e6 }'
	}
fi
echo "measured with $how"

set -- "" "--" "-r $W/prod --" "-w $W/out --" "-r $W/prod -w $W/out --"
r=0
while [ $r -lt "$ROUNDS" ]; do
	n=0
	for args in "$@"; do
		if [ -z "$args" ]; then
			t=$(mean_ms "$TRUE")
		else
			# shellcheck disable=SC2086
			t=$(mean_ms "$E" run $args "$TRUE")
		fi
		echo "$n $t" >>"$W/times"
		n=$((n + 1))
	done
	r=$((r + 1))
done
base=$(awk '$1 == 0 && (m == "" || $2 < m) { m = $2 } END { print m }' "$W/times")
n=0
for args in "$@"; do
	t=$(awk -v n=$n '$1 == n && (m == "" || $2 < m) { m = $2 } END { print m }' \
	    "$W/times")
	if [ -z "$args" ]; then
		printf '%-40s %9.3f ms\n' "true" "$t"
	else
		printf '%-40s %9.3f ms  %5.2fx true, %+.3f ms\n' \
		    "envguard run $(echo "$args" | sed "s|$W/||g") true" "$t" \
		    "$(awk -v a="$t" -v b="$base" 'BEGIN { print a / b }')" \
		    "$(awk -v a="$t" -v b="$base" 'BEGIN { print a - b }')"
	fi
	n=$((n + 1))
done
