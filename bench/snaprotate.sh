#!/bin/sh
# bench/snaprotate.sh - snaprotate deciding over many snapshots, and
# removing a tree snapshot against rm -rf.
# SPDX-License-Identifier: ISC
#
# Run by `make bench` as
#	BIN=$PWD/build/bin BENCHBIN=$PWD/build/bench sh bench/snaprotate.sh
# Environment:
#	BENCH_SNAPSHOTS	snapshots to decide over (default 100000)
#	BENCH_FILES	files in the tree snapshot removed (default 20000)
#	TMPDIR		where the work directory goes (default /var/tmp); it
#			must be on a real disk, not a tmpfs
# Caches are warm; `sync` runs before every timed command.  Each time is
# the best of several rounds.
# Exit status: 0 when the benchmarks ran (whatever PASS/MISS says), 1 when
# one could not run, 2 when a tool is missing or the setup is unusable.

set -u
LC_ALL=C
export LC_ALL

prog=bench/snaprotate.sh
BIN=${BIN:-$(pwd)/build/bin}
NSNAP=${BENCH_SNAPSHOTS:-100000}
NFILES=${BENCH_FILES:-20000}
ROUNDS=5
RMROUNDS=3

die() { echo "$prog: $*" >&2; exit 1; }
unusable() { echo "$prog: $*" >&2; exit 2; }

case $NSNAP in ''|*[!0-9]*) unusable "BENCH_SNAPSHOTS: not a number: $NSNAP";; esac
case $NFILES in ''|*[!0-9]*) unusable "BENCH_FILES: not a number: $NFILES";; esac
[ "$NSNAP" -ge 100 ] || unusable "BENCH_SNAPSHOTS: must be at least 100"
[ "$NFILES" -ge 100 ] || unusable "BENCH_FILES: must be at least 100"

SNAPROTATE=$BIN/snaprotate
[ -x "$SNAPROTATE" ] ||
    unusable "$SNAPROTATE: not found or not executable (run make)"
for t in awk cp date df head rm split sync xargs touch; do
	command -v $t >/dev/null 2>&1 || unusable "$t: not installed"
done
case $(date +%N) in
''|*[!0-9]*) unusable "date +%N gives no nanoseconds (GNU date needed for timing)";;
esac

base=${TMPDIR:-/var/tmp}
[ -d "$base" ] || unusable "$base: no such directory (TMPDIR)"
fstype=$(df -PT "$base" 2>/dev/null | awk 'NR == 2 { print $2 }')
case $fstype in
tmpfs|ramfs|devtmpfs|overlay|'')
	unusable "$base: on ${fstype:-an unknown filesystem}, not a real disk; set TMPDIR to a directory on disk"
	;;
esac
W=$(mktemp -d "$base/snaprotate-bench.XXXXXX") ||
    unusable "$base: cannot make a temporary directory"
cleanup() { rm -rf "$W"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

cp "$SNAPROTATE" "$W/snaprotate" || die "$W/snaprotate: cannot copy $SNAPROTATE"
SNAPROTATE=$W/snaprotate

# --- helpers (as in bench/snapback.sh) -----------------------------------------

now() { date +%s.%N; }
elapsed() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		split(a, x, "."); split(b, y, ".")
		printf "%.3f", (y[1] - x[1]) + (y[2] - x[2]) / 1e9
	}'
}
timed() {
	sync
	t0=$(now)
	"$@" >"$W/out" 2>"$W/err"
	rc=$?
	t1=$(now)
	if [ $rc -ne 0 ]; then
		echo "$prog: failed with status $rc: $*" >&2
		sed 's/^/	/' "$W/err" >&2
		exit 1
	fi
	T=$(elapsed "$t0" "$t1")
}
best() {
	if [ -z "$1" ]; then echo "$2"; else
		awk -v a="$1" -v b="$2" 'BEGIN { print (b < a ? b : a) }'
	fi
}

fmt='%-30s %-40s %8s %8s  %-8s %s\n'
rows=
row() {	# row BENCH TOOL SECS RATIO TARGET RESULT
	rows="$rows$(printf "$fmt" "$1" "$2" "$3" "$4" "$5" "$6")
"
}

echo "snaprotate benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "  program   $BIN/snaprotate ($("$SNAPROTATE" -V 2>&1), run from a copy)"
echo "  machine   nproc $(nproc 2>/dev/null || echo ?), $(uname -sr), load $(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null)"
echo "  workdir   $W ($fstype)"
echo "  timing    wall clock (date +%s.%N), warm caches, sync before each run"

# --- 1: deciding over many snapshots ---------------------------------------------
#
# A snapback directory of NSNAP file snapshots, one about every hour from
# 2010 on (empty files and empty manifests), the policy of restic's manual.

