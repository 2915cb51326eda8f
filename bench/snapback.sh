#!/bin/sh
# bench/snapback.sh - snapback against cp+sha256sum, rsync and rsnapshot.
# SPDX-License-Identifier: ISC
#
# Run by `make bench` as
#	BIN=$PWD/build/bin BENCHBIN=$PWD/build/bench sh bench/snapback.sh
# Environment:
#	BENCH_FILE_MB	size of the single file of benchmark 1 (default 1024)
#	BENCH_FILES	files in the tree of benchmarks 2 and 3 (default 20000)
#	BENCH_PROFILE=1	also run one extra incremental snapback under
#			strace -c -f and perf stat and print what they say
#	TMPDIR		where the work directory goes (default /var/tmp); it
#			must be on a real disk, not a tmpfs
# Caches are warm on purpose: nothing is dropped, but `sync` runs before
# every timed command so that no tool pays for another's dirty pages.
# Exit status: 0 when the benchmarks ran (whatever PASS/MISS says), 1 when
# one could not run, 2 when a tool is missing or the setup is unusable.

set -u
LC_ALL=C
export LC_ALL

prog=bench/snapback.sh
BIN=${BIN:-$(pwd)/build/bin}
FILE_MB=${BENCH_FILE_MB:-1024}
NFILES=${BENCH_FILES:-20000}
PROFILE=${BENCH_PROFILE:-0}
ROUNDS=3

die() { echo "$prog: $*" >&2; exit 1; }
unusable() { echo "$prog: $*" >&2; exit 2; }

# --- checks: numbers, our program, the peers --------------------------------

case $FILE_MB in ''|*[!0-9]*) unusable "BENCH_FILE_MB: not a number: $FILE_MB";; esac
case $NFILES in ''|*[!0-9]*) unusable "BENCH_FILES: not a number: $NFILES";; esac
[ "$FILE_MB" -ge 1 ] || unusable "BENCH_FILE_MB: must be at least 1"
[ "$NFILES" -ge 100 ] || unusable "BENCH_FILES: must be at least 100"

SNAPBACK=$BIN/snapback
[ -x "$SNAPBACK" ] || unusable "$SNAPBACK: not found or not executable (run make)"

missing=
need() {	# need CMD PACKAGE
	command -v "$1" >/dev/null 2>&1 || missing="$missing	$1 (package $2)
"
}
need rsync rsync
need rsnapshot rsnapshot
need sha256sum coreutils
need cp coreutils
need head coreutils
need date coreutils
need awk mawk/gawk
need df coreutils
need find findutils
need sync coreutils
if [ -n "$missing" ]; then
	echo "$prog: missing tools, benchmarks not run:" >&2
	printf '%s' "$missing" >&2
	exit 2
fi
case $(date +%N) in
''|*[!0-9]*) unusable "date +%N gives no nanoseconds (GNU date needed for timing)";;
esac

# --- the work directory: on a real disk, removed on exit --------------------

base=${TMPDIR:-/var/tmp}
[ -d "$base" ] || unusable "$base: no such directory (TMPDIR)"
fstype=$(df -PT "$base" 2>/dev/null | awk 'NR == 2 { print $2 }')
case $fstype in
tmpfs|ramfs|devtmpfs|overlay|'')
	unusable "$base: on ${fstype:-an unknown filesystem}, not a real disk; set TMPDIR to a directory on disk"
	;;
esac
W=$(mktemp -d "$base/snapback-bench.XXXXXX") || unusable "$base: cannot make a temporary directory"
cleanup() {
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Run a private copy, so that a rebuild during the run changes nothing.
cp "$SNAPBACK" "$W/snapback" || die "$W/snapback: cannot copy $SNAPBACK"
SNAPBACK=$W/snapback

# --- helpers ----------------------------------------------------------------

now() { date +%s.%N; }

# elapsed T0 T1: seconds between two `date +%s.%N` stamps, exact to the ns.
elapsed() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		split(a, x, "."); split(b, y, ".")
		printf "%.3f", (y[1] - x[1]) + (y[2] - x[2]) / 1e9
	}'
}

# timed CMD...: run CMD (stdout to $W/out, stderr to $W/err) after a sync;
# T is its wall time. A failing command ends the benchmark, loudly.
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

