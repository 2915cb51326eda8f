#!/bin/sh
# 070-envlink-switch: envlink switch and publish on real trees: targets,
# refusals, the previous target, leftovers, locks, no RENAME_EXCHANGE.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"
. "$TESTS/envlink.sh"

plan 94

mkdir -p rel/v1 rel/v2 rel/v3
printf 'one\n' >rel/v1/app.txt
printf 'two\n' >rel/v2/app.txt

# --- switch ------------------------------------------------------------------

status 'an empty TARGET is a usage error' 2 "$E" switch rel/cur ''
status 'switch -n of a new link' 0 "$E" switch -n rel/cur v1
same 'says what it would do' 'would switch rel/cur -> v1 (new)' "$(cat "$OUT")"
same 'and makes nothing, not even a lock' 'v1 v2 v3' "$(names rel)"
status 'switch makes a new link' 0 "$E" switch rel/cur v1
same 'printing nothing, having no previous target' '' "$(cat "$OUT" "$ERR")"
same 'LINK holds TARGET as given, relative to its directory' v1 \
    "$(readlink rel/cur)"
same 'beside it only its lock' '.cur.lock cur v1 v2 v3' "$(names rel)"
status 'switch to another target' 0 "$E" switch rel/cur v2
same 'prints the previous target' v1 "$(cat "$OUT")"
same 'LINK points to the new one' v2 "$(readlink rel/cur)"
same '.LINK.prev keeps the previous one' v1 "$(readlink rel/.cur.prev)"
same 'readers see the new content' two "$(cat rel/cur/app.txt)"
status 'switch LINK - goes back' 0 "$E" switch -v rel/cur -
same 'printing where it was' v2 "$(cat "$OUT")"
same 'and -v says it on stderr' 'switch rel/cur -> v1 (was v2)' \
    "$(cat "$ERR")"
same 'LINK is back' v1 "$(readlink rel/cur)"
same '.LINK.prev is the one left' v2 "$(readlink rel/.cur.prev)"
status 'switch LINK - again goes forth' 0 "$E" switch rel/cur -
same 'like cd -' 'v1 v1 v2' \
    "$(cat "$OUT") $(readlink rel/.cur.prev) $(readlink rel/cur)"
status 'switch -n' 0 "$E" switch -n rel/cur v3
same 'says what it would do' 'would switch rel/cur -> v3 (was v2)' \
    "$(cat "$OUT")"
same 'and changes nothing' 'v2 v1' \
    "$(readlink rel/cur) $(readlink rel/.cur.prev)"
same 'no temporary is left' '.cur.lock .cur.prev cur v1 v2 v3' "$(names rel)"

mkdir other
status 'a relative TARGET is resolved from LINK, not from the cwd' 0 \
    sh -c 'cd other && exec "$1" switch ../rel/cur v3' sh "$E"
same 'and written as given' v3 "$(readlink rel/cur)"
status 'an absolute TARGET' 0 "$E" switch rel/cur "$P/rel/v1"
same 'is written as given' "$P/rel/v1" "$(readlink rel/cur)"
status 'LINK with a trailing slash is the link, not its target' 0 \
    "$E" switch rel/cur/ v2
same 'the link moved' v2 "$(readlink rel/cur)"
same 'and the old target directory is untouched' one "$(cat rel/v1/app.txt)"

# --- switch refuses ----------------------------------------------------------

status 'a missing TARGET' 1 "$E" switch rel/cur v9
same 'is named' 'envlink: v9: No such file or directory' "$(cat "$ERR")"
printf 'x\n' >rel/file
status 'a TARGET that is a file' 1 "$E" switch rel/cur file
same 'is not a directory' 'envlink: file: not a directory' "$(cat "$ERR")"
status 'a TARGET through LINK itself' 1 "$E" switch rel/cur cur/..
same 'is refused' 'envlink: cur/..: goes through '"$P"'/rel/cur itself; refused' \
    "$(cat "$ERR")"
status 'an absolute TARGET through LINK' 1 "$E" switch rel/cur "$P/rel/cur"
same 'the refusals leave LINK as it was' "v2 $P/rel/v1" \
    "$(readlink rel/cur) $(readlink rel/.cur.prev)"

mkdir -p real/live
printf 'live data\n' >real/live/d.txt
list=$(listing real)
status 'a LINK that is a real directory is refused' 1 "$E" switch real/live \
    ../rel/v1
