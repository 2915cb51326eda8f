#!/bin/sh
# 030-snaprotate-space: --max-size with snapshots sharing inodes, and
# --min-free on a small filesystem.
# SPDX-License-Identifier: ISC

# The small filesystem is mounted in a mount namespace of its own (as in
# 020-snapback-space), so that nothing outlives the test.
if [ -z "$DATAKEEP_UNSHARED" ] && [ "$(id -u)" = 0 ] &&
    unshare -m true 2>/dev/null; then
	export DATAKEEP_UNSHARED=1
	exec unshare -m --propagation private /bin/sh "$0" "$@"
fi
. "$(dirname "$0")/tap.sh"

NTMPFS=14
plan $((27 + NTMPFS))

SR=$BIN/snaprotate
TAB=$(printf '\t')
TZ=UTC
export TZ

# usage SNAP...: bytes the snapshots (relative to bk, with their manifests)
# take, each inode once.
usage() {
	(cd bk && for s in "$@"; do find "$s" "$s.sha256" -printf '%i %b\n'; done) |
	    sort -u | awk '{ b += $2 * 512 } END { printf "%.0f\n", b }'
}

# freed SNAP...: bytes that removing the snapshots frees: directories, and
# inodes all of whose links are among them.
freed() {
	(cd bk && for s in "$@"; do
		find "$s" "$s.sha256" -printf '%i %n %b %y\n'
	done) | awk '{ seen[$1]++; n[$1] = $2; b[$1] = $3; d[$1] = ($4 == "d") }
	    END {
		for (i in seen)
			if (d[i] || seen[i] == n[i]) t += b[i] * 512
		printf "%.0f\n", t
	    }'
}

rnd() { head -c "$2" /dev/urandom >"$1"; }

# --- three tree snapshots sharing files --------------------------------------
#
# A: f1 f2 f3; B: f1 and f2 linked from A, its own f3; C: f1 linked from A,
# its own f2, f3 linked from B.

A=tree_20240101_000000
B=tree_20240102_000000
C=tree_20240103_000000
mkdir -p bk/$A bk/$B bk/$C
echo /srv/data/tree >bk/.snapback
rnd bk/$A/f1 65536
rnd bk/$A/f2 65536
rnd bk/$A/f3 65536
ln bk/$A/f1 bk/$B/f1
ln bk/$A/f2 bk/$B/f2
rnd bk/$B/f3 65536
ln bk/$A/f1 bk/$C/f1
rnd bk/$C/f2 65536
ln bk/$B/f3 bk/$C/f3
for s in $A $B $C; do
	(cd bk && find "$s" -type f -exec sha256sum {} + >"$s.sha256")
done
ln -s $C bk/latest

all=$(usage $A $B $C)
onlyC=$(usage $C)
fA=$(freed $A)
fAB=$(freed $A $B)
diag "all $all, C alone $onlyC, freed by A $fA, by A and B $fAB"
ok 'the setup shares inodes: A frees less than it holds' \
    test "$fA" -lt "$(usage $A)"

status '--max-size just under the total: -n' 0 \
    "$SR" -n -d bk --keep-last 3 --max-size $((all - 1))
same 'only the oldest goes, freeing what only it holds' \
    "remove${TAB}$A${TAB}$fA
keep${TAB}$B${TAB}last#2
keep${TAB}$C${TAB}last#1,latest,newest
total${TAB}keep 2${TAB}remove 1${TAB}$fA" "$(cat "$OUT")"
status '--max-size at the total: nothing goes' 0 \
    "$SR" -n -d bk --keep-last 3 --max-size "$all"
same 'all three kept' 'keep keep keep total' \
    "$(cut -f 1 "$OUT" | tr '\n' ' ' | sed 's/ $//')"
status '--max-size of C alone: -n' 0 \
    "$SR" -n -d bk --keep-last 3 --max-size "$onlyC"
same 'A and B go; B frees what it shared only with A' \
    "remove${TAB}$A${TAB}$fA
