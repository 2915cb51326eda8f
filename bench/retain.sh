#!/bin/sh
# bench/retain.sh - retain against find -delete and tmpreaper, deleting
# the half of a tree of 200,000 files that is older than 90 days.
# SPDX-License-Identifier: ISC
#
# Run by `make bench` as
#	BIN=$PWD/build/bin BENCHBIN=$PWD/build/bench sh bench/retain.sh
# Environment:
#	BENCH_FILES	files in the tree (default 200000; at least 1000)
#	BENCH_ROUNDS	runs of each tool, the best kept (default 1)
#	TMPDIR		where the work directory goes (default /var/tmp); it
#			must be on a real disk, not a tmpfs
# Each tool gets a fresh tree made the same way (FILES/1000 directories
# of 1,000 empty files, every other one dated 200 days back, the others
# 10 days), caches warm, `sync` before every timed command; each result
# is checked (exactly the old half gone).  PASS when retain takes at most
# 1.1 times as long as find.
# Exit status: 0 when the benchmarks ran (whatever PASS/MISS says), 1 when
# one could not run or did the wrong thing, 2 when a tool is missing or
# the setup is unusable.

set -u
LC_ALL=C
export LC_ALL

prog=bench/retain.sh
BIN=${BIN:-$(pwd)/build/bin}
BENCHBIN=${BENCHBIN:-$(pwd)/build/bench}
NFILES=${BENCH_FILES:-200000}
ROUNDS=${BENCH_ROUNDS:-1}
TARGET=1.10

die() { echo "$prog: $*" >&2; exit 1; }
unusable() { echo "$prog: $*" >&2; exit 2; }

case $NFILES in ''|*[!0-9]*) unusable "BENCH_FILES: not a number: $NFILES";; esac
case $ROUNDS in ''|*[!0-9]*) unusable "BENCH_ROUNDS: not a number: $ROUNDS";; esac
[ "$NFILES" -ge 1000 ] || unusable "BENCH_FILES: must be at least 1000"
[ "$ROUNDS" -ge 1 ] || unusable "BENCH_ROUNDS: must be at least 1"
NDIRS=$((NFILES / 1000))
NFILES=$((NDIRS * 1000))

RETAIN=$BIN/retain
[ -x "$RETAIN" ] || unusable "$RETAIN: not found or not executable (run make)"
for t in awk date df find perl rm sync; do
	command -v $t >/dev/null 2>&1 || unusable "$t: not installed"
done
TMPREAPER=$(command -v tmpreaper 2>/dev/null || echo /usr/sbin/tmpreaper)
[ -x "$TMPREAPER" ] ||
    unusable "tmpreaper: not installed (apt-get install -y tmpreaper)"
case $(date +%N) in
''|*[!0-9]*) unusable "date +%N gives no nanoseconds (GNU date needed for timing)";;
esac
RUSAGE=
[ -x "$BENCHBIN/rusage" ] && RUSAGE=$BENCHBIN/rusage

base=${TMPDIR:-/var/tmp}
[ -d "$base" ] || unusable "$base: no such directory (TMPDIR)"
fstype=$(df -PT "$base" 2>/dev/null | awk 'NR == 2 { print $2 }')
case $fstype in
tmpfs|ramfs|devtmpfs|overlay|'')
	unusable "$base: on ${fstype:-an unknown filesystem}, not a real disk; set TMPDIR to a directory on disk"
	;;
esac
W=$(mktemp -d "$base/retain-bench.XXXXXX") ||
    unusable "$base: cannot make a temporary directory"
cleanup() { rm -rf "$W"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

cp "$RETAIN" "$W/retain" || die "$W/retain: cannot copy $RETAIN"
RETAIN=$W/retain

# --- helpers --------------------------------------------------------------------

now() { date +%s.%N; }
elapsed() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		split(a, x, "."); split(b, y, ".")
		printf "%.3f", (y[1] - x[1]) + (y[2] - x[2]) / 1e9
	}'
}
# timed COMMAND...: run it after a sync; T gets the wall seconds, CPU the
# user+system seconds and RSS the peak KiB (with bench/rusage).
timed() {
	sync
	CPU=- RSS=-
	if [ -n "$RUSAGE" ]; then
		"$RUSAGE" -o "$W/ru" "$@" >"$W/out" 2>"$W/err"
		rc=$?
		read -r T u s RSS st <"$W/ru"
		CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }')
		T=$(awk -v t="$T" 'BEGIN { printf "%.3f", t }')
	else
		t0=$(now)
		"$@" >"$W/out" 2>"$W/err"
		rc=$?
		t1=$(now)
		T=$(elapsed "$t0" "$t1")
	fi
	if [ $rc -ne 0 ]; then
		echo "$prog: failed with status $rc: $*" >&2
		sed 's/^/	/' "$W/err" >&2
		exit 1
	fi
}
best() {
	if [ -z "$1" ]; then echo "$2"; else
		awk -v a="$1" -v b="$2" 'BEGIN { print (b < a ? b : a) }'
	fi
}

