#!/bin/sh
# 020-snapback-space: create on a full filesystem fails and changes nothing.
# SPDX-License-Identifier: ISC

# The small filesystems are mounted in a mount namespace of their own, so
# that nothing outlives the test even if it is killed; this comes before
# tap.sh, whose temporary directory and trap belong to the process exec'd.
if [ -z "$DATAKEEP_UNSHARED" ] && [ "$(id -u)" = 0 ] &&
    unshare -m true 2>/dev/null; then
	export DATAKEEP_UNSHARED=1
	exec unshare -m --propagation private /bin/sh "$0" "$@"
fi
. "$(dirname "$0")/tap.sh"

N=27
plan $N

SB=$BIN/snapback
MiB=$((1024 * 1024))

skip_all() {
	i=0
	while [ $i -lt $N ]; do
		i=$((i + 1))
		skip "full filesystem test $i" "$1"
	done
	exit 0
}

[ "$(id -u)" = 0 ] || skip_all 'mounting a small tmpfs needs root'
mkdir small tiny
umount_all() {
	for m in "$T/small" "$T/tiny"; do
		umount "$m" 2>/dev/null
	done
}
# Unmount before tap.sh removes the directory, keeping the exit status.
trap 'rc_=$?; umount_all; (exit $rc_); tap_cleanup' EXIT
mount -t tmpfs -o size=8m,mode=0755 tmpfs "$T/small" 2>"$ERR" ||
    skip_all "cannot mount a tmpfs: $(cat "$ERR")"
mount -t tmpfs -o size=8m,nr_inodes=64,mode=0755 tmpfs "$T/tiny" 2>"$ERR" ||
    skip_all "cannot mount a tmpfs: $(cat "$ERR")"

# no_space_shape: stderr is the one line "not enough space: need N, have M".
# ok and status overwrite $ERR: what is checked is kept in $E first.
E=$TAP_ROOT/err
no_space_shape() {
	[ "$(wc -l <"$E")" -eq 1 ] &&
	    grep -Eq '^snapback: [^ ]+: not enough space: need [0-9]+, have [0-9]+$' "$E"
}

# --- a tree that outgrows the space -----------------------------------------

mkdir src
echo one >src/one
head -c 100000 /dev/urandom >src/data
ok 'a small first snapshot fits' "$SB" create -d small/bk src
first=$(basename "$(cat "$OUT")")
before=$(ls -A small/bk)
head -c $((12 * MiB)) /dev/urandom >src/big
status 'a tree larger than the free space: create exits 1' 1 \
    "$SB" create -d small/bk src
cp "$ERR" "$E"
sed "s/^/# stderr: /" "$E"
ok 'stderr is one line "not enough space: need N, have M"' no_space_shape
need=$(sed -n 's/.*need \([0-9]*\), have.*/\1/p' "$E")
have=$(sed -n 's/.*, have \([0-9]*\)$/\1/p' "$E")
ok 'N covers the new 12 MiB and M is below N and 8 MiB' \
    test "${need:-0}" -ge $((12 * MiB)) -a "${have:-0}" -lt "${need:-0}" \
    -a "${have:-$MiB}" -le $((8 * MiB))
same 'the backup dir holds what it held before, nothing more' \
    "$before" "$(ls -A small/bk)"
same 'latest still points at the first snapshot' "$first" \
    "$(readlink small/bk/latest)"
ok 'verify all passes on the earlier snapshot' "$SB" verify -d small/bk all
ok 'sha256sum -c passes on the earlier snapshot' \
    sh -c 'cd small/bk && sha256sum -c --quiet "$1.sha256"' sh "$first"

# --- a file that does not fit -----------------------------------------------

head -c $((12 * MiB)) /dev/urandom >db.sqlite
status 'a file larger than the free space: create exits 1' 1 \
    "$SB" create -d small/fbk db.sqlite
cp "$ERR" "$E"
sed "s/^/# stderr: /" "$E"
ok 'stderr is one line "not enough space: need N, have M" (file)' no_space_shape
same 'the file backup dir holds nothing but .snapback and .lock' \
    '' "$(ls -A small/fbk | grep -vx -e .snapback -e .lock)"

# --- a tree that passes the check but fills the filesystem while copied -----
# 2500 one-byte files add up to 2500 bytes, but each takes a 4 KiB page of
# the tmpfs: 10 MiB, more than its 8 MiB.

mkdir csrc
echo first >csrc/first
ok 'a first snapshot of the small-files tree fits' "$SB" create -d small/cbk csrc
cfirst=$(basename "$(cat "$OUT")")
cbefore=$(ls -A small/cbk)
free_before=$(stat -f -c %a small)
mkdir csrc/many
(cd csrc/many && head -c 2500 /dev/zero | split -b 1 -a 3 - f)
status 'running out of space during the copy: create exits 1' 1 \
    "$SB" create -d small/cbk csrc
cp "$ERR" "$E"
sed "s/^/# stderr: /" "$E"
ok 'stderr says "No space left on device", not "not enough space"' \
    sh -c 'grep -q "No space left on device" "$1" && ! grep -q "not enough space" "$1"' sh "$E"
same 'the error is one line' 1 "$(wc -l <"$E")"
same 'the backup dir holds what it held before the failed copy' \
    "$cbefore" "$(ls -A small/cbk)"
same 'all the space the failed copy took is free again' \
    "$free_before" "$(stat -f -c %a small)"
same 'latest still points at the first small-files snapshot' "$cfirst" \
    "$(readlink small/cbk/latest)"
ok 'verify all passes after the failed copy' "$SB" verify -d small/cbk all

# --- a tree that runs out of inodes while copied ------------------------------
# The check counts bytes; the tmpfs has 64 inodes.

mkdir isrc
echo first >isrc/first
ok 'a first snapshot fits on the inode-poor filesystem' "$SB" create -d tiny/bk isrc
ifirst=$(basename "$(cat "$OUT")")
ibefore=$(ls -A tiny/bk)
inodes_before=$(stat -f -c %d tiny)
mkdir isrc/many
(cd isrc/many && head -c 200 /dev/zero | split -b 1 -a 3 - f)
status 'running out of inodes during the copy: create exits 1' 1 \
    "$SB" create -d tiny/bk isrc
cp "$ERR" "$E"
sed "s/^/# stderr: /" "$E"
ok 'stderr says "No space left on device" (inodes)' \
    grep -q 'No space left on device' "$E"
same 'the error is one line (inodes)' 1 "$(wc -l <"$E")"
same 'the backup dir holds what it held before (inodes)' \
    "$ibefore" "$(ls -A tiny/bk)"
same 'all the inodes the failed copy took are free again' \
    "$inodes_before" "$(stat -f -c %d tiny)"
same 'latest still points at the first snapshot (inodes)' "$ifirst" \
    "$(readlink tiny/bk/latest)"
ok 'verify all passes after running out of inodes' "$SB" verify -d tiny/bk all
umount_all
