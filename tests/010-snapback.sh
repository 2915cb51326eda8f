#!/bin/sh
# 010-snapback: functional tests of snapback create, list and verify.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"
. "$TESTS/snapback.sh"

plan 112

# The stamp of a snapshot name as a number, and as RFC 3339.
stampnum() {
	printf '%s\n' "$1" | sed 's/.*_\([0-9]\{8\}\)_\([0-9]\{6\}\).*/\1\2/'
}
rfc3339() {
	printf '%s\n' "$1" | sed 's/.*_\([0-9]\{8\}_[0-9]\{6\}\).*/\1/' |
	    sed 's/\(....\)\(..\)\(..\)_\(..\)\(..\)\(..\)/\1-\2-\3T\4:\5:\6Z/'
}

# Bytes and number of regular files below a directory.
bytes_of() {
	find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'
}
files_of() { find "$1" -type f -printf x | wc -c; }

# --- usage -----------------------------------------------------------------

status 'no arguments is a usage error' 2 "$B"
like 'no arguments prints the usage on stderr' 'usage: snapback create*' \
    "$(sed -n 1p "$ERR")"
status 'an unknown command is a usage error' 2 "$B" frob
same 'an unknown command is named' 'snapback: frob: unknown command' \
    "$(sed -n 1p "$ERR")"
status 'an unknown option is a usage error' 2 "$B" create -x src
same 'an unknown option is named' 'snapback: -x: unknown option' \
    "$(sed -n 1p "$ERR")"
status '-w above 86400 is a usage error' 2 "$B" create -w 86401 src
like '-w error names -w and the range' 'snapback: -w: *0*86400*' \
    "$(sed -n 1p "$ERR")"
status '-w with a non-number is a usage error' 2 "$B" create -w 5s src
status '-w without a value is a usage error' 2 "$B" create -w
rcs=
for args in 'create a b' 'list x' 'verify a b' 'restore a b c'; do
	# shellcheck disable=SC2086
	run "$B" $args
	rcs="$rcs $?"
done
same 'extra operands are usage errors for every command' ' 2 2 2 2' "$rcs"
ok 'usage errors create no backup directory' test ! -e backups
status '-h succeeds' 0 "$B" -h
same '-h prints the 4-line usage on stdout, nothing on stderr' \
    'usage: snapback create|4|' \
    "$(sed -n '1s/  .*//p' "$OUT")|$(wc -l <"$OUT")|$(cat "$ERR")"
status '-V succeeds' 0 "$B" -V
same '-V prints the version' 'snapback 0.1.0' "$(cat "$OUT")"

# --- create of a file ------------------------------------------------------