same 'and said' 'envlink: real/live: a directory, not a symlink; refused' \
    "$(cat "$ERR")"
same 'never touched, and no lock file made beside it' "$list" \
    "$(listing real)"
status 'so is a real directory given with a trailing slash' 1 \
    "$E" switch real/live/ ../rel/v1
printf 'f\n' >real/f
status 'a LINK that is a regular file is refused' 1 "$E" switch real/f \
    ../rel/v1
same 'and kept' f "$(cat real/f)"
ln -s v1 rel/new
status 'switch NEW - without a previous target' 1 "$E" switch rel/new -
same 'says so' \
    'envlink: rel/new: no previous target (no rel/.new.prev)' "$(cat "$ERR")"
status 'a missing directory of LINK' 1 "$E" switch nosuch/cur rel
same 'is named' 'envlink: nosuch: No such file or directory' "$(cat "$ERR")"

# --- leftovers and the lock ---------------------------------------------------

ln -s v1 rel/.cur.AbC123
ln -s v2 rel/..cur.prev.XyZ789
printf 'mine\n' >rel/.cur.Keep12
status 'switch removes the temporaries a killed run left' 0 \
    "$E" switch -v rel/cur v3
same 'and says so' \
    'remove leftover rel/..cur.prev.XyZ789
remove leftover rel/.cur.AbC123
switch rel/cur -> v3 (was v2)' "$(sort "$ERR")"
same 'but keeps a regular file of such a name' \
    '.cur.Keep12 .cur.lock .cur.prev cur file new v1 v2 v3' "$(names rel)"
rm rel/.cur.Keep12

holdlock rel/.cur.lock
status 'switch while another holds the lock is busy' 3 "$E" switch rel/cur v1
same 'and says who' 'envlink: rel/cur: busy (another run holds rel/.cur.lock)' \
    "$(cat "$ERR")"
same 'LINK is unchanged' v3 "$(readlink rel/cur)"
droplock

# --- without RENAME_EXCHANGE ---------------------------------------------------

if [ "$NORENAME2" = 0 ]; then
	status 'switch on a filesystem without renameat2 still works' 0 \
	    norename2 22 "$E" switch rel/cur v1
	same 'by renaming a link over the link' 'v3|v1|v3' \
	    "$(cat "$OUT")|$(readlink rel/cur)|$(readlink rel/.cur.prev)"
	same 'and leaves no temporary' '.cur.lock .cur.prev cur file new v1 v2 v3' \
	    "$(names rel)"
else
	for d in 'switch on a filesystem without renameat2 still works' \
	    'by renaming a link over the link' 'and leaves no temporary'; do
		skip "$d" 'no seccomp through perl here'
	done
fi

# --- publish -----------------------------------------------------------------

mkdir -p pub/live pub/.live.new
printf 'old\n' >pub/live/t.parquet
printf 'new\n' >pub/.live.new/t.parquet
printf 'added\n' >pub/.live.new/u.parquet
oldino=$(inode_of pub/live)
newino=$(inode_of pub/.live.new)
status 'publish -n' 0 "$E" publish -n pub/live pub/.live.new
same 'says what it would do' 'would exchange pub/live and pub/.live.new' \
    "$(cat "$OUT")"
same 'and changes nothing' "$oldino $newino" \
    "$(inode_of pub/live) $(inode_of pub/.live.new)"
status 'publish' 0 "$E" publish -v pub/live pub/.live.new
same 'publish -v says it on stderr, nothing on stdout' \
    '|exchange pub/live and pub/.live.new' "$(cat "$OUT")|$(cat "$ERR")"
same 'LIVE is the rebuilt directory itself' "$newino" "$(inode_of pub/live)"
same 'NEW holds the old one' "$oldino" "$(inode_of pub/.live.new)"
same 'with its content' 'new added old' \
    "$(cat pub/live/t.parquet pub/live/u.parquet pub/.live.new/t.parquet |
    tr '\n' ' ' | sed 's/ $//')"
same 'beside them only the lock' '.live.lock .live.new live' "$(names pub)"
status 'the same command again rolls back' 0 "$E" publish pub/live pub/.live.new
same 'LIVE is the old directory again' "$oldino $newino" \
    "$(inode_of pub/live) $(inode_of pub/.live.new)"

