#!/bin/sh
# bench/envlink.sh - failed reads by a concurrent reader while a link is
# switched 10,000 times: envlink switch against busybox ln -sfn (unlink,
# then symlink, as on minimal systems) and GNU ln -sfn (a temporary link
# renamed over).
# SPDX-License-Identifier: ISC
#
# Run by `make bench` as
#	BIN=$PWD/build/bin BENCHBIN=$PWD/build/bench sh bench/envlink.sh
# Environment:
#	BENCH_SWITCHES	switches per tool (default 10000)
#	TMPDIR		where the work directory goes (default /var/tmp); it
#			must be on a real disk, not a tmpfs
# The reader is build/bench/readloop: open(LINK, O_DIRECTORY) and close in
# a loop, counting the opens that fail.  envlink must have none (PASS);
# each tool's switches per second are printed too.
# Exit status: 0 when the benchmarks ran (whatever PASS/MISS says), 1 when
# one could not run, 2 when a tool is missing or the setup is unusable.

set -u
LC_ALL=C
export LC_ALL

prog=bench/envlink.sh
BIN=${BIN:-$(pwd)/build/bin}
BENCHBIN=${BENCHBIN:-$(pwd)/build/bench}
N=${BENCH_SWITCHES:-10000}

die() { echo "$prog: $*" >&2; exit 1; }
unusable() { echo "$prog: $*" >&2; exit 2; }

case $N in ''|*[!0-9]*) unusable "BENCH_SWITCHES: not a number: $N";; esac
[ "$N" -ge 100 ] || unusable "BENCH_SWITCHES: must be at least 100"
[ -x "$BIN/envlink" ] || unusable "$BIN/envlink: not built (run make)"
[ -x "$BENCHBIN/readloop" ] ||
    unusable "$BENCHBIN/readloop: not built (run make bench)"
command -v ln >/dev/null 2>&1 || unusable "ln: missing (coreutils)"
case $(date +%N) in
''|*[!0-9]*) unusable "date +%N gives no nanoseconds (GNU date needed)";;
esac
gnu=$(ln --version 2>/dev/null | sed -n '1s/.*(GNU coreutils) //p')
if command -v busybox >/dev/null 2>&1 && busybox ln --help >/dev/null 2>&1
then bb=$(busybox 2>&1 | sed -n '1s/^BusyBox \(v[^ ]*\).*/\1/p')
else bb=; fi

base=${TMPDIR:-/var/tmp}
[ -d "$base" ] || unusable "$base: no such directory (TMPDIR)"
fstype=$(df -PT "$base" 2>/dev/null | awk 'NR == 2 { print $2 }')
case $fstype in
tmpfs|ramfs|devtmpfs|overlay|'')
	unusable "$base: on ${fstype:-an unknown filesystem}, not a real disk; set TMPDIR to a directory on disk"
	;;
esac
W=$(mktemp -d "$base/envlink-bench.XXXXXX") ||
    unusable "$base: cannot make a temporary directory"
rpid=
cleanup() {
	[ -z "$rpid" ] || kill "$rpid" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Private copies, so that a rebuild during the run changes nothing.
mkdir "$W/bin" && cp "$BIN/envlink" "$BENCHBIN/readloop" "$W/bin" ||
    die "$W/bin: cannot copy the programs"

now() { date +%s.%N; }
elapsed() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		split(a, x, "."); split(b, y, ".")
		printf "%.3f", (y[1] - x[1]) + (y[2] - x[2]) / 1e9
	}'
}

# run NAME CMD...: switch $W/NAME/cur between a and b N times with
# CMD LINK TARGET while readloop resolves it; sets READS, FAILED, ENOENT,
# SECS.
run() {
	name=$1; shift
	d=$W/$name
	mkdir -p "$d/a" "$d/b" || die "$d: cannot make it"
	ln -s a "$d/cur" || die "$d/cur: cannot make it"
	"$W/bin/readloop" "$d/cur" >"$W/reader.out" &
	rpid=$!
	sleep 0.2
	i=0
	t0=$(now)
	while [ "$i" -lt "$N" ]; do
		if [ $((i % 2)) = 0 ]; then t=b; else t=a; fi
		"$@" "$t" "$d/cur" >/dev/null 2>"$W/err" || {
			echo "$prog: $name failed at switch $i:" >&2
			sed 's/^/	/' "$W/err" >&2
			exit 1
		}
		i=$((i + 1))
	done
	t1=$(now)
	kill -TERM "$rpid"
	wait "$rpid"
	rpid=
	SECS=$(elapsed "$t0" "$t1")
	read -r READS FAILED ENOENT <"$W/reader.out" ||
	    die "readloop said nothing"
	[ "$(readlink "$d/cur")" = a ] || [ "$(readlink "$d/cur")" = b ] ||
	    die "$d/cur: not a valid link after $name"
}

# The tools take TARGET LINK; envlink takes LINK TARGET.
envlink_switch() { "$W/bin/envlink" switch "$2" "$1"; }
busybox_ln() { busybox ln -sfn "$1" "$2"; }
gnu_ln() { ln -sfn "$1" "$2"; }

report() {	# report LABEL
	rate=$(awk -v n="$N" -v s="$SECS" \
	    'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
	printf '%-24s %8d %8s %8s/s %12s %8s %8s\n' "$1" "$N" "$SECS" "$rate" \
	    "$READS" "$FAILED" "$ENOENT"
}

echo "Failed reads of a concurrent reader during $N switches of a link"
echo "(readloop: open(LINK, O_DIRECTORY) in a loop; on $fstype, $(nproc) CPUs)"
echo
printf '%-24s %8s %8s %10s %12s %8s %8s\n' tool switches seconds rate \
    reads failed ENOENT
run envlink envlink_switch
ef=$FAILED
report 'envlink switch'
if [ -n "$bb" ]; then
	run busybox busybox_ln
	report "busybox $bb ln -sfn"
	bf=$FAILED
else
	printf '%-24s not installed (apt-get install busybox); skipped\n' \
	    'busybox ln -sfn'
	bf=
fi
run gnu gnu_ln
report "GNU ${gnu:-?} ln -sfn"
gf=$FAILED
echo
if [ "$ef" -eq 0 ]; then
	echo "PASS envlink switch: 0 failed reads in $N switches"
else
	echo "MISS envlink switch: $ef failed reads in $N switches (must be 0)"
fi
[ -z "$bf" ] || echo "     busybox ln -sfn: $bf failed reads (it unlinks, then links)"
echo "     GNU ln -sfn: $gf failed reads"
echo "     (envlink also locks, keeps the previous target and fsyncs the"
echo "     directory, which ln does not: its rate is that of a durable switch)"