remove${TAB}$B${TAB}$((fAB - fA))
keep${TAB}$C${TAB}last#1,latest,newest
total${TAB}keep 1${TAB}remove 2${TAB}$fAB" "$(cat "$OUT")"
status '--max-size one byte under C alone: exit 1' 1 \
    "$SR" -n -d bk --keep-last 3 --max-size $((onlyC - 1))
same 'it says the protected snapshot alone is too big' \
    "snaprotate: bk: cannot meet --max-size $((onlyC - 1)): the protected snapshots alone take $onlyC bytes" \
    "$(cat "$ERR")"
same 'and still plans to remove what it can' 'remove remove keep total' \
    "$(cut -f 1 "$OUT" | tr '\n' ' ' | sed 's/ $//')"
status 'a size with a suffix' 0 "$SR" -n -d bk --keep-last 3 --max-size 1G
same 'under 1G, nothing goes' 'keep keep keep total' \
    "$(cut -f 1 "$OUT" | tr '\n' ' ' | sed 's/ $//')"
status 'the rules first: --keep-last 2, then --max-size of C alone' 0 \
    "$SR" -n -d bk --keep-last 2 --max-size "$onlyC"
same 'the same removals, whichever decided them' \
    "remove${TAB}$A${TAB}$fA
remove${TAB}$B${TAB}$((fAB - fA))
keep${TAB}$C${TAB}last#1,latest,newest
total${TAB}keep 1${TAB}remove 2${TAB}$fAB" "$(cat "$OUT")"

cp -a bk bk.copy
f3=$(stat -c %i bk/$C/f3)
status '--max-size for real, -v' 0 "$SR" -v -d bk --keep-last 3 --max-size "$onlyC"
same '-v prints what -n planned' \
    "remove${TAB}$A${TAB}$fA
remove${TAB}$B${TAB}$((fAB - fA))
keep${TAB}$C${TAB}last#1,latest,newest
total${TAB}keep 1${TAB}remove 2${TAB}$fAB" "$(cat "$OUT")"
same 'C and its manifest are left' ".lock .snapback latest $C $C.sha256" \
    "$(names bk)"
ok 'C verifies with sha256sum' \
    sh -c 'cd bk && sha256sum -c --quiet "$1.sha256"' sh $C
same "C's files have one link each now, f3 the same inode" "1 1 1 $f3" \
    "$(stat -c %h bk/$C/f1 bk/$C/f2 bk/$C/f3 | tr '\n' ' ')$(stat -c %i bk/$C/f3)"
ok 'C holds what it held' diff -r bk.copy/$C bk/$C

# --- many snapshots: the parallel count -----------------------------------------
#
# 300 files in groups of 6 names for one inode.  Removing the 150 oldest
# frees 25 whole groups; the 153 oldest, still 25 (group 26 keeps links).

mkdir many
i=0
t=1704067200
while [ $i -lt 300 ]; do
	n=many/f_$(date -u -d "@$t" +%Y%m%d_%H%M%S)
	if [ $((i % 6)) -eq 0 ]; then
		rnd "$n" 8192
		first=$n
	else
		ln "$first" "$n"
	fi
	i=$((i + 1))
	t=$((t + 3600))
done
b=$(($(stat -c %b "$first") * 512))
status '300 snapshots in groups of 6 links, --keep-last 150' 0 \
    "$SR" -n -d many --pattern 'f_%Y%m%d_%H%M%S' --keep-last 150
same '25 groups freed, each by the removal of its last link' \
    "25 $((25 * b)) $((25 * b))" \
    "$(awk -F '\t' '$1 == "remove" && $3 > 0 { n++; s += $3 }
	$1 == "total" { t = $4 } END { print n, s, t }' "$OUT")"
same 'the freeing removals are each group'"'"'s sixth' \
    "$(seq 6 6 150 | tr '\n' ' ')" \
    "$(awk -F '\t' '$1 == "remove" { i++; if ($3 > 0) printf "%d ", i }' "$OUT")"
status '--keep-last 147' 0 \
    "$SR" -n -d many --pattern 'f_%Y%m%d_%H%M%S' --keep-last 147