ln -s live pub/link
status 'a symlink LIVE is refused' 1 "$E" publish pub/link pub/.live.new
same 'and said' 'envlink: pub/link: a symlink, not a directory' "$(cat "$ERR")"
status 'a trailing slash does not make it followed' 1 \
    "$E" publish pub/link/ pub/.live.new
status 'a missing NEW' 1 "$E" publish pub/live pub/nosuch
same 'is named' 'envlink: pub/nosuch: No such file or directory' \
    "$(cat "$ERR")"
status 'the same directory twice' 1 "$E" publish pub/live pub/../pub/live
same 'is refused' 'envlink: pub/../pub/live: the same directory as pub/live' \
    "$(cat "$ERR")"
mkdir pub/live/sub
status 'NEW inside LIVE' 1 "$E" publish pub/live pub/live/sub
same 'is refused' 'envlink: pub/live/sub: inside pub/live; refused' \
    "$(cat "$ERR")"
status 'LIVE inside NEW' 1 "$E" publish pub/live/sub pub/live
same 'is refused' 'envlink: pub/live/sub: inside pub/live; refused' \
    "$(cat "$ERR")"
rmdir pub/live/sub
same 'the refusals changed nothing' "$oldino $newino" \
    "$(inode_of pub/live) $(inode_of pub/.live.new)"

# Another filesystem: a tmpfs where there is one (/dev/shm).
if [ -d /dev/shm ] && [ -w /dev/shm ] &&
    [ "$(stat -c %d /dev/shm)" != "$(stat -c %d pub)" ]; then
	shm=$(mktemp -d /dev/shm/envlink-test.XXXXXX)
	status 'NEW on another filesystem' 1 "$E" publish pub/live "$shm"
	same 'is refused with a clear message' "envlink: $shm: on another filesystem than pub/live: no atomic exchange is possible; nothing changed" \
	    "$(cat "$ERR")"
	rmdir "$shm"
else
	skip 'NEW on another filesystem' 'no /dev/shm on another filesystem'
	skip 'is refused with a clear message' 'no /dev/shm on another filesystem'
fi
# Another mount of the same filesystem: rename(2) gives EXDEV there too.
if [ "$ROOT" = 1 ]; then
	mkdir -p mnt pubsrc/new
	status 'NEW on another mount of the same filesystem' 1 inns sh -c \
	    'mount --bind pubsrc mnt && exec "$1" publish pub/live mnt/new' \
	    sh "$E"
	same 'is refused before trying' "envlink: mnt/new: on another mount than pub/live: no atomic exchange is possible; nothing changed" \
	    "$(cat "$ERR")"
	status 'a LIVE that is a mount point' 1 inns sh -c \
	    'mount --bind pubsrc pub/live && exec "$1" publish pub/live pub/.live.new' \
	    sh "$E"
	same 'is refused' 'envlink: pub/live: a mount point; refused' \
	    "$(cat "$ERR")"
else
	for d in 'NEW on another mount of the same filesystem' \
	    'is refused before trying' 'a LIVE that is a mount point' \
	    'is refused'; do skip "$d" 'bind mounts need root'; done
fi
if [ "$NORENAME2" = 0 ]; then
	status 'publish where the filesystem cannot exchange' 1 \
	    norename2 22 "$E" publish pub/live pub/.live.new
	same 'says so and changes nothing' "envlink: pub/live: this kernel or filesystem cannot exchange directories atomically (renameat2 RENAME_EXCHANGE: Invalid argument); nothing changed" \
	    "$(cat "$ERR")"
	status 'publish where the kernel has no renameat2' 1 \
	    norename2 38 "$E" publish pub/live pub/.live.new
	like 'says so too' '*cannot exchange directories atomically (renameat2 RENAME_EXCHANGE: *); nothing changed' \
	    "$(cat "$ERR")"
	same 'and there is no non-atomic fallback: nothing moved' \
	    "$oldino $newino" "$(inode_of pub/live) $(inode_of pub/.live.new)"
else
	for d in 'publish where the filesystem cannot exchange' \
	    'says so and changes nothing' \
	    'publish where the kernel has no renameat2' 'says so too' \
	    'and there is no non-atomic fallback: nothing moved'; do
		skip "$d" 'no seccomp through perl here'
	done
fi
holdlock pub/.live.lock
status 'publish while another holds the lock is busy' 3 \
    "$E" publish pub/live pub/.live.new
droplock
same 'no temporary anywhere' '.live.lock .live.new link live' "$(names pub)"
