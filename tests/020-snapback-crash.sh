#!/bin/sh
# 020-snapback-crash: create and restore killed at random leave old or new.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"
. "$TESTS/snapback.sh"

plan 47

SB=$BIN/snapback

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# rand N: a random number from 0 to N-1.
rand() { echo $(($(od -An -N4 -tu4 /dev/urandom | tr -d ' ') % $1)); }
sleep_ms() { sleep "$(awk -v m="$1" 'BEGIN { printf "%.3f", m / 1000 }')"; }
# next_second DIR: wait until no complete snapshot in DIR carries the
# current UTC second, so that a run does not spend its time waiting for a
# fresh name (snapback makes at most one snapshot a second).
next_second() {
	while ls -A "$1" 2>/dev/null | grep -q "_$(date -u +%Y%m%d_%H%M%S).*\.sha256\$"; do
		sleep 0.05
	done
}
# leftovers DIR: whether DIR holds temporaries or snapshots without a
# manifest (what a killed create leaves).
leftovers() {
	ls -A "$1" | grep -Ev '^\.(snapback|lock)$' | grep -q '^\.' && return 0
	ls -A "$1" | grep -Ev '^\.' | grep -Ev '\.sha256$|^latest' |
	while read -r s; do [ -e "$1/$s.sha256" ] || echo "$s"; done | grep -q .
}
# latest_ok DIR LINK: the latest link names a snapshot whose manifest
# exists.
latest_ok() {
	[ -L "$1/$2" ] || return 1
	l=$(readlink "$1/$2")
	[ -e "$1/$l" ] && [ -f "$1/$l.sha256" ]
}
# sample_sha256 DIR: sha256sum -c on the oldest, a middle and the newest
# complete snapshot.
sample_sha256() {
	names=$(ls "$1" | grep '\.sha256$' | sed 's/\.sha256$//' | sort)
	n=$(echo "$names" | wc -l)
	for s in $(echo "$names" | sed -n "1p;$(((n + 1) / 2))p;\$p" | sort -u); do
		(cd "$1" && sha256sum -c --quiet "$s.sha256") || return 1
	done
}
# content_list TREE: paths, kinds, modes, link targets and file hashes.
content_list() {
	(cd "$1" && find . -printf '%y %m %p -> %l\n' | LC_ALL=C sort &&
	    find . -type f -exec sha256sum {} + | LC_ALL=C sort)
}

# kill_runs COUNT MAXMS BEFORE CMD CHECK: COUNT times, run BEFORE I, then
# CMD I in the background, killed with SIGKILL after a random 0..MAXMS ms,
# then CHECK I.  Sets badrc (runs that neither finished with 0 nor died of
# SIGKILL, with their stderr) and killed (runs that died of SIGKILL).
# Each CMD execs snapback, so that $! is snapback itself, not a subshell.
# landed DESC TEST...: whether the random kills covered what they were
# meant to; on a loaded machine the timing can miss, which makes this run
# weaker but not wrong, so a miss is a skip with the reason, not a failure.
landed() {
	d=$1; shift
	if "$@"; then tap_result 1 "$d"; else
		skip "$d" 'the kills missed this time (machine load); the outcomes above still hold'
	fi
}
kill_runs() {
	count=$1 maxms=$2 before=$3 cmd=$4 check=$5
	badrc= killed=0 i=0
	while [ "$i" -lt "$count" ]; do
		i=$((i + 1))
		$before "$i"
		$cmd "$i" >"$T/run.out" 2>"$T/run.err" &
		pid=$!
		sleep_ms "$(rand "$maxms")"
		kill -9 "$pid" 2>/dev/null
		# The braces keep the shell's "Killed" report off the output.
		{ wait "$pid"; } 2>/dev/null
		rc=$?
		case $rc in
		137) killed=$((killed + 1)) ;;
		0) ;;
		*) badrc="$badrc
run $i: exit $rc: $(cat "$T/run.err")" ;;
		esac
		$check "$i"
	done
}

# --- 1. create killed at random moments: a tree ----------------------------

# 400 small files in 8 directories and 3 files of 5 MiB.
mkdir src
for d in a b c d a/sub b/sub c/sub d/sub; do
	mkdir -p "src/$d"
	j=0
	while [ $j -lt 50 ]; do
		j=$((j + 1))
		echo "file $d $j" >"src/$d/f$j"
	done