echo
echo "setup: $NSNAP snapshot names ..."
B=$W/many
mkdir "$B" || die "$B: cannot make it"
echo /srv/data/db.sqlite >"$B/.snapback"
awk -v n="$NSNAP" 'BEGIN {
	srand(20250818)
	t = 1262304000
	for (i = 0; i < n; i++) {
		# Civil UTC date of t (days from 1970-01-01, Hinnant).
		d = int(t / 86400); s = t - d * 86400
		z = d + 719468; era = int(z / 146097); doe = z - era * 146097
		yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
		y = yoe + era * 400; doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
		mp = int((5 * doy + 2) / 153); dd = doy - int((153 * mp + 2) / 5) + 1
		mm = mp < 10 ? mp + 3 : mp - 9; if (mm <= 2) y++
		name = sprintf("db_%04d%02d%02d_%02d%02d%02d.sqlite", y, mm, dd,
		    int(s / 3600), int(s / 60) % 60, s % 60)
		print name; print name ".sha256"
		t += 3000 + int(rand() * 1200)
	}
}' >"$W/names" || die "cannot make the names"
(cd "$B" && xargs touch <"$W/names") || die "$B: cannot make the snapshots"
last=$(tail -n 2 "$W/names" | head -n 1)
ln -s "$last" "$B/latest.sqlite"

d1=; p1=
i=1
while [ $i -le $ROUNDS ]; do
	timed "$SNAPROTATE" -n -d "$B" --keep-daily 7 --keep-weekly 5 --keep-monthly 12
	d1=$(best "$d1" "$T")
	[ "$(awk -F '\t' '$1 == "keep" || $1 == "remove"' "$W/out" | wc -l)" -eq "$NSNAP" ] ||
	    die "benchmark 1: snaprotate -n did not list $NSNAP snapshots"
	timed "$SNAPROTATE" -n -d "$B" --pattern 'db_%Y%m%d_%H%M%S.sqlite' \
	    --keep-daily 7 --keep-weekly 5 --keep-monthly 12
	p1=$(best "$p1" "$T")
	i=$((i + 1))
done
kept=$(awk -F '\t' '$1 == "total" { sub("keep ", "", $2); print $2 }' "$W/out")
row "1 decide $NSNAP snapshots" "snaprotate -n (snapback directory)" "$d1" - \
    "<0.50 s" "$(awk -v t="$d1" 'BEGIN { print (t < 0.5 ? "PASS" : "MISS") }')"
row "" "snaprotate -n --pattern (info)" "$p1" - - -
rm -rf "$B"

# --- 2: removing a tree snapshot ---------------------------------------------------
#
# NFILES files of 1-4 KiB in NFILES/100 directories; each round, one copy
# becomes the older of two snapshots that snaprotate --keep-last 1 removes,
# the other copy is removed by rm -rf.

echo "setup: a tree of $NFILES files ..."
ndirs=$((NFILES / 100))
S=$W/tree
mkdir "$S" || die "$S: cannot make it"
i=0
while [ $i -lt $ndirs ]; do
	mkdir "$S/d$i" || die "$S/d$i: cannot make it"
	head -c $((100 * 2560)) /dev/urandom |
	    (cd "$S/d$i" && split -b 2560 -a 3 - f) || die "$S/d$i: cannot write"
	i=$((i + 1))
done
nf=$(find "$S" -type f | wc -l)
[ "$nf" -eq $((ndirs * 100)) ] || die "$S: $nf files, not $((ndirs * 100))"

R=$W/rot
setup2() {
	rm -rf "$R" "$W/copy"
	mkdir "$R" && echo /srv/data/tree >"$R/.snapback" &&
	    cp -a "$S" "$R/tree_20240101_000000" &&
	    : >"$R/tree_20240101_000000.sha256" &&
	    mkdir "$R/tree_20240102_000000" &&
	    : >"$R/tree_20240102_000000.sha256" &&
	    ln -s tree_20240102_000000 "$R/latest" &&
	    cp -a "$S" "$W/copy" || die "cannot set up benchmark 2"
}
sr2=; rm2=
i=1
while [ $i -le $RMROUNDS ]; do
	echo "removal round $i/$RMROUNDS ..."
	setup2
	if [ $((i % 2)) -eq 1 ]; then
		timed "$SNAPROTATE" -d "$R" --keep-last 1
		sr2=$(best "$sr2" "$T")
		timed rm -rf "$W/copy"
		rm2=$(best "$rm2" "$T")
	else
		timed rm -rf "$W/copy"
		rm2=$(best "$rm2" "$T")
		timed "$SNAPROTATE" -d "$R" --keep-last 1
		sr2=$(best "$sr2" "$T")
	fi
	[ ! -e "$R/tree_20240101_000000" ] && [ ! -e "$W/copy" ] ||
	    die "benchmark 2: something was not removed"
	[ -z "$(ls -A "$R" | grep '^\.tree')" ] || die "benchmark 2: trash left"
	i=$((i + 1))
done
ratio=$(awk -v a="$sr2" -v b="$rm2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
row "2 remove $NFILES-file tree" "snaprotate --keep-last 1" "$sr2" "$ratio" \
    "<=1.10" "$(awk -v r="$ratio" 'BEGIN { print (r <= 1.1 ? "PASS" : "MISS") }')"
row "" "rm -rf" "$rm2" - - -

echo
printf "$fmt" benchmark tool seconds ratio target result
printf '%s' "$rows"
echo
echo "1: the policy --keep-daily 7 --keep-weekly 5 --keep-monthly 12 keeps $kept"
echo "   snapshots; -n prints all $NSNAP decisions with the bytes each frees."
echo "2: ratio = snaprotate / rm -rf on identical trees; snaprotate also removes"
echo "   the manifest first and syncs the directory after each step."
exit 0
