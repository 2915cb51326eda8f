#!/bin/sh
# bench/auditlog.sh - auditlog's append and verify rates: a batch of
# 1,000,000 records from stdin, 2,000 single appends from a shell loop
# against the same loop appending 200-byte records with dd and fsync, and
# verify -k of the 1,000,000 records.
# SPDX-License-Identifier: ISC
#
# Run by `make bench` as
#	BIN=$PWD/build/bin BENCHBIN=$PWD/build/bench sh bench/auditlog.sh
# Environment: BENCH_RECORDS (default 1000000), BENCH_LOOP (default 2000),
# TMPDIR (default /var/tmp: a real disk, so that fsync means something).
# Exit status: 0 when the benchmark ran, 1 when a run failed.

set -u
LC_ALL=C
export LC_ALL

prog=bench/auditlog.sh
BIN=${BIN:-$(pwd)/build/bin}
N=${BENCH_RECORDS:-1000000}
L=${BENCH_LOOP:-2000}
A=$BIN/auditlog

die() { echo "$prog: $*" >&2; exit 1; }
case $N$L in *[!0-9]*|'') die "BENCH_RECORDS, BENCH_LOOP: numbers" ;; esac
[ -x "$A" ] || die "$A: not built (run make)"
command -v dd >/dev/null 2>&1 || die "dd: not found (coreutils)"

W=$(mktemp -d "${TMPDIR:-/var/tmp}/auditlog-bench.XXXXXX") ||
    die "cannot make a work directory"
trap 'rm -rf "$W"' EXIT
trap 'exit 1' HUP INT TERM

now() { date +%s.%N; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v >= t ? "PASS" : "MISS") }'; }

echo "auditlog benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "  machine  nproc $(nproc 2>/dev/null || echo ?), $(uname -sr)"
echo "  workdir  $W ($(df -PT "$W" | awk 'NR == 2 { print $2 }'))"
echo

# 1. A batch of N records from stdin: one lock, one fsync at the end.
"$A" init -f "$W/log" -o "$W/key" >/dev/null || die "auditlog init failed"
awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++)
    printf "record %d user=alice action=read table=customers\n", i }' \
    >"$W/lines"
t0=$(now)
"$A" append -f "$W/log" <"$W/lines" || die "batch append failed"
t1=$(now)
batch_s=$(secs "$t0" "$t1")
batch_r=$(rate "$N" "$batch_s")

# 3. verify -k of those records (and the init record).
t0=$(now)
"$A" verify -k "$W/key" "$W/log" >"$W/verify.out" || die "verify failed"
t1=$(now)
verify_s=$(secs "$t0" "$t1")
verify_r=$(rate "$N" "$verify_s")

# 2. L single appends from a shell loop, against dd appending and
# syncing a 200-byte record per run.
"$A" init -f "$W/log2" -o "$W/key2" >/dev/null || die "auditlog init failed"
t0=$(now)
i=0
while [ "$i" -lt "$L" ]; do
	"$A" append -f "$W/log2" "record $i user=alice action=read" ||
	    die "append $i failed"
	i=$((i + 1))
done
t1=$(now)
loop_s=$(secs "$t0" "$t1")
head -c 199 /dev/zero | tr '\0' x >"$W/rec" && echo >>"$W/rec"
: >"$W/ddlog"
t0=$(now)
i=0
while [ "$i" -lt "$L" ]; do
	dd if="$W/rec" of="$W/ddlog" conv=notrunc,fsync oflag=append \
	    status=none || die "dd failed"
	i=$((i + 1))
done
t1=$(now)
dd_s=$(secs "$t0" "$t1")
loop_r=$(rate "$L" "$loop_s")
dd_r=$(rate "$L" "$dd_s")
half=$(awk -v a="$loop_r" -v b="$dd_r" 'BEGIN { printf "%.2f", a / b }')

printf '%-34s %10s %12s %8s  %s\n' benchmark seconds records/s target result
printf '%-34s %10s %12s %8s  %s\n' "batch append of $N" "$batch_s" \
    "$batch_r" '>=300000' "$(verdict "$batch_r" 300000)"
printf '%-34s %10s %12s %8s  %s\n' "verify -k of $N" "$verify_s" \
    "$verify_r" '>=400000' "$(verdict "$verify_r" 400000)"
printf '%-34s %10s %12s\n' "$L x auditlog append (loop)" "$loop_s" "$loop_r"
printf '%-34s %10s %12s %8s  %s\n' "$L x dd conv=fsync (loop)" "$dd_s" \
    "$dd_r" '>=0.50x' "$(verdict "$half" 0.5) (${half}x)"
echo
echo "auditlog append fsyncs the log and then its state (two fsyncs per"
echo "record); dd fsyncs once. fsync is cheap on VMs, dear on real disks."