done
for i in 1 2 3; do
	head -c $((5 * 1024 * 1024)) /dev/urandom >"src/big$i"
done
ln -s a/f1 src/link
# The first syncfs would otherwise write the source too.
sync

ok 'a first create of the tree succeeds' "$SB" create -d bk src
tree_before() {
	next_second bk
	# Without a change every file is hard-linked from the previous
	# snapshot: new times on the big files make every run copy data.
	touch src/big1 src/big2 src/big3
	[ $(($1 % 3)) -ne 0 ] || echo "changed in run $1" >>src/b/sub/f7
	[ $(($1 % 7)) -ne 0 ] || head -c 100000 /dev/urandom >"src/c/new$1"
}
tree_before 0
t0=$(now_ms)
ok 'a second create, like the runs to be killed, succeeds' "$SB" create -d bk src
dur=$(($(now_ms) - t0))
[ "$dur" -ge 50 ] || dur=50
diag "a create of the tree takes $dur ms"

badlatest= midrun=0
tree_check() {
	latest_ok bk latest || badlatest="$badlatest run $1: latest -> $(readlink bk/latest)"
	! leftovers bk || midrun=$((midrun + 1))
}
tree_create() { exec "$SB" create -d bk src; }
kill_runs 30 $((dur * 12 / 10)) tree_before tree_create tree_check
same 'every killed create died of SIGKILL or finished with 0' '' "$badrc"
same 'after every kill, latest named a complete snapshot' '' "$badlatest"
diag "$killed of 30 runs killed before the end; $midrun left work behind"
landed 'kills landed mid-run (at least 8 killed, 3 leaving temporaries)' \
    test "$killed" -ge 8 -a "$midrun" -ge 3

next_second bk
ok 'a normal create after the kills succeeds' "$SB" create -d bk src
final=$(basename "$(cat "$OUT")")
run "$SB" list -d bk
same 'list shows only complete snapshots' '' \
    "$(awk -F '\t' '$5 != "complete"' "$OUT")$( [ -s "$OUT" ] || echo empty)"
same 'the backup dir holds no temporaries, no incomplete snapshots' '' \
    "$(stray bk 'latest|src_[0-9]{8}_[0-9]{6}(\.sha256)?')"
ok 'verify all passes' "$SB" verify -d bk all
same 'latest points at the snapshot just made' "$final" "$(readlink bk/latest)"
ok 'verify latest passes' "$SB" verify -d bk latest
ok 'sha256sum -c passes on the oldest, a middle and the newest snapshot' \
    sample_sha256 bk
ok 'the newest snapshot holds the source' diff -r src "bk/$final"

# --- 1b. create killed at random moments: a 64 MiB file --------------------

head -c $((64 * 1024 * 1024)) /dev/urandom >sim.duckdb
sync
t0=$(now_ms)
ok 'a first create of a 64 MiB file succeeds' "$SB" create -d fbk sim.duckdb
dur=$(($(now_ms) - t0))
[ "$dur" -ge 50 ] || dur=50
diag "a create of the file takes $dur ms"

file_before() {
	next_second fbk
	# Unchanged, the file would be hard-linked: copy it every time.
	touch sim.duckdb
	[ $(($1 % 2)) -ne 0 ] ||
	    echo "run $1" | dd of=sim.duckdb bs=1 seek=$(($1 * 1000)) conv=notrunc status=none
}
badlatest= midrun=0
file_check() {
	latest_ok fbk latest.duckdb || badlatest="$badlatest run $1: latest -> $(readlink fbk/latest.duckdb)"
	! leftovers fbk || midrun=$((midrun + 1))
}
file_create() { exec "$SB" create -d fbk sim.duckdb; }
kill_runs 10 $((dur * 12 / 10)) file_before file_create file_check
same 'every killed file create died of SIGKILL or finished with 0' '' "$badrc"
same 'after every kill, latest.duckdb named a complete snapshot' '' "$badlatest"
diag "$killed of 10 runs killed before the end; $midrun left work behind"
landed 'kills landed mid-run (at least 3 killed, 1 leaving temporaries)' \
    test "$killed" -ge 3 -a "$midrun" -ge 1

