#!/bin/sh
# 060-retain-hostile: symlinks to outside, hostile names, 10,000 levels
# of nesting, what a killed run leaves, things named like retain's own.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"
. "$TESTS/retain.sh"

plan 30

# --- symlinks never lead outside -------------------------------------------------

mkdir -p outside/sub tree/d
old outside/a outside/sub/b tree/d/c
echo precious >outside/file
touch -d "@$OLD" outside/file
ln -s "$P/outside" tree/dirlink
ln -s ../outside/sub tree/d/rel
ln -s "$P/outside/file" tree/filelink
touch -h -d "@$OLD" tree/dirlink tree/d/rel tree/filelink
ln -s "$P/outside" tree/younglink
before=$(state outside)
status 'a tree with symlinks to outside' 0 "$R" -v --older-than 1d tree
same 'removes the old symlinks as themselves, and the file' \
    'delete	tree/d/c
delete	tree/d/rel
delete	tree/dirlink
delete	tree/filelink' "$(LC_ALL=C sort "$OUT")"
same 'keeps the young one' 'd younglink' "$(listing tree)"
same 'and leaves everything outside as it was' "$before" "$(state outside)"
same 'the outside file still has its data' precious "$(cat outside/file)"

mkdir -p tree2
old tree2/x
status 'DIR given with trailing slashes' 0 "$R" -v --older-than 1d tree2//
same 'prints paths without them' 'delete	tree2/x' "$(cat "$OUT")"

# --- hostile names ------------------------------------------------------------------

mkdir names
for n in 'new
line' 'tab	here' '-rf' '--help' 'back\slash' ' lead' 'trail ' \
    "$(printf 'bad\377\376utf8')" '*' '?' '[x]'; do
	old "names/$n"
done
mkdir 'names/dir
with newline'
old 'names/dir
with newline/inner'
status 'hostile names, dry' 0 "$R" -n --older-than 1d --prune-dirs names
cp "$OUT" dry.out
status 'hostile names' 0 "$R" -v --older-than 1d --prune-dirs names
cp "$OUT" real.out
ok 'the dry run said exactly what was done' cmp dry.out real.out
same 'one line per action, tabs, newlines and backslashes escaped' \
    "$(printf '%s\n' 'delete	names/ lead' 'delete	names/*' \
    'delete	names/--help' 'delete	names/-rf' 'delete	names/?' \
    'delete	names/[x]' 'delete	names/back\\slash' \
    "$(printf 'delete\tnames/bad\377\376utf8')" \
    'delete	names/dir\nwith newline' \
    'delete	names/dir\nwith newline/inner' 'delete	names/new\nline' \
    'delete	names/tab\there' 'delete	names/trail ' | LC_ALL=C sort)" \
    "$(LC_ALL=C sort real.out)"
same 'every line has one tab' 13 "$(awk -F '	' 'NF == 2' real.out | wc -l)"
same 'and all are gone' '' "$(listing names)"

# --- things named like retain's own ----------------------------------------------

mkdir -p own
old own/.retain-quarantine.abcdef
mkdir -m 755 own/.retain-quarantine.ZZZZZZ
old own/.retain-quarantine.ZZZZZZ/1-x
status 'a file named like a quarantine is judged like any file' 0 \
    "$R" -v --older-than 1d own
same 'it goes' '.retain-quarantine.ZZZZZZ .retain-quarantine.ZZZZZZ/1-x' \
    "$(listing own)"
same 'a directory named like one but not private is left alone' \
    'retain: own/.retain-quarantine.ZZZZZZ: named like a quarantine, but not one of retain'"'"'s (owner or mode); left alone' \
    "$(cat "$ERR")"

# What a killed run leaves: a private quarantine holding an entry whose
# slot names its origin, and one whose origin is unknown.
mkdir -p left/sub
mkdir -m 700 left/.retain-quarantine.Ab12Cd
echo data >'left/.retain-quarantine.Ab12Cd/7-sub%2Fa%25b'
: >left/.retain-quarantine.Ab12Cd/9
status 'a quarantine left by a killed run: exit 1 (one entry has no origin)' \
    1 "$R" --older-than 1d left