printf 'v1 \000\001\002 binary\n' >sim.duckdb
chmod 640 sim.duckdb
touch -d "$MT" sim.duckdb
before=$(date -u +%Y%m%d%H%M%S)
status 'create of a file' 0 "$B" create sim.duckdb
after=$(date -u +%Y%m%d%H%M%S)
S1=$(cat "$OUT"); S1=${S1#backups/}
like 'create prints DIR/STEM_YYYYmmdd_HHMMSS.EXT' \
    "backups/sim_${D8}_${D6}.duckdb" "$(cat "$OUT")"
same 'create is quiet on stderr' '' "$(cat "$ERR")"
ok 'the name carries the UTC time of the run' \
    test "$before" -le "$(stampnum "$S1")" -a "$(stampnum "$S1")" -le "$after"
ok 'the file snapshot equals the source' cmp sim.duckdb "backups/$S1"
same 'the file snapshot keeps mode and mtime (ns)' \
    "640 $(stat -c %y sim.duckdb)" "$(stat -c '%a %y' "backups/$S1")"
printf '%s  %s\n' "$(sha256sum <sim.duckdb | cut -c1-64)" "$S1" >want.man
ok 'the manifest is the sha256sum line of the file' \
    cmp want.man "backups/$S1.sha256"
same 'latest.duckdb points at the snapshot' "$S1" \
    "$(readlink backups/latest.duckdb)"
printf '%s\n' "$P/sim.duckdb" >want.rec
ok '.snapback holds the absolute source path and a newline' \
    cmp want.rec backups/.snapback
same 'the backup directory is made mode 700' 700 "$(mode_of backups)"
ok 'sha256sum -c checks the file snapshot' \
    sh -c 'cd backups && sha256sum -c --status "$1"' sh "$S1.sha256"
same 'the backup directory holds exactly the snapshot and its files' \
    ".lock .snapback latest.duckdb $S1 $S1.sha256" "$(names backups)"

# --- more file snapshots, the record, list -----------------------------------

printf 'v2: changed and longer\n' >sim.duckdb
status 'create without SOURCE uses the recorded one' 0 "$B" create
S2=$(cat "$OUT"); S2=${S2#backups/}
ok 'a later snapshot gets a later name' \
    test "$(stampnum "$S2")" -gt "$(stampnum "$S1")"
ok 'the changed file is copied, not linked' \
    test "$(inode_of "backups/$S1")" != "$(inode_of "backups/$S2")"
ok 'the new snapshot holds the new content' cmp sim.duckdb "backups/$S2"
same 'latest moves to the new snapshot' "$S2" \
    "$(readlink backups/latest.duckdb)"
status 'the same SOURCE spelled differently is accepted' 0 \
    "$B" create ./sim.duckdb
S3=$(cat "$OUT"); S3=${S3#backups/}
same 'an unchanged file shares the inode of the previous snapshot' \
    "$(inode_of "backups/$S2")" "$(inode_of "backups/$S3")"
status 'list' 0 "$B" list
s1=$(stat -c %s "backups/$S1") s2=$(stat -c %s "backups/$S2")
same 'list: name, time, bytes, files, complete, * on latest, oldest first' \
    "$(printf '%s\t%s\t%s\t1\tcomplete\n' "$S1" "$(rfc3339 "$S1")" "$s1" \
    "$S2" "$(rfc3339 "$S2")" "$s2"
    printf '%s\t%s\t%s\t1\tcomplete\t*\n' "$S3" "$(rfc3339 "$S3")" "$s2")" \
    "$(cat "$OUT")"

printf 'other\n' >other.duckdb
was=$(names backups)
status 'a different SOURCE for the same DIR is refused' 1 \
    "$B" create other.duckdb
like 'the refusal names the recorded source' \
    "snapback: *$P/sim.duckdb*" "$(cat "$ERR")"
same 'a refused create adds nothing to DIR' "$was" "$(names backups)"
status 'create -n succeeds' 0 "$B" create -n
like 'create -n says what it would do' \
    "would snapshot $P/sim.duckdb into backups*" \
    "$(cat "$OUT")"
same 'create -n adds nothing to DIR' "$was" "$(names backups)"
status 'no SOURCE and no record is a usage error' 2 "$B" create -d fresh
ok 'no SOURCE and no record leaves no backup directory behind' \
    test ! -e fresh
status 'a tab in the source name is refused' 1 \
    "$B" create -d tabbk "t${TAB}b.db"

# Names are escaped in listings.
printf 'x\n' >'back\slash.db'
run "$B" create -d esc 'back\slash.db'
E=$(cat "$OUT"); E=${E#esc/}
run "$B" list -d esc
same 'list escapes a backslash in a name' \
    "$(printf '%s' "$E" | sed 's/\\/\\\\/g')" "$(cut -f1 "$OUT")"

# A symlinked SOURCE: the content is snapshotted, the link's name used.
mkdir data
printf 'real data\n' >data/real.db
ln -s data/real.db link.duckdb
status 'create of a symlink to a file' 0 "$B" create -d lbk link.duckdb
L1=$(cat "$OUT"); L1=${L1#lbk/}
like 'the snapshot is named after the link' "link_${D8}_${D6}.duckdb" "$L1"
ok 'the snapshot is a regular file with the link target content' \
    sh -c 'test -f "$1" && test ! -h "$1" && cmp -s data/real.db "$1"' sh \
    "lbk/$L1"
printf '%s\n' "$P/link.duckdb" >want.rec
ok 'the link itself is recorded, not resolved' cmp want.rec lbk/.snapback

# --- create of a tree --------------------------------------------------------

mkdir -p gold/a/b gold/empty gold/restricted
printf 'outside\n' >outside.txt
printf 'deep v1\n' >gold/a/b/deep.txt
printf 'secret\n' >gold/secret
printf '#!/bin/sh\necho hi\n' >gold/run.sh
printf 'in restricted\n' >gold/restricted/r.txt
printf 'hidden\n' >gold/.hidden
printf 'space\n' >'gold/with space'
printf 'tab\n' >"gold/tab${TAB}here"
printf 'nl v1\n' >"gold/new${NL}line"
printf 'bs\n' >'gold/back\slash'
printf 'bad utf8\n' >"gold/$(printf '\377\376')"
printf 'twin\n' >gold/twin1
ln gold/twin1 gold/twin2
: >gold/zero
ln -s a/b/deep.txt gold/rel
ln -s "$P/outside.txt" gold/abs
ln -s no/such/file gold/dangling
ln -s a gold/dirlink
chmod 600 gold/secret
chmod 755 gold/run.sh
chmod 750 gold/restricted
[ "$(id -u)" != 0 ] || chown 65534:65534 gold/secret
find gold -exec touch -h -d "$MT" {} +
touch -d '2019-05-06 07:08:09.987654321' gold/run.sh gold/a/b
touch -h -d '2018-01-01 00:00:00.5' gold/rel
status 'create of a tree' 0 "$B" create -d gbk gold
G1=$(cat "$OUT"); G1=${G1#gbk/}
like 'a tree snapshot is named STEM_YYYYmmdd_HHMMSS' "gbk/gold_${D8}_${D6}" \
    "$(cat "$OUT")"
same 'create of a tree is quiet on stderr' '' "$(cat "$ERR")"
same 'the tree snapshot equals the source: types, modes, owners, times...' \
    "$(listing gold)" "$(listing "gbk/$G1")"
ok 'the tree snapshot has the same contents' \
    diff -r --no-dereference gold "gbk/$G1"
ok 'sha256sum -c checks the tree snapshot, hostile names included' \
    sh -c 'cd gbk && sha256sum -c --status "$1"' sh "$G1.sha256"
same 'the manifest has one line per regular file' \
    "$(files_of gold)" "$(wc -l <"gbk/$G1.sha256")"
ok 'files with two names in the source are copied once per name' \
    test "$(inode_of "gbk/$G1/twin1")" != "$(inode_of "gbk/$G1/twin2")"
same 'the backup directory holds exactly the tree snapshot and its files' \
    ".lock .snapback $G1 $G1.sha256 latest" "$(names gbk)"

# A second snapshot after changing two files.
printf 'deep v2, changed\n' >gold/a/b/deep.txt
printf 'nl v2\n' >"gold/new${NL}line"
status 'a second tree snapshot' 0 "$B" create -d gbk
G2=$(cat "$OUT"); G2=${G2#gbk/}
same 'the second snapshot equals the changed source' \
    "$(listing gold)" "$(listing "gbk/$G2")"
shared=
for f in secret run.sh 'with space' "tab${TAB}here" 'back\slash' \
    "$(printf '\377\376')" restricted/r.txt; do
	[ "$(inode_of "gbk/$G1/$f")" = "$(inode_of "gbk/$G2/$f")" ] ||
	    shared="$shared [$f]"
done
same 'unchanged files share their inode with the previous snapshot' '' \
    "$shared"
ok 'changed files are new copies' test \
    "$(inode_of "gbk/$G1/a/b/deep.txt")" != \
    "$(inode_of "gbk/$G2/a/b/deep.txt")" -a \
    "$(inode_of "gbk/$G1/new${NL}line")" != \
    "$(inode_of "gbk/$G2/new${NL}line")"
same 'latest points at the second tree snapshot' "$G2" "$(readlink gbk/latest)"
run "$B" list -d gbk
same 'list of the tree snapshots' \
    "$(printf '%s\t%s\t%s\t%s\tcomplete\n' \
    "$G1" "$(rfc3339 "$G1")" "$(bytes_of "gbk/$G1")" "$(files_of "gbk/$G1")"
    printf '%s\t%s\t%s\t%s\tcomplete\t*\n' \
    "$G2" "$(rfc3339 "$G2")" "$(bytes_of "gbk/$G2")" "$(files_of "gbk/$G2")")" \
    "$(cat "$OUT")"
status 'verify all of clean tree snapshots succeeds' 0 "$B" verify -d gbk all
same 'verify of clean snapshots prints nothing' '' "$(cat "$OUT")"
run "$B" verify -v -d gbk all
same 'verify -v prints one summary per snapshot on stderr' 2 \
    "$(wc -l <"$ERR")"

# A backup directory inside the source is left out of it.
mkdir self
printf 'x\n' >self/f
run "$B" create -d self/.bk self
N=$(cat "$OUT"); N=${N#self/.bk/}
same 'a backup directory inside the source tree is left out' f \
    "$(names "self/.bk/$N")"

# --- names in one second -----------------------------------------------------

printf 'fast\n' >fast.txt
seq=
for i in 1 2 3; do
	run "$B" create -d fbk fast.txt && seq="$seq $(cat "$OUT")"
	run "$B" create -d fbk fast.txt && seq="$seq $(cat "$OUT")"
done
mono=yes prev=0 count=0
for s in $seq; do
	count=$((count + 1))
	[ "$(stampnum "$s")" -gt "$prev" ] || mono=no
	prev=$(stampnum "$s")
done
same 'six creates back to back all succeed with strictly later names' \
    '6 yes' "$count $mono"

# --- special files -----------------------------------------------------------

mkdir pipes
mkfifo pipes/p
printf 'f\n' >pipes/f
status 'create of a tree holding a fifo' 0 "$B" create -d pbk pipes
N=$(cat "$OUT"); N=${N#pbk/}
if [ "$(id -u)" = 0 ]; then
	same 'as root a fifo gives no warning' '' "$(cat "$ERR")"
	ok 'as root a fifo is recreated as a fifo' test -p "pbk/$N/p"
else
	same 'as non-root one warning names the fifo' \
	    "snapback: $P/pipes/p: fifo skipped" "$(cat "$ERR")"
	ok 'as non-root a fifo is skipped' test ! -e "pbk/$N/p" -a ! -h "pbk/$N/p"
fi

if [ -z "$unpriv" ]; then
	for d in 'as non-root a fifo is skipped, the run succeeds' \
	    'as non-root one warning names the fifo' \
	    'as non-root the snapshot holds the rest' \
	    'an unreadable file fails the run' \
	    'the failure is one line naming the unreadable file' \
	    'a failed run leaves no snapshot and no temporary' \
	    'a failed run leaves latest alone' \
	    'create into a read-only DIR fails' \
	    'the read-only DIR error is one line naming DIR' \
	    'a read-only DIR is left as it was' \
	    'create of a DIR in a read-only parent fails'; do
		skip "$d" 'root without setpriv cannot drop privileges'
	done
else
	userdir u1/pipes
	mkfifo u1/pipes/p
	printf 'f\n' >u1/pipes/f
	userdir u1
	status 'as non-root a fifo is skipped, the run succeeds' 0 \
	    asuser "$B" create -d "$P/u1/bk" "$P/u1/pipes"
	N=$(cat "$OUT"); N=${N#"$P/u1/bk/"}
	same 'as non-root one warning names the fifo' \
	    "snapback: $P/u1/pipes/p: fifo skipped" "$(cat "$ERR")"
	same 'as non-root the snapshot holds the rest' f "$(names "u1/bk/$N")"

	userdir u2/locked
	printf 'ok\n' >u2/locked/ok.txt
	printf 'secret\n' >u2/locked/secret.txt
	userdir u2
	run asuser "$B" create -d "$P/u2/bk" "$P/u2/locked" ||
	    diag "setup: $(cat "$ERR")"
	chmod 000 u2/locked/secret.txt
	was=$(names u2/bk) lat=$(readlink u2/bk/latest)
	status 'an unreadable file fails the run' 1 \
	    asuser "$B" create -d "$P/u2/bk"
	same 'the failure is one line naming the unreadable file' \
	    "snapback: $P/u2/locked/secret.txt: Permission denied" \
	    "$(cat "$ERR")"
	same 'a failed run leaves no snapshot and no temporary' "$was" \
	    "$(names u2/bk)"
	same 'a failed run leaves latest alone' "$lat" \
	    "$(readlink u2/bk/latest)"

	userdir u3
	printf 'x\n' >u3/src.txt
	userdir u3
	run asuser "$B" create -d "$P/u3/bk" "$P/u3/src.txt" ||
	    diag "setup: $(cat "$ERR")"
	printf 'y, changed\n' >u3/src.txt
	chmod 555 u3/bk
	was=$(names u3/bk)
	status 'create into a read-only DIR fails' 1 \
	    asuser "$B" create -d "$P/u3/bk"
	like 'the read-only DIR error is one line naming DIR' \
	    "snapback: $P/u3/bk*: Permission denied|1" \
	    "$(cat "$ERR")|$(wc -l <"$ERR")"
	same 'a read-only DIR is left as it was' "$was" "$(names u3/bk)"
	chmod 555 u3
	status 'create of a DIR in a read-only parent fails' 1 \
	    asuser "$B" create -d "$P/u3/bk2" "$P/u3/src.txt"
	chmod 755 u3 u3/bk
fi

# --- verify ------------------------------------------------------------------

status 'verify of a clean file snapshot succeeds' 0 "$B" verify
same 'verify of a clean file snapshot prints nothing' '' "$(cat "$OUT")"
cp -a backups bcopy
flip "bcopy/$S1" X
status 'verify finds a flipped byte' 1 "$B" verify -d bcopy "$S1"
same 'a damaged file snapshot is reported as NAME: NAME: mismatch' \
    "$S1: $S1: mismatch" "$(cat "$OUT")"
status 'damage to one snapshot leaves the others verifying' 0 \
    "$B" verify -d bcopy

cp -a gbk dmg
flip "dmg/$G2/a/b/deep.txt" X
: >"dmg/$G2/new${NL}line"
rm "dmg/$G2/secret"
rm "dmg/$G1/with space"
status 'verify of a damaged tree fails' 1 "$B" verify -d dmg "$G2"
printf '%s\n' "$G2: a/b/deep.txt: mismatch" "$G2: new\\nline: mismatch" \
    "$G2: secret: missing" | LC_ALL=C sort >want.v
same 'flipped, truncated and deleted files are reported, names escaped' \
    "$(cat want.v)" "$(LC_ALL=C sort "$OUT")"
status 'verify without NAME checks latest' 1 "$B" verify -d dmg
same 'verify of latest reports the same problems' \
    "$(cat want.v)" "$(LC_ALL=C sort "$OUT")"
status 'verify all fails' 1 "$B" verify -d dmg all
same 'verify all reports the problems of every snapshot' \
    "$( (cat want.v; echo "$G1: with space: missing") | LC_ALL=C sort)" \
    "$(LC_ALL=C sort "$OUT")"
status 'verify of a nonexistent NAME fails' 1 \
    "$B" verify -d gbk gold_20000101_000000
like 'verify of a nonexistent NAME says so' \
    'snapback: gbk/gold_20000101_000000: no such snapshot' "$(cat "$ERR")"
rm "dmg/$G1.sha256"
status 'verify of a snapshot without manifest fails' 1 "$B" verify -d dmg "$G1"

cp -a gbk dmg2
printf '%s  %s\n' "$(sha256sum <outside.txt | cut -c1-64)" \
    "$G2/../../outside.txt" >>"dmg2/$G2.sha256"
rm "dmg2/$G2/with space"
ln -s "../$G1/with space" "dmg2/$G2/with space"
status 'verify of a manifest pointing outside fails' 1 "$B" verify -d dmg2 "$G2"
same 'a path outside the snapshot is reported, and not followed' 1 \
    "$(grep -c "^$G2: .*\.\./outside\.txt: outside the snapshot\$" "$OUT")"
like 'a symlink in place of a file is not followed' \
    "$G2: with space: [mu][in]*" "$(grep "with space" "$OUT")"

# --- locking -----------------------------------------------------------------

if command -v flock >/dev/null 2>&1; then
	flock gbk/.lock sleep 2 &
	lockpid=$!
	i=0
	while flock -n gbk/.lock true && [ "$i" -lt 100 ]; do
		sleep 0.02; i=$((i + 1))
	done
	was=$(names gbk)
	status 'create while another run holds the lock exits 3' 3 \
	    "$B" create -d gbk
	like 'the busy create says busy' 'snapback: *busy*' "$(cat "$ERR")"
	same 'a busy create changes nothing' "$was" "$(names gbk)"
	status 'restore while another run holds the lock exits 3' 3 \
	    "$B" restore -d gbk "$G1" "$P/elsewhere"
	status 'list takes no lock' 0 "$B" list -d gbk
	held=free
	flock -n gbk/.lock true || held=held
	run "$B" create -w 5 -d gbk
	same 'create -w 5 waits for a held lock and succeeds' 'held 0' \
	    "$held $?"
	wait "$lockpid"
else
	for d in 'create while another run holds the lock exits 3' \
	    'the busy create says busy' 'a busy create changes nothing' \
	    'restore while another run holds the lock exits 3' \
	    'list takes no lock' \
	    'create -w 5 waits for a held lock and succeeds'; do
		skip "$d" 'flock(1) is not installed'
	done
fi

# --- not a snapback directory ------------------------------------------------

status 'list of a missing DIR fails' 1 "$B" list -d nosuch
same 'list of a missing DIR names it' \
    'snapback: nosuch: No such file or directory' "$(cat "$ERR")"
mkdir plain
status 'list of a DIR that is not a snapback directory fails' 1 \
    "$B" list -d plain
like 'the error says it is not a snapback directory' \
    'snapback: plain: not a snapback directory*' "$(cat "$ERR")"