# best CURRENT NEW: the smaller of two times ("" means none yet).
best() {
	if [ -z "$1" ]; then echo "$2"; else
		awk -v a="$1" -v b="$2" 'BEGIN { print (b < a ? b : a) }'
	fi
}

# snapback names snapshots by the second and waits for the next second
# rather than reuse a name; keep that wait out of the measurement.
sb_last=0
sb_wait() {
	while [ "$(date +%s)" -le "$sb_last" ]; do sleep 0.05; done
}
sb_create() {	# sb_create DIR SOURCE
	sb_wait
	timed "$SNAPBACK" create -d "$1" "$2"
	sb_last=$(date +%s)
}

# Table rows. row BENCH TOOL SECS [SNAP_SECS FACTOR]: SECS is the tool's
# time; with SNAP_SECS, snapback's time on the same input, and a factor, the
# ratio snapback/peer, the speedup and PASS/MISS against
# "snapback at least FACTOR times faster"; FACTOR "-" gives the ratio only.
fmt='%-24s %-34s %8s %8s %8s %8s  %s\n'
rows=
row() {
	if [ $# -lt 4 ]; then
		line=$(printf "$fmt" "$1" "$2" "$3" "" "" "" "")
	else
		line=$(awk -v b="$1" -v t="$2" -v p="$3" -v s="$4" -v f="$5" \
		    -v fmt="$fmt" 'BEGIN {
			r = (p > 0) ? s / p : 0
			x = (s > 0) ? p / s : 0
			if (f == "-") { tg = "-"; res = "-" }
			else {
				tg = sprintf("<=%.2f", 1 / f)
				res = (p >= f * s) ? "PASS" : "MISS"
			}
			printf fmt, b, t, p, sprintf("%.2f", r), \
			    sprintf("%.2fx", x), tg, res
		}')
	fi
	rows="$rows$line
"
}

# --- header -----------------------------------------------------------------

if grep -qw sha_ni /proc/cpuinfo 2>/dev/null; then shani=yes; else shani=no; fi
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
echo "snapback benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "  program   $BIN/snapback ($("$SNAPBACK" -V 2>&1), run from a copy)"
echo "  machine   nproc $(nproc 2>/dev/null || echo ?), sha_ni $shani, ${cpu:-unknown cpu}, $(uname -sr)"
echo "  workdir   $W ($fstype)"
echo "  peers     $(rsync --version | awk 'NR == 1 { print $1, $3 }'), rsnapshot $(rsnapshot -V 2>&1 | awk 'NR == 1 { print $2 }'), $(sha256sum --version | awk 'NR == 1 { print "coreutils", $4 }')"
echo "  timing    wall clock (date +%s.%N), best of $ROUNDS, warm caches, sync before each run"

# --- the tree's layout (computed now to check the free space) ---------------
#
# BENCH_FILES files in BENCH_FILES/100 directories (two levels): 1 in 1000 of
# 5-10 MiB, 1 in 10 of 100 KiB-1 MiB, the rest of 1-16 KiB; sizes from a
# seeded rand(), so a run is the same from one time to the next.

ndirs=$((NFILES / 100))
awk -v n="$NFILES" -v nd="$ndirs" 'BEGIN {
	srand(20250818)
	for (i = 0; i < n; i++) {
		if (i % 1000 == 500)
			s = 5242880 + int(rand() * 5242881)
		else if (i % 10 == 3)
			s = 102400 + int(rand() * (1048576 - 102400 + 1))
		else
			s = 1024 + int(rand() * (16384 - 1024 + 1))
		d = i % nd
		printf "d%02d/s%d/f%05d %d\n", int(d / 10), d % 10, i, s
	}
}' >"$W/layout" || die "cannot compute the tree layout"
# %.0f, not %d: mawk's %d stops at 2^31 - 1.
tree_bytes=$(awk '{ t += $2 } END { printf "%.0f", t }' "$W/layout")
file_bytes=$((FILE_MB * 1048576))

# Peak use: benchmark 1 holds the file and one copy; benchmarks 2-3 the
# tree, three full copies and the changed files. Plus 10% for slack.
need1=$((file_bytes * 2))
need2=$((tree_bytes * 4 + tree_bytes / 10))
[ $need1 -gt $need2 ] && need=$need1 || need=$need2
need=$((need + need / 10))
avail=$(df -Pk "$W" | awk 'NR == 2 { printf "%.0f", $4 * 1024 }')
if [ "$avail" -lt "$need" ]; then
	unusable "$W: needs $((need / 1048576)) MiB free, has $((avail / 1048576)) MiB; lower BENCH_FILE_MB or BENCH_FILES"
