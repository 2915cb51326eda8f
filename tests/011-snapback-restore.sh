#!/bin/sh
# 011-snapback-restore: functional tests of snapback restore, and of the
# cleanup of what interrupted runs leave.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"
. "$TESTS/snapback.sh"

plan 46

# snap VAR ARGS...: run snapback create ARGS, put the name made in VAR.
snap() {
	v=$1; shift
	run "$B" create "$@" || diag "setup: create $*: $(cat "$ERR")"
	eval "$v=\$(basename \"\$(cat \"\$OUT\")\")"
}

# --- a file ------------------------------------------------------------------

printf 'v1 \000\001 old content\n' >sim.duckdb
chmod 640 sim.duckdb
touch -d "$MT" sim.duckdb
snap S1 sim.duckdb
printf 'v2: newer content\n' >sim.duckdb
snap S2
printf 'v3: current, not yet snapshotted\n' >sim.duckdb
chmod 600 sim.duckdb
cp -p sim.duckdb pre.bin

was=$(names backups)
status 'restore -n succeeds' 0 "$B" restore -n "$S1"
same 'restore -n says what it would do' \
    "would snapshot $P/sim.duckdb into backups${NL}would restore \
backups/$S1 to $P/sim.duckdb" \
    "$(cat "$OUT")"
ok 'restore -n leaves the target alone' cmp pre.bin sim.duckdb
same 'restore -n leaves the backup directory alone' "$was" "$(names backups)"

# A killed restore may leave .TARGET.XXXXXX: the next restore removes it.
printf 'junk\n' >.sim.duckdb.Ab3xYz
parent=$(names .)
status 'restore of an older file snapshot' 0 "$B" restore "$S1"
like 'restore prints the path of the safety snapshot it took first' \
    "backups/sim_${D8}_${D6}.duckdb" "$(cat "$OUT")"
S3=$(basename "$(cat "$OUT")")
ok 'the restored file equals the snapshot' cmp "backups/$S1" sim.duckdb
same 'the restored file has the snapshot mode and mtime' \
    "640 $(stat -c %y "backups/$S1")" "$(stat -c '%a %y' sim.duckdb)"
ok 'the safety snapshot holds the content from before the restore' \
    cmp pre.bin "backups/$S3"
status 'the safety snapshot is complete and verifies' 0 "$B" verify "$S3"
ok 'the restored file shares nothing with the snapshot' \
    test "$(inode_of sim.duckdb)" != "$(inode_of "backups/$S1")"
same 'no temporary is left beside the target, an old one is removed' \
    "$(printf '%s\n' $parent | grep -vx '\.sim\.duckdb\.Ab3xYz' |
    tr '\n' ' ' | sed 's/ $//')" "$(names .)"

status 'restore to a TARGET that does not exist' 0 \
    "$B" restore "$S2" new.duckdb
same 'no safety snapshot when there was nothing to keep' '' "$(cat "$OUT")"
ok 'the new TARGET holds the snapshot' cmp "backups/$S2" new.duckdb

cp pre.bin keep.bin
status 'restore of a nonexistent NAME fails' 1 \
    "$B" restore sim_20000101_000000.duckdb keep.bin
like 'restore of a nonexistent NAME says so' \
    'snapback: backups/sim_20000101_000000.duckdb: no such snapshot' \
    "$(cat "$ERR")"
mkdir adir
status 'a file snapshot is not restored over a directory' 1 \
    "$B" restore "$S1" adir

# A damaged snapshot, in a copy of the backup directory.
cp -a backups bcopy
flip "bcopy/$S1" X
printf 'victim\n' >victim.duckdb
cp -p victim.duckdb victim.orig
was=$(names bcopy)
status 'restore refuses a damaged snapshot' 1 \
    "$B" restore -d bcopy "$S1" victim.duckdb
like 'the refusal says the snapshot is damaged' 'snapback: *damaged*' \
    "$(cat "$ERR")"
ok 'a refused restore leaves the target alone' cmp victim.orig victim.duckdb
same 'a refused restore adds nothing to the backup directory' "$was" \
    "$(names bcopy)"
status 'restore -f restores a damaged snapshot anyway' 0 \
    "$B" restore -d bcopy -f "$S1" victim.duckdb
ok 'the forced restore wrote the snapshot as it is' \
    cmp "bcopy/$S1" victim.duckdb

# A symlinked source: what it points to is restored into.
mkdir data
printf 'real data\n' >data/real.db
ln -s data/real.db link.duckdb
snap L1 -d lbk link.duckdb
printf 'changed since\n' >data/real.db
status 'restore through a symlinked source' 0 "$B" restore -d lbk "$L1"
ok 'the content is restored into the link target' cmp "lbk/$L1" data/real.db
same 'the link stays the same link' data/real.db "$(readlink link.duckdb)"

