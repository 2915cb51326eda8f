#!/bin/sh
# 060-retain-mount: other filesystems inside DIR (a tmpfs, a bind mount of
# the same filesystem, a file bind mount) are left alone without
# --cross-fs; archives across filesystems and onto a full one.
# SPDX-License-Identifier: ISC

# The mounts live in a mount namespace of their own (as in
# 020-snapback-space.sh), so that nothing outlives the test.
if [ -z "$DATAKEEP_UNSHARED" ] && [ "$(id -u)" = 0 ] &&
    unshare -m true 2>/dev/null; then
	export DATAKEEP_UNSHARED=1
	exec unshare -m --propagation private /bin/sh "$0" "$@"
fi
. "$(dirname "$0")/tap.sh"
. "$TESTS/retain.sh"

N=20
plan $N

skip_all() {
	i=0
	while [ $i -lt $N ]; do
		i=$((i + 1))
		skip "mount test $i" "$1"
	done
	exit 0
}

[ "$(id -u)" = 0 ] || skip_all 'mounting needs root'
[ -n "$DATAKEEP_UNSHARED" ] || skip_all 'no private mount namespace (unshare -m)'
mkdir -p tree/tmp tree/bind tree/sub outside/bsrc small
old tree/fbind outside/file tree/sub/s
umount_all() {
	for m in tree/tmp tree/bind tree/fbind small; do
		umount "$T/$m" 2>/dev/null
	done
}
trap 'rc_=$?; umount_all; (exit $rc_); tap_cleanup' EXIT
mount -t tmpfs -o size=1m tmpfs tree/tmp 2>"$ERR" &&
    mount --bind outside/bsrc tree/bind 2>>"$ERR" &&
    mount --bind outside/file tree/fbind 2>>"$ERR" &&
    mount -t tmpfs -o size=2m tmpfs small 2>>"$ERR" ||
    skip_all "cannot mount: $(cat "$ERR")"
old tree/tmp/t outside/bsrc/b1 outside/bsrc/b2
touch -d "@$OLD" tree/tmp outside/bsrc

same 'find -xdev enters the bind mount of the same filesystem' \
    'tree/bind/b1 tree/bind/b2' \
    "$(find tree -xdev -type f -path 'tree/bind/*' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
status 'without --cross-fs' 0 "$R" -v --older-than 1d --prune-dirs tree
same 'only the file on DIR'"'"'s own mount goes' 'delete	tree/sub
delete	tree/sub/s' "$(LC_ALL=C sort "$OUT")"
same 'the tmpfs, the bind mount and the file bind mount are left alone' \
    'bind bind/b1 bind/b2 fbind tmp tmp/t' "$(listing tree)"
same '-v says why' \
    'retain: tree/bind: another filesystem; not entered (--cross-fs enters it)
retain: tree/fbind: a mount point; left alone
retain: tree/tmp: another filesystem; not entered (--cross-fs enters it)' \
    "$(LC_ALL=C sort "$ERR")"
same 'the bind source is untouched' 'b1 b2' "$(names outside/bsrc)"

status 'with --cross-fs' 0 "$R" -v --older-than 1d --prune-dirs --cross-fs \
    tree
same 'files on the other mounts go too, mount points stay' \
    'delete	tree/bind/b1
delete	tree/bind/b2
delete	tree/tmp/t' "$(LC_ALL=C sort "$OUT")"
same 'what is left: the mount points' 'bind fbind tmp' "$(listing tree)"
same 'no quarantine is left on any of them' '' \
    "$(find tree outside -name '.retain-quarantine*')"
same 'the file bind mount is still left alone' \
    'retain: tree/fbind: a mount point; left alone' "$(cat "$ERR")"

# Archive onto another filesystem, and onto one that is full.
mkdir -p ar/d
head -c 500000 /dev/urandom >ar/d/fits
head -c 3000000 /dev/urandom >ar/d/toobig
touch -d "@$OLD" ar/d/fits ar/d/toobig
sum=$(cksum <ar/d/toobig)
status 'archive onto a 2 MiB tmpfs: exit 1' 1 "$R" -v --older-than 1d \
    --archive small ar
same 'what fits is archived' 'archive	ar/d/fits	small/d/fits' \
    "$(cat "$OUT")"
same 'what does not is reported' \
    'retain: small/d/toobig: No space left on device; ar/d/toobig kept' \
    "$(cat "$ERR")"
same 'and kept whole where it was' "$sum" "$(cksum <ar/d/toobig)"
same 'no temporary is left on the full filesystem' 'd d/fits' \
    "$(listing small)"
same 'the archived copy is whole, with its mtime' "500000 $OLD" \
    "$(stat -c '%s %Y' small/d/fits)"
same 'no quarantine is left in DIR' 'd d/toobig' "$(listing ar)"

# A policy line can cross filesystems too.
old tree/tmp/t2
printf '%s\n' "$P/tree * 1d delete cross-fs" >p.conf
status 'a policy line with cross-fs' 0 "$R" -f p.conf
same 'enters the other mount' '' "$(names tree/tmp)"