fi

# --- 1: one file -------------------------------------------------------------

F=$W/big.bin
echo
echo "setup: $FILE_MB MiB of random data ..."
head -c "$file_bytes" /dev/urandom >"$F" || die "$F: cannot write"

sb1=; cp1=
i=1
while [ $i -le $ROUNDS ]; do
	timed "$SNAPBACK" create -d "$W/b1.$i" "$F"
	sb1=$(best "$sb1" "$T")
	if [ $i -eq 1 ]; then
		snap=$(cat "$W/out")
		sbhash=$(awk 'NR == 1 { print $1 }' "$snap.sha256" 2>/dev/null) ||
		    die "$snap.sha256: no manifest"
	fi
	rm -rf "$W/b1.$i"

	timed sh -c 'cp "$1" "$2" && sha256sum "$2"' sh "$F" "$W/copy.bin"
	cp1=$(best "$cp1" "$T")
	if [ $i -eq 1 ]; then
		cphash=$(awk '{ print $1 }' "$W/out")
		[ "$sbhash" = "$cphash" ] ||
		    die "benchmark 1: snapback's manifest says $sbhash, sha256sum $cphash"
	fi
	rm -f "$W/copy.bin"
	i=$((i + 1))
done
rm -f "$F"
row "1 file $FILE_MB MiB" "snapback create (copy+hash+fsync)" "$sb1"
row "" "cp + sha256sum (no fsync)" "$cp1" "$sb1" 2

# --- 2: incremental snapshots of a tree -------------------------------------

S=$W/src
SB=$W/sb
RS=$W/rsync
RN=$W/rsnapshot
nmod=$((NFILES / 100))

echo "setup: tree of $NFILES files in $ndirs directories, $((tree_bytes / 1048576)) MiB ..."
awk '{ d = $1; sub("/[^/]*$", "", d); print d }' "$W/layout" | sort -u |
    (cd "$W" && mkdir -p src && cd src && xargs mkdir -p) ||
    die "$S: cannot make the directories"
while read -r p s; do
	head -c "$s" /dev/urandom >"$S/$p" || die "$S/$p: cannot write"
done <"$W/layout"

conf=$W/rsnapshot.conf
printf '%s\t%s\n' \
    config_version 1.2 \
    snapshot_root "$RN/" \
    no_create_root 0 \
    cmd_rsync "$(command -v rsync)" \
    cmd_cp "$(command -v cp)" \
    lockfile "$W/rsnapshot.pid" >"$conf"
printf 'retain\talpha\t10\n' >>"$conf"
printf 'backup\t%s/\tlocalhost/\n' "$S" >>"$conf"
rsnapshot -c "$conf" configtest >"$W/out" 2>&1 ||
    { sed 's/^/	/' "$W/out" >&2; die "$conf: rsnapshot rejects it"; }

# modify CYCLE: rewrite 1% of the files with new random content of the
# same size (so a new mtime), a different seeded choice each cycle. A file
# changed twice gets mtimes in different seconds: rsync's quick check
# (size and whole-second mtime) missed such a change in testing.
mod_last=0
modify() {
	while [ "$(date +%s)" -le "$mod_last" ]; do sleep 0.05; done
	awk -v n="$NFILES" -v k="$nmod" -v seed="$1" 'BEGIN {
		srand(seed)
		while (c < k) {
			i = int(rand() * n)
			if (!(i in pick)) { pick[i] = 1; c++ }
		}
	}
	(NR - 1) in pick' "$W/layout" >"$W/modified"
	while read -r p s; do
		head -c "$s" /dev/urandom >"$S/$p" || die "$S/$p: cannot write"
	done <"$W/modified"
	mod_last=$(date +%s)
}

# copied DIR: regular files with one link, i.e. not shared with the
# previous snapshot. Each tool must have copied exactly the changed files.
copied() { find "$1" -type f -links 1 | wc -l | tr -d ' '; }
check_copied() {	# check_copied TOOL DIR
	ncopied=$(copied "$2")
	[ "$ncopied" -eq "$nmod" ] ||
	    die "benchmark 2: $1 copied $ncopied files, expected $nmod (the ones changed)"
}