# --- a tree ------------------------------------------------------------------

mkdir -p gold/a/b gold/empty gold/restricted
printf 'deep\n' >gold/a/b/deep.txt
printf 'secret\n' >gold/secret
printf '#!/bin/sh\necho hi\n' >gold/run.sh
printf 'r\n' >gold/restricted/r.txt
printf 'nl\n' >"gold/new${NL}line"
printf 'tab\n' >"gold/tab${TAB}here"
printf 'bad utf8\n' >"gold/$(printf '\377\376')"
ln -s a/b/deep.txt gold/rel
ln -s "$P/nowhere" gold/dangling
chmod 600 gold/secret
chmod 755 gold/run.sh
chmod 750 gold/restricted
[ "$(id -u)" != 0 ] || chown 65534:65534 gold/secret
find gold -exec touch -h -d "$MT" {} +
touch -d '2019-05-06 07:08:09.987654321' gold/run.sh gold/a/b
snap G1 -d gbk gold
G1list=$(listing "gbk/$G1")

# Change a file, add one, delete one, change a mode.
printf 'deep, changed\n' >gold/a/b/deep.txt
printf 'added\n' >gold/a/added.txt
rm "gold/new${NL}line"
chmod 700 gold/restricted
pre=$(listing gold)
parent=$(names .)
status 'restore -n of a tree' 0 "$B" restore -n -d gbk "$G1"
same 'restore -n leaves the tree alone' "$pre" "$(listing gold)"
status 'restore of a tree' 0 "$B" restore -d gbk "$G1"
like 'restore of a tree prints the safety snapshot' "gbk/gold_${D8}_${D6}" \
    "$(cat "$OUT")"
G2=$(basename "$(cat "$OUT")")
same 'the restored tree equals the snapshot: types, modes, owners, times...' \
    "$G1list" "$(listing gold)"
ok 'the restored tree has the snapshot contents' \
    diff -r --no-dereference "gbk/$G1" gold
same 'the safety snapshot holds the tree as it was' "$pre" \
    "$(listing "gbk/$G2")"
same 'nothing is left beside the restored tree' "$parent" "$(names .)"
ok 'restored files share nothing with the snapshot' \
    test "$(inode_of gold/secret)" != "$(inode_of "gbk/$G1/secret")"
status 'the snapshots still verify after the restore' 0 \
    "$B" verify -d gbk all
status 'restore of a tree to a new TARGET' 0 \
    "$B" restore -d gbk "$G1" "$P/copy"
same 'the new tree equals the snapshot' "$G1list" "$(listing copy)"

# --- what interrupted runs leave -------------------------------------------

# A temporary and a snapshot without manifest, as a killed create leaves.
mkdir "gbk/.gold_20000101_000000.Zz9yX8" gbk/gold_20000101_000000
printf 'partial\n' >gbk/gold_20000101_000000/f
run "$B" list -d gbk
same 'list shows a snapshot without manifest as incomplete' \
    "$(printf 'gold_20000101_000000\t2000-01-01T00:00:00Z\t8\t1\tincomplete')" \
    "$(sed -n 1p "$OUT")"
status 'create after an interrupted run' 0 "$B" create -d gbk
G4=$(basename "$(cat "$OUT")")
same 'the next create removes the temporary and the incomplete snapshot' \
    ".lock .snapback $G1 $G1.sha256 $G2 $G2.sha256 $G4 $G4.sha256 latest" \
    "$(names gbk)"

# --- a read-only target directory ------------------------------------------

if [ -z "$unpriv" ]; then
	for d in 'restore into a read-only directory fails' \
	    'the failure is one line naming the target' \
	    'the failure leaves the target alone' \
	    'the failure leaves nothing beside the target'; do
		skip "$d" 'root without setpriv cannot drop privileges'
	done
else
	userdir u/ro
	printf 'one\n' >u/ro/f.txt
	userdir u
	run asuser "$B" create -d "$P/u/bk" "$P/u/ro/f.txt" ||
	    diag "setup: $(cat "$ERR")"
	U1=$(basename "$(cat "$OUT")")
	printf 'two, changed\n' >u/ro/f.txt
	cp -p u/ro/f.txt u.orig
	chmod 555 u/ro
	status 'restore into a read-only directory fails' 1 \
	    asuser "$B" restore -d "$P/u/bk" "$U1"
	like 'the failure is one line naming the target' \
	    "snapback: $P/u/ro*: Permission denied|1" \
	    "$(cat "$ERR")|$(wc -l <"$ERR")"
	ok 'the failure leaves the target alone' cmp u.orig u/ro/f.txt
	same 'the failure leaves nothing beside the target' f.txt \
	    "$(names u/ro)"
	chmod 755 u/ro
fi
