#!/bin/sh
# 020-snapback-hostile: escaping links, deep trees, any byte, changing files.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"

plan 32

SB=$BIN/snapback

# next_second DIR: wait until no complete snapshot in DIR carries the
# current UTC second (snapback makes at most one snapshot a second).
next_second() {
	while ls -A "$1" 2>/dev/null | grep -q "_$(date -u +%Y%m%d_%H%M%S).*\\.sha256\$"; do
		sleep 0.05
	done
}
# only_record DIR: what DIR holds besides .snapback and .lock.
only_record() { ls -A "$1" | grep -vx -e .snapback -e .lock; }
# leftovers DIR: temporaries, and snapshots without a manifest.
leftovers() {
	ls -A "$1" | grep -Ev '^\.(snapback|lock)$' | grep '^\.'
	ls -A "$1" | grep -Ev '^\.|\.sha256$|^latest' |
	while read -r s; do [ -e "$1/$s.sha256" ] || echo "$s"; done
}

# --- symlinks out of the tree are kept as links, never followed ---------------

mkdir -p ls/sub/deeper
echo a >ls/a
echo bb >ls/sub/b
ln -s / ls/root
ln -s ../../.. ls/sub/deeper/up
ok 'a tree with links to / and ../../.. is snapshotted' "$SB" create -d lbk ls
snap=$(basename "$(cat "$OUT")")
ok 'the link to / is a symlink to / in the snapshot' \
    sh -c 'test -L "$1" && test "$(readlink "$1")" = /' sh "lbk/$snap/root"
ok 'the link to ../../.. is a symlink to ../../..' \
    sh -c 'test -L "$1" && test "$(readlink "$1")" = ../../..' sh \
    "lbk/$snap/sub/deeper/up"
same 'the snapshot holds exactly the entries of the source' \
    "$(cd ls && find . | sort)" "$(cd "lbk/$snap" && find . | sort)"
ok 'nothing behind the links was copied: the snapshot is under 100 KiB' \
    test "$(du -sk "lbk/$snap" | cut -f1)" -lt 100
run "$SB" list -d lbk
same 'list counts 5 bytes in 2 files' '5 2' "$(awk -F '\t' '{ print $3, $4 }' "$OUT")"
same 'the manifest lists the 2 files' "$snap/a
$snap/sub/b" "$(sed 's/^[0-9a-f]*  //' "lbk/$snap.sha256")"
ok 'the snapshot verifies' "$SB" verify -d lbk all

# --- very deep trees ----------------------------------------------------------
# deep_case DESC BK SRC: a tree of 200 directories with a file at the bottom:
# create works, or fails with one line and leaves nothing.  Four tests.
mkdeep() {	# mkdeep SRC DIRNAME
	# Built from the bottom up: the shell's cd fails past PATH_MAX.
	mkdir "$1" && echo bottom >"$1/file" || return 1
	i=0
	while [ $i -lt 200 ]; do
		mkdir "$1.up" && mv "$1" "$1.up/$2" && mv "$1.up" "$1" || return 1
		i=$((i + 1))
	done
}
bottom() {	# bottom ROOT: the depth and content of the file at the bottom
	find "$1" -name file -type f -printf '%d ' -execdir cat {} \;
}
deep_case() {
	desc=$1 bk=$2 src=$3
	same "$desc: the source has its file at depth 201" '201 bottom' \
	    "$(bottom "$src")"
	"$SB" create -d "$bk" "$src" >"$OUT" 2>"$ERR"
	rc=$?
	cp "$ERR" "$T/deep.err"
	made=$(cat "$OUT")
	diag "$desc: create exits $rc"
	sed 's/^/# stderr: /' "$T/deep.err" | head -n 5
	case $rc in
	0)
		ok "$desc: create exits 0 or 1" true
		ok "$desc: the snapshot verifies" "$SB" verify -d "$bk" all
		same "$desc: the file at the bottom is in the snapshot" \
		    '201 bottom' "$(bottom "$made")"
		;;
	1)
		ok "$desc: create exits 0 or 1" true
		same "$desc: the failure is one line" 1 "$(wc -l <"$T/deep.err")"
		same "$desc: nothing is left in the backup dir" '' \
		    "$(only_record "$bk")"
		;;
	*)
		same "$desc: create exits 0 or 1" '0 or 1' "$rc"
		skip "$desc: the snapshot verifies" "create crashed"
		skip "$desc: the file at the bottom is in the snapshot" "create crashed"
		;;
	esac
}
mkdeep deep d
deep_case '200 levels of short names' dbk deep
long=dddddddddddddddddddddddd
mkdeep deeper "$long"
deep_case '200 levels, a path of 5000 bytes' dbk2 deeper