same 'the entry with an origin is put back, the other stays' \
    '.retain-quarantine.Ab12Cd .retain-quarantine.Ab12Cd/9 sub sub/a%b' \
    "$(listing left)"
same 'with its data' data "$(cat 'left/sub/a%b')"
same 'each is reported' \
    'retain: left/.retain-quarantine.Ab12Cd: 9: left by an interrupted run, origin unknown; kept there
retain: left/.retain-quarantine.Ab12Cd: what an interrupted run left could not all be put back (1 remain); see inside
retain: left/sub/a%b: put back from .retain-quarantine.Ab12Cd, where an interrupted run left it' \
    "$(LC_ALL=C sort "$ERR")"

# Runs killed at random moments: the next run finishes the work, loses
# nothing young and leaves no quarantine.
mkdir kill
i=0
while [ $i -lt 1500 ]; do
	: >"kill/o$i"
	i=$((i + 1))
done
touch -d "@$OLD" kill/o*
i=0
while [ $i -lt 150 ]; do
	: >"kill/young$i"
	i=$((i + 1))
done
rounds=0
for delay in 0.01 0.02 0.03 0.05; do
	"$R" --older-than 1d kill >/dev/null 2>&1 &
	pid=$!
	sleep $delay
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	rounds=$((rounds + 1))
done
status 'after runs killed with SIGKILL, a run' 0 "$R" --older-than 1d kill
same 'leaves exactly the young files' 150 "$(ls kill | grep -c '^young')"
same 'and nothing else: no old file, no quarantine' 0 \
    "$(ls -A kill | grep -vc '^young')"

# --- 10,000 levels -----------------------------------------------------------------

# d/d/.../d (10,000 levels) with an old file at the bottom and a young
# one at level 5,000.  On a tmpfs where there is one: removing thousands
# of directories from a disk mounted with online discard takes minutes.
D=$T
if [ -d /dev/shm ] && [ -w /dev/shm ] &&
    D=$(mktemp -d /dev/shm/retain-test.XXXXXX 2>/dev/null); then
	trap 'rm -rf "$D"; tap_cleanup' EXIT
	diag "10,000 levels on $(df -PT "$D" | awk 'NR == 2 { print $2 }')"
else
	D=$T
fi
cd "$D" || exit 1
perl -e '
	for $i (1 .. 10000) {
		mkdir "d" or die "mkdir: $!"; chdir "d" or die "chdir: $!";
		if ($i == 5000) { open(F, ">young") or die; close F; }
	}
	open(F, ">old") or die; close F;
	utime($ARGV[0], $ARGV[0], "old") or die;
' "$OLD" 2>"$ERR" || diag "$(cat "$ERR")"
mv d deep
t0=$(date +%s)
status '10,000 levels, dry' 0 "$R" -n --older-than 1d --prune-dirs deep
same 'one line per removal: the file and the 5,000 levels left empty' \
    5001 "$(wc -l <"$OUT")"
# deep/ stands for the first d.
printf 'delete\tdeep/%sold\n' "$(printf 'd/%.0s' $(seq 9999))" >want.line
sed -n 1p "$OUT" >got.line
ok 'the first names the file at the bottom, a path of 20,006 bytes' \
    cmp -s want.line got.line
status '10,000 levels' 0 "$R" --older-than 1d --prune-dirs deep
t1=$(date +%s)
same 'the levels below the young file are gone, those above stay' \
    '4999|deep/d/d/d' \
    "$(find deep -type d -name d | wc -l | tr -d ' ')|$(find deep -maxdepth 3 -type d | LC_ALL=C sort | tail -n 1)"
ok 'the young file is there' test "$(find deep -name young | wc -l)" -eq 1
ok 'in well under a minute' test $((t1 - t0)) -lt 60
diag "10,000 levels: $((t1 - t0)) s for a dry run and a real one"
cd "$T" || exit 1