next_second fbk
ok 'a normal file create after the kills succeeds' "$SB" create -d fbk sim.duckdb
final=$(basename "$(cat "$OUT")")
run "$SB" list -d fbk
same 'list shows only complete file snapshots' '' \
    "$(awk -F '\t' '$5 != "complete"' "$OUT")$( [ -s "$OUT" ] || echo empty)"
same 'the file backup dir holds no temporaries, no incomplete snapshots' '' \
    "$(stray fbk 'latest\.duckdb|sim_[0-9]{8}_[0-9]{6}\.duckdb(\.sha256)?')"
ok 'verify all passes on the file snapshots' "$SB" verify -d fbk all
same 'latest.duckdb points at the snapshot just made' "$final" \
    "$(readlink fbk/latest.duckdb)"
ok 'sha256sum -c passes on sampled file snapshots' sample_sha256 fbk
ok 'the newest file snapshot equals the source' cmp sim.duckdb "fbk/$final"

# --- 2. restore killed at random moments: a file ---------------------------
# Each restore first snapshots the target, and two snapshots in one second
# wait for the next: the runs take turns over three backup directories so
# that they seldom wait.

mkdir rt
head -c $((16 * 1024 * 1024)) /dev/urandom >rt/data.db
cp -p rt/data.db new.db
for k in 1 2 3; do
	run "$SB" create -d "rbk$k" rt/data.db
	eval "snap$k=\$(basename \"\$(cat \"\$OUT\")\")"
done
head -c $((16 * 1024 * 1024)) /dev/urandom >old.db
cp -p old.db rt/data.db
sync

ok 'a restore of the file succeeds' "$SB" restore -d rbk1 "$snap1" rt/data.db
ok 'the restored file has the snapshot content' cmp new.db rt/data.db
cp -p old.db rt/data.db
next_second rbk1
t0=$(now_ms)
ok 'a second restore, like the runs to be killed, succeeds' \
    "$SB" restore -d rbk1 "$snap1" rt/data.db
dur=$(($(now_ms) - t0))
[ "$dur" -ge 50 ] || dur=50
diag "a restore of the file takes $dur ms"
cp -p old.db rt/data.db

frestore_before() { next_second "rbk$(($1 % 3 + 1))"; }
frestore() {
	k=$(($1 % 3 + 1))
	eval "exec \"\$SB\" restore -d rbk$k \"\$snap$k\" rt/data.db"
}
bad= nold=0 nnew=0
frestore_check() {
	if cmp -s rt/data.db old.db; then
		nold=$((nold + 1))
	elif cmp -s rt/data.db new.db; then
		nnew=$((nnew + 1))
		cp -p old.db rt/data.db
	else
		bad="$bad run $1: $(ls -l rt/data.db 2>&1)"
		cp -p old.db rt/data.db
	fi
}
kill_runs 15 $((dur * 15 / 10)) frestore_before frestore frestore_check
same 'every killed file restore died of SIGKILL or finished with 0' '' "$badrc"
same 'after every kill the target file is the old or the new one' '' "$bad"
diag "after the kills: $nold times old, $nnew times new"
landed 'kills landed both before and after the switch' test "$nold" -ge 1 -a "$nnew" -ge 1

next_second rbk1
ok 'a last file restore succeeds' "$SB" restore -d rbk1 "$snap1" rt/data.db
saved=$(cat "$OUT")
ok 'the target then has the snapshot content' cmp new.db rt/data.db
ok 'the snapshot taken first holds the old content' cmp old.db "$saved"
same 'nothing but the target is left beside it' 'data.db' "$(ls -A rt)"
# The last run on rbk2 and rbk3 may have been killed: the next run on
# each is what removes its leftovers.
for k in 2 3; do next_second "rbk$k"; run "$SB" create -d "rbk$k"; done
same 'the restore backup dirs hold no temporaries' '' \
    "$(for k in 1 2 3; do stray "rbk$k" 'latest\.db|data_[0-9]{8}_[0-9]{6}\.db(\.sha256)?'; done)"
ok 'verify all passes after the restores' \
    sh -c 'for k in 1 2 3; do "$1" verify -d "rbk$k" all || exit 1; done' sh "$SB"