# mktree DIR: the tree, made afresh.
OLDT=$(( $(date +%s) - 200 * 86400 ))
NEWT=$(( $(date +%s) - 10 * 86400 ))
mktree() {
	rm -rf "$1"
	perl -e '
		my ($top, $ndirs, $old, $new) = @ARGV;
		mkdir $top or die "$top: $!";
		for my $d (0 .. $ndirs - 1) {
			my $dir = "$top/d$d";
			mkdir $dir or die "$dir: $!";
			for my $f (0 .. 999) {
				my $p = "$dir/f$f";
				open(F, ">", $p) or die "$p: $!"; close F;
				my $t = $f % 2 ? $new : $old;
				utime($t, $t, $p) or die "$p: $!";
			}
		}' "$1" "$NDIRS" "$OLDT" "$NEWT" || die "$1: cannot make the tree"
}

# check DIR TOOL: exactly the young half is left.
check() {
	n=$(find "$1" -type f | wc -l)
	o=$(find "$1" -type f -mtime +90 | wc -l)
	[ "$n" -eq $((NFILES / 2)) ] && [ "$o" -eq 0 ] ||
	    die "$2 left $n files, $o of them old; want $((NFILES / 2)), none old"
}

echo "retain benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "  program   $BIN/retain ($("$RETAIN" -V 2>&1), run from a copy)"
echo "  peers     $(find --version 2>/dev/null | sed -n 1p), tmpreaper $(dpkg-query -W -f '${Version}' tmpreaper 2>/dev/null || echo '?')"
echo "  machine   nproc $(nproc 2>/dev/null || echo ?), $(uname -sr), load $(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null)"
echo "  workdir   $W ($fstype)"
echo "  tree      $NFILES files in $NDIRS directories, half 200 days old, half 10"
echo "  timing    wall clock, warm caches, sync before each run, best of $ROUNDS"

tr=; tf=; tt=; cr=-; cf=-; ct=-; mr=-; mf=-; mt=-
i=1
while [ $i -le "$ROUNDS" ]; do
	echo "round $i/$ROUNDS: retain ..."
	mktree "$W/t"
	timed "$RETAIN" --older-than 90d "$W/t"
	check "$W/t" retain
	[ "$T" != "$(best "$tr" "$T")" ] || { cr=$CPU; mr=$RSS; }
	tr=$(best "$tr" "$T")
	echo "round $i/$ROUNDS: find -delete ..."
	mktree "$W/t"
	timed find "$W/t" -type f -mtime +90 -delete
	check "$W/t" find
	[ "$T" != "$(best "$tf" "$T")" ] || { cf=$CPU; mf=$RSS; }
	tf=$(best "$tf" "$T")
	echo "round $i/$ROUNDS: tmpreaper ..."
	mktree "$W/t"
	timed "$TMPREAPER" --mtime --runtime=0 90d "$W/t"
	check "$W/t" tmpreaper
	[ "$T" != "$(best "$tt" "$T")" ] || { ct=$CPU; mt=$RSS; }
	tt=$(best "$tt" "$T")
	i=$((i + 1))
done
rm -rf "$W/t"

ratio() {
	case $1$2 in *-*) echo - ;; *)
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' ;; esac
}
rr=$(ratio "$tr" "$tf")
rt=$(ratio "$tt" "$tf")
crr=$(ratio "$cr" "$cf")
crt=$(ratio "$ct" "$cf")
verdict=$(awk -v r="$rr" -v t="$TARGET" 'BEGIN { print (r <= t ? "PASS" : "MISS") }')

echo
fmt='%-34s %7s %7s %8s %7s %7s  %s\n'
printf "$fmt" 'delete the old half' 'wall s' 'cpu s' 'peak KiB' 'x find' \
    'cpu x' 'target (wall)'
printf "$fmt" "retain --older-than 90d" "$tr" "$cr" "$mr" "$rr" "$crr" \
    "<=${TARGET}x $verdict"
printf "$fmt" "find -type f -mtime +90 -delete" "$tf" "$cf" "$mf" 1.00 1.00 -
printf "$fmt" "tmpreaper --mtime 90d" "$tt" "$ct" "$mt" "$rt" "$crt" -
echo
echo "retain renames each old file into its quarantine, checks device, inode"
echo "and mtime there, then unlinks it: one rename and one stat more per"
echo "deletion than find, which unlinks the name it examined."