# --- every byte but NUL and / in names ----------------------------------------

# bytes FROM TO: the bytes FROM to TO but '/', as one string.
bytes() {
	i=$1 f=
	while [ "$i" -le "$2" ]; do
		[ "$i" -eq 47 ] || f="$f\\0$(printf %03o "$i")"
		i=$((i + 1))
	done
	printf '%bx' "$f"
}
n1=$(bytes 1 63) n1=${n1%x}
n2=$(bytes 64 127) n2=${n2%x}
n3=$(bytes 128 191) n3=${n3%x}
n4=$(bytes 192 255) n4=${n4%x}
mkdir -p "names/$n3"
echo one >"names/$n1"
echo two >"names/$n2"
echo four >"names/$n4"
echo three-four >"names/$n3/$n4"
echo three-one >"names/$n3/$n1"
same 'the hostile names are all there' 7 "$(find names -printf x | wc -c)"
ok 'a tree whose names hold every byte is snapshotted' "$SB" create -d nbk names
snap=$(basename "$(cat "$OUT")")
ok 'its snapshot verifies' "$SB" verify -d nbk all
ok 'sha256sum -c accepts its manifest' \
    sh -c 'cd nbk && sha256sum -c --quiet "$1.sha256"' sh "$snap"
same 'the manifest has one line per file' 5 "$(grep -c . "nbk/$snap.sha256")"
same_names() {	# same_names A B: the five files are in both with one content
	for p in "$n1" "$n2" "$n4" "$n3/$n4" "$n3/$n1"; do
		cmp "$1/$p" "$2/$p" || return 1
	done
}
ok 'every hostile name is copied with its content' same_names names "nbk/$snap"
run "$SB" list -d nbk
same 'list shows the snapshot on one line' 1 "$(wc -l <"$OUT")"
ok 'a restore of that tree into a new directory succeeds' \
    "$SB" restore -d nbk "$snap" restored
ok 'the restored tree equals the source' diff -r names restored

# --- a file rewritten all the time while it is copied -------------------------

mkdir hot
echo calm >hot/calm
head -c $((32 * 1024 * 1024)) /dev/urandom >hot/hot
# Rewritten in place, truncated and rewritten, and replaced by a rename.
(
	n=0
	while [ ! -e "$T/stop" ]; do
		n=$((n + 1))
		case $((n % 3)) in
		0) dd if=/dev/urandom of=hot/hot bs=64k count=512 conv=notrunc \
		    status=none ;;
		1) head -c $((24000000 + n % 7 * 1000000)) /dev/urandom >hot/hot ;;
		2) head -c 28000000 /dev/urandom >"$T/hot.new" &&
		    mv "$T/hot.new" hot/hot ;;
		esac
		echo "$n" >"$T/hot.count"
	done
) &
hotpid=$!
made=0 refused=0 again=0 r=0
while [ $r -lt 5 ]; do
	r=$((r + 1))
	next_second hbk
	"$SB" create -v -d hbk hot >"$OUT" 2>"$ERR"
	rc=$?
	again=$((again + $(grep -c 'changed while copied' "$ERR")))
	grep -v '^copy \|^changed while copied\|^remove \|: [0-9]* files, ' "$ERR" >"$T/hot.err"
	if [ $rc -eq 0 ]; then
		made=$((made + 1))
		name=$(basename "$(cat "$OUT")")
		ok "run $r made a snapshot: it verifies" "$SB" verify -d hbk "$name"
	elif [ $rc -eq 1 ] && grep -q 'changed while being copied' "$T/hot.err"; then
		refused=$((refused + 1))
		same "run $r refused a changing file: nothing is left" '' \
		    "$(leftovers hbk)"
	else
		same "run $r: a snapshot or \"changed while being copied\"" 0 "$rc"
		sed 's/^/# stderr: /' "$T/hot.err"
	fi
done
touch "$T/stop"
kill "$hotpid" 2>/dev/null
wait "$hotpid" 2>/dev/null
diag "with the file rewritten $(cat "$T/hot.count") times: $made snapshots made," \
    "$refused refused, $again copies started again"
if [ $made -gt 0 ]; then
	ok 'all the snapshots made while it changed verify' "$SB" verify -d hbk all
else
	skip 'all the snapshots made while it changed verify' 'none was made'
fi
same 'no temporaries or incomplete snapshots are left' '' "$(leftovers hbk)"