# --- 2b. restore killed at random moments: a tree --------------------------

mkdir -p rt2/tree
for d in x y z x/deep; do
	mkdir -p "rt2/tree/$d"
	j=0
	while [ $j -lt 30 ]; do
		j=$((j + 1))
		echo "new $d $j" >"rt2/tree/$d/f$j"
	done
done
head -c $((3 * 1024 * 1024)) /dev/urandom >rt2/tree/big1
head -c $((3 * 1024 * 1024)) /dev/urandom >rt2/tree/big2
ln -s x/f1 rt2/tree/link
chmod 640 rt2/tree/y/f3
for k in 1 2 3; do
	run "$SB" create -d "tbk$k" rt2/tree
	eval "tsnap$k=\$(basename \"\$(cat \"\$OUT\")\")"
done
new_list=$(content_list rt2/tree)
echo "$new_list" >"$T/new.list"
# The old tree: files gone, changed, added, another mode, another link.
rm -f rt2/tree/x/f1* rt2/tree/z/f2*
for j in 3 4 5 6 7; do echo "old y $j" >"rt2/tree/y/f$j"; done
mkdir rt2/tree/w rt2/tree/empty
for j in 1 2 3 4 5 6 7 8 9 10; do echo "old w $j" >"rt2/tree/w/g$j"; done
head -c $((3 * 1024 * 1024)) /dev/urandom >rt2/tree/big2
chmod 600 rt2/tree/x/deep/f9
ln -sfn w/g1 rt2/tree/link
cp -a rt2/tree oldtree
old_list=$(content_list oldtree)
reset_tree() { rm -rf rt2/tree && cp -a oldtree rt2/tree; }
sync

ok 'a restore of the tree succeeds' "$SB" restore -d tbk1 "$tsnap1" rt2/tree
same 'the restored tree equals the snapshot' "$new_list" "$(content_list rt2/tree)"
reset_tree
next_second tbk1
t0=$(now_ms)
ok 'a second tree restore, like the runs to be killed, succeeds' \
    "$SB" restore -d tbk1 "$tsnap1" rt2/tree
dur=$(($(now_ms) - t0))
[ "$dur" -ge 50 ] || dur=50
diag "a restore of the tree takes $dur ms"
reset_tree

trestore_before() { next_second "tbk$(($1 % 3 + 1))"; }
trestore() {
	k=$(($1 % 3 + 1))
	eval "exec \"\$SB\" restore -d tbk$k \"\$tsnap$k\" rt2/tree"
}
bad= nold=0 nnew=0
trestore_check() {
	l=$(content_list rt2/tree 2>&1)
	if [ "$l" = "$old_list" ]; then
		nold=$((nold + 1))
	elif [ "$l" = "$new_list" ]; then
		nnew=$((nnew + 1))
		reset_tree
	else
		bad="$bad
run $1: the tree is neither old nor new; against new:
$(echo "$l" | diff - "$T/new.list" | head -20)"
		reset_tree
	fi
}
kill_runs 15 $((dur * 15 / 10)) trestore_before trestore trestore_check
same 'every killed tree restore died of SIGKILL or finished with 0' '' "$badrc"
same 'after every kill the target tree is all old or all new' '' "$bad"
diag "after the kills: $nold times old, $nnew times new"
landed 'tree kills landed both before and after the switch' \
    test "$nold" -ge 1 -a "$nnew" -ge 1

next_second tbk1
ok 'a last tree restore succeeds' "$SB" restore -d tbk1 "$tsnap1" rt2/tree
same 'the target tree then equals the snapshot' "$new_list" "$(content_list rt2/tree)"
same 'no .tree.XXXXXX is left beside the target' 'tree' "$(ls -A rt2)"
for k in 2 3; do next_second "tbk$k"; run "$SB" create -d "tbk$k"; done
same 'the tree backup dirs hold no temporaries' '' \
    "$(for k in 1 2 3; do stray "tbk$k" 'latest|tree_[0-9]{8}_[0-9]{6}(\.sha256)?'; done)"
ok 'verify all passes after the tree restores' \
    sh -c 'for k in 1 2 3; do "$1" verify -d "tbk$k" all || exit 1; done' sh "$SB"