echo "full snapshots ..."
mkdir -p "$RS" || die "$RS: cannot make it"
sb_create "$SB" "$S"
sbfull=$T
timed rsync -a "$S/" "$RS/0/"
rsfull=$T
timed rsnapshot -c "$conf" alpha
rnfull=$T

sb2=; rs2=; rn2=
run_sb() {
	sb_create "$SB" "$S"
	sb2=$(best "$sb2" "$T")
	check_copied snapback "$(cat "$W/out")"
}
run_rs() {
	timed rsync -a --link-dest="$RS/$((c - 1))" "$S/" "$RS/$c/"
	rs2=$(best "$rs2" "$T")
	check_copied rsync "$RS/$c"
}
run_rn() {
	timed rsnapshot -c "$conf" alpha
	rn2=$(best "$rn2" "$T")
	check_copied rsnapshot "$RN/alpha.0"
}
c=1
while [ $c -le $ROUNDS ]; do
	echo "incremental $c/$ROUNDS: $nmod files changed ..."
	modify $((1000 + c))
	# Rotate the order so no tool always runs first after the change.
	case $c in
	1) run_sb; run_rs; run_rn;;
	2) run_rs; run_rn; run_sb;;
	*) run_rn; run_sb; run_rs;;
	esac
	c=$((c + 1))
done

row "2 tree full (info)" "snapback create" "$sbfull"
row "" "rsync -a" "$rsfull" "$sbfull" -
row "" "rsnapshot alpha" "$rnfull" "$sbfull" -
row "2 tree incremental 1%" "snapback create" "$sb2"
row "" "rsync -a --link-dest" "$rs2" "$sb2" 3
row "" "rsnapshot alpha (cp -al + rsync)" "$rn2" "$sb2" -

# --- 3: verify ---------------------------------------------------------------

name=$(readlink "$SB/latest") || die "$SB/latest: not a symbolic link"
sb3=; sh3=
i=1
while [ $i -le $ROUNDS ]; do
	timed "$SNAPBACK" verify -d "$SB" latest
	sb3=$(best "$sb3" "$T")
	timed sh -c 'cd "$1" && sha256sum -c --quiet "$2.sha256"' sh "$SB" "$name"
	sh3=$(best "$sh3" "$T")
	i=$((i + 1))
done
row "3 verify tree" "snapback verify" "$sb3"
row "" "sha256sum -c --quiet" "$sh3" "$sb3" 4

# --- the table ---------------------------------------------------------------

echo
printf "$fmt" benchmark tool seconds "snap/peer" speedup target result
printf '%s' "$rows"
echo
echo "ratio = snapback time / peer time; target = the ratio snapback must reach"
echo "(1: at most 0.5 x cp+sha256sum; 2: 3x faster than rsync; 3: 4x faster)."
echo "cp + sha256sum does no fsync, snapback does; rsync and rsnapshot do no"
echo "fsync and hash nothing. rsnapshot uses cmd_cp $(command -v cp) (cp -al), as Debian's"
echo "default rsnapshot.conf does."

# --- optional profile of one more incremental snapback run ------------------

if [ "$PROFILE" = 1 ]; then
	echo
	if command -v strace >/dev/null 2>&1; then
		modify 2001
		sb_wait; sync
		strace -c -f -o "$W/strace" "$SNAPBACK" create -d "$SB" "$S" >/dev/null ||
		    die "snapback under strace failed"
		sb_last=$(date +%s)
		echo "strace -c -f, one incremental snapback create ($nmod files changed):"
		cat "$W/strace"
	else
		echo "strace: not installed, no syscall profile"
	fi
	if command -v perf >/dev/null 2>&1; then
		modify 2002
		sb_wait; sync
		if perf stat -o "$W/perf" "$SNAPBACK" create -d "$SB" "$S" >/dev/null 2>"$W/err"; then
			echo "perf stat, one incremental snapback create ($nmod files changed):"
			cat "$W/perf"
		else
			echo "perf stat: did not work here:"; cat "$W/err"
		fi
		sb_last=$(date +%s)
	else
		echo "perf: not installed, no counters"
	fi
fi
exit 0
