#!/bin/sh
# 060-retain-archive: archive moves old files to DEST under their path
# below DIR: renamed on one filesystem, copied and checked across two,
# never over anything already in DEST.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"
. "$TESTS/retain.sh"

plan 26

mkdir -p src/a/b dest
echo one >src/a/b/f1
echo two >src/a/f2
echo young >src/young
chmod 640 src/a/b/f1
touch -d "@$OLD" src/a/b/f1 src/a/f2
ino=$(inode_of src/a/b/f1)
status 'archive, dry' 0 "$R" -n --older-than 1d --archive dest src
cp "$OUT" dry.out
same 'a dry run changes nothing in DEST' '' "$(listing dest)"
status 'archive' 0 "$R" -v --older-than 1d --archive dest src
cp "$OUT" real.out
ok 'the dry run said what the run did' cmp dry.out real.out
same 'one archive line per file: PATH, tab, DEST path' \
    'archive	src/a/b/f1	dest/a/b/f1
archive	src/a/f2	dest/a/f2' "$(LC_ALL=C sort real.out)"
same 'the files are in DEST under their path below DIR' \
    'a a/b a/b/f1 a/f2' "$(listing dest)"
same 'the young one stays, the emptied directories too' 'a a/b young' \
    "$(listing src)"
same 'on one filesystem a file is renamed: same inode, mode and mtime' \
    "$ino 640 $OLD" "$(stat -c '%i %a %Y' dest/a/b/f1)"
same 'the directories made in DEST are private (0700)' '700 700' \
    "$(mode_of dest/a) $(mode_of dest/a/b)"

# Never over anything in DEST.
echo newer >src/a/f2
touch -d "@$OLD" src/a/f2
echo other >src/a/f3
touch -d "@$OLD" src/a/f3
status 'a name already in DEST: exit 1' 1 "$R" --older-than 1d \
    --archive dest src
same 'is reported' \
    'retain: dest/a/f2: already exists; the one in src is kept' \
    "$(cat "$ERR")"
same 'both are kept as they were, the other file is archived' \
    'two|newer|other' "$(cat dest/a/f2)|$(cat src/a/f2)|$(cat dest/a/f3)"
rm src/a/f2

# DEST inside DIR is not walked again.
mkdir -p in/arch
old in/x
status 'DEST inside DIR' 0 "$R" --older-than 1d --archive in/arch in
status 'a second run' 0 "$R" --older-than 1d --archive in/arch in
same 'archives once: DEST is left out of the walk' 'arch arch/x' \
    "$(listing in)"

# A symlink in DEST's path is not followed.
mkdir -p s2/sub elsewhere d2
old s2/sub/f
ln -s "$P/elsewhere" d2/sub
status 'a symlink in DEST where a directory is needed: exit 1' 1 \
    "$R" --older-than 1d --archive d2 s2
same 'is reported, nothing goes through it' \
    "retain: d2/sub: Not a directory; s2/sub/f kept||sub/f" \
    "$(cat "$ERR")|$(listing elsewhere)|$(cd s2 && find . -type f | sed 's|^\./||')"

# DEST as a symlink is refused like DIR.
ln -s dest destlink
status 'DEST given as a symlink is refused' 2 "$R" --older-than 1d \
    --archive destlink src
status 'DEST missing is refused' 2 "$R" --older-than 1d --archive nothere src

# Across filesystems: copied, fsynced, checked, then the source removed.
other=/dev/shm
if [ -d "$other" ] && [ -w "$other" ] &&
    [ "$(stat -c %d "$other")" != "$(stat -c %d .)" ] &&
    X=$(mktemp -d "$other/retain-test.XXXXXX"); then
	trap 'rm -rf "$X"; tap_cleanup' EXIT
	mkdir -p xs/d
	head -c 300000 /dev/urandom >xs/d/big
	chmod 604 xs/d/big
	ln -s target xs/d/link
	mkfifo xs/d/fifo
	touch -h -d "@$OLD" xs/d/big xs/d/link xs/d/fifo
	cksum=$(cksum <xs/d/big)
	status 'archive to another filesystem: exit 1 for what cannot go' 1 \
	    "$R" -v --older-than 1d --archive "$X" xs
	same 'the file and the symlink are copied' \
	    "archive	xs/d/big	$X/d/big
archive	xs/d/link	$X/d/link" "$(LC_ALL=C sort "$OUT")"
	same 'with the same bytes, mode and mtime' "$cksum|604|$OLD" \
	    "$(cksum <"$X/d/big")|$(stat -c '%a|%Y' "$X/d/big")"
	same 'the symlink as a symlink, with its mtime' "target|$OLD" \
	    "$(readlink "$X/d/link")|$(stat -c %Y "$X/d/link")"
	same 'a FIFO cannot be copied: it stays, reported' \
	    "retain: $X/d/fifo: only regular files and symlinks can be archived to another filesystem; xs/d/fifo kept" \
	    "$(cat "$ERR")"
	same 'the sources that were copied are gone' 'd d/fifo' \
	    "$(listing xs)"
	same 'no temporary is left in DEST' 'd d/big d/link' \
	    "$(listing "$X")"
else
	i=0
	while [ $i -lt 7 ]; do
		skip 'archive to another filesystem' \
		    "no writable $other on another filesystem"
		i=$((i + 1))
	done
fi