same 'a group with links kept frees nothing' \
    "remove 153 $((25 * b))" \
    "$(awk -F '\t' '$1 == "total" { print $3, $4 }' "$OUT")"
status '--max-size of 10 groups' 0 "$SR" -d many \
    --pattern 'f_%Y%m%d_%H%M%S' --keep-last unlimited --max-size $((10 * b))
same 'removes the oldest until 10 groups are left, links and all' 60 \
    "$(ls many | grep -c '^f_')"

# --- --min-free on a small tmpfs -----------------------------------------------------

skip_tmpfs() {
	i=0
	while [ $i -lt $NTMPFS ]; do
		i=$((i + 1))
		skip "min-free test $i" "$1"
	done
	exit 0
}
[ "$(id -u)" = 0 ] || skip_tmpfs 'mounting a small tmpfs needs root'
mkdir small
trap 'rc_=$?; umount "$T/small" 2>/dev/null; (exit $rc_); tap_cleanup' EXIT
mount -t tmpfs -o size=8m,mode=0755 tmpfs "$T/small" 2>"$ERR" ||
    skip_tmpfs "cannot mount a tmpfs: $(cat "$ERR")"

MiB=1048576
mkfull() {
	rm -rf small/d
	mkdir small/d
	for d in 01 02 03 04 05 06; do
		rnd "small/d/dump_202401${d}_000000.bin" $MiB
	done
}
avail() { echo $(($(stat -f -c '%a * %S' small))); }
# expect WANT: how many of the oldest must go for WANT bytes free.
expect() {
	a=$(avail)
	k=0
	while [ $((a + k * MiB)) -lt "$1" ]; do k=$((k + 1)); done
	echo $k
}
PAT='dump_%Y%m%d_%H%M%S.bin'
mkfull
k=$(expect $((4 * MiB)))
diag "free with six 1 MiB dumps: $(avail); for 4 MiB, $k must go"
ok 'the setup needs removals for --min-free 4M' test "$k" -ge 1 -a "$k" -le 5
status '--min-free 4M: -n' 0 "$SR" -n -d small/d --pattern "$PAT" \
    --keep-last 10 --min-free 4M
same "the $k oldest go, each freeing 1 MiB" \
    "$(i=0; while [ $i -lt "$k" ]; do echo "remove $MiB"; i=$((i + 1)); done)" \
    "$(awk -F '\t' '$1 == "remove" { print $1, $3 }' "$OUT")"
status '--min-free 4M for real' 0 "$SR" -d small/d --pattern "$PAT" \
    --keep-last 10 --min-free 4M
same "$((6 - k)) dumps are left" $((6 - k)) "$(ls small/d | grep -c '^dump_')"
ok 'at least 4 MiB are free' test "$(avail)" -ge $((4 * MiB))

mkfull
total=$(($(stat -f -c '%b * %S' small)))
k=$(expect $(((total / 100) * 75 + (total % 100) * 75 / 100)))
status '--min-free 75% for real' 0 "$SR" -v -d small/d --pattern "$PAT" \
    --keep-last 10 --min-free 75%
same "$k removed, as 75% of the filesystem needs" "$k" \
    "$(grep -c '^remove' "$OUT")"
ok 'at least 75% is free' test "$(avail)" -ge $((total * 3 / 4))

mkfull
status '--min-free 100% cannot be met: exit 1' 1 "$SR" -d small/d \
    --pattern "$PAT" --keep-last 10 --min-free 100%
same 'it says so' 1 "$(grep -c "^snaprotate: small/d: cannot meet --min-free 100%: [0-9]* bytes free after removing all but the protected snapshots, want $total\$" "$ERR")"
same 'all but the newest were removed' '.lock dump_20240106_000000.bin' \
    "$(names small/d)"

mkfull
status '--max-size and --min-free together: the stricter wins' 0 \
    "$SR" -d small/d --pattern "$PAT" --keep-last 10 --max-size 5M \
    --min-free 1
same 'five dumps left for --max-size 5M' 5 "$(ls small/d | grep -c '^dump_')"
umount "$T/small"
