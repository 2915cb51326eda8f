#!/bin/sh
# 020-snapback-concurrent: creates at once on one directory queue or fail busy.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"
. "$TESTS/snapback.sh"

plan 25

SB=$BIN/snapback

# start K ARGS...: run snapback ARGS in the background as run K.
start() {
	k=$1
	shift
	"$SB" "$@" >"$T/c$k.out" 2>"$T/c$k.err" &
	eval "pid$k=\$!"
}
# reap K...: wait for the runs, their exit statuses in $rcs.
reap() {
	rcs=
	for k in "$@"; do
		eval "wait \$pid$k"
		rcs="$rcs $?"
	done
	rcs=${rcs# }
}

mkdir -p src/sub
j=0
while [ $j -lt 40 ]; do
	j=$((j + 1))
	echo "file $j" >"src/sub/f$j"
done
head -c 1000000 /dev/urandom >src/blob

# --- five creates at once, queued with -w -----------------------------------

for k in 1 2 3 4 5; do
	start $k create -w 30 -d bk src
done
reap 1 2 3 4 5
same 'five creates started at once with -w 30 all exit 0' '0 0 0 0 0' "$rcs"
same 'none of them complains' '' "$(cat c1.err c2.err c3.err c4.err c5.err)"
names=$(cat c1.out c2.out c3.out c4.out c5.out | sed 's|^bk/||' | sort)
same 'they made five snapshots with distinct names' 5 \
    "$(echo "$names" | sort -u | grep -c '^src_[0-9]\{8\}_[0-9]\{6\}$')"
run "$SB" list -d bk
same 'list shows those five, all complete' "$names" \
    "$(awk -F '\t' '$5 == "complete" { print $1 }' "$OUT")"
same 'list shows nothing else' 5 "$(grep -c . "$OUT")"
ok 'verify all passes' "$SB" verify -d bk all
same 'latest points at the newest' "$(echo "$names" | tail -n 1)" \
    "$(readlink bk/latest)"
same 'no temporaries are left' '' \
    "$(stray bk 'latest|src_[0-9]{8}_[0-9]{6}(\.sha256)?')"
all_hold_source() {
	for n in $names; do
		diff -r src "bk/$n" || return 1
		(cd bk && sha256sum -c --quiet "$n.sha256") || return 1
	done
}
ok 'every snapshot holds the source and passes sha256sum -c' all_hold_source
same 'the recorded source is the source' "$T/src" "$(cat bk/.snapback)"

# --- four creates at once without -w ----------------------------------------
# A source of 24 MiB keeps the first create busy long enough for the others
# to find the lock taken.

mkdir big
for i in 1 2 3; do
	head -c $((8 * 1024 * 1024)) /dev/urandom >"big/f$i"
done
sync
for k in 1 2 3 4; do
	start $k create -d wbk big
done
reap 1 2 3 4
diag "exit statuses: $rcs" "$(cat c1.err c2.err c3.err c4.err)"
same 'of four creates started at once without -w, one exits 0' 1 \
    "$(echo "$rcs" | tr ' ' '\n' | grep -c '^0$')"
same 'the three others exit 3' 3 "$(echo "$rcs" | tr ' ' '\n' | grep -c '^3$')"
losers_say_busy() {
	set -- $rcs
	for k in 1 2 3 4; do
		if [ "$1" = 3 ]; then
			[ "$(wc -l <"c$k.err")" -eq 1 ] || return 1
			grep -q 'busy' "c$k.err" || return 1
			[ ! -s "c$k.out" ] || return 1
		fi
		shift
	done
}
ok 'each loser says "busy" in one line and prints nothing' losers_say_busy
run "$SB" list -d wbk
same 'there is one snapshot, complete and latest' 'complete *' \
    "$(awk -F '\t' '{ print $5, $6 }' "$OUT")"
ok 'it verifies' "$SB" verify -d wbk all
same 'no temporaries are left by the losers' '' \
    "$(stray wbk 'latest|big_[0-9]{8}_[0-9]{6}(\.sha256)?')"

# --- first use of a directory by several creates at once, again and again ----
# Each run records the source before it takes the lock: a quick source
# makes the runs overlap there, ten times over.

mkdir tiny
echo tiny >tiny/f
bad=
t=0
while [ $t -lt 10 ]; do
	t=$((t + 1))
	for k in 1 2 3 4 5; do
		start $k create -d "fbk$t" tiny
	done
	reap 1 2 3 4 5
	for k in 1 2 3 4 5; do
		set -- $rcs
		eval "rc=\${$k}"
		case $rc in
		0 | 3) ;;
		*) bad="$bad
round $t, run $k: exit $rc: $(cat "c$k.err")" ;;
		esac
	done
done
same 'five creates on a new directory, ten times: each exits 0 or 3' '' "$bad"
verify_rounds() {
	t=0
	while [ $t -lt 10 ]; do
		t=$((t + 1))
		"$SB" verify -d "fbk$t" all >/dev/null || return 1
		[ "$(cat "fbk$t/.snapback")" = "$T/tiny" ] || return 1
	done
}
ok 'each of those directories records the source and verifies' verify_rounds

# --- the lock held by someone else -------------------------------------------

if command -v flock >/dev/null 2>&1; then
	run "$SB" list -d bk
	cp "$OUT" list.before
	echo changed >src/sub/f1
	status 'create exits 3 while another holds the lock' 3 \
	    flock bk/.lock "$SB" create -d bk src
	cp "$ERR" busy.err
	ok 'and says busy' grep -q 'busy' busy.err
	run "$SB" list -d bk
	same 'and changes nothing' "$(cat list.before)" "$(cat "$OUT")"
	cp -a src target
	status 'restore exits 3 while another holds the lock' 3 \
	    flock bk/.lock "$SB" restore -d bk latest target
	ok 'and leaves the target alone' diff -r src target
	status 'list takes no lock' 0 flock bk/.lock "$SB" list -d bk
	status 'verify takes no lock' 0 flock bk/.lock "$SB" verify -d bk all
else
	for d in 'create exits 3 while another holds the lock' 'and says busy' \
	    'and changes nothing' 'restore exits 3 while another holds the lock' \
	    'and leaves the target alone' 'list takes no lock' \
	    'verify takes no lock'; do
		skip "$d" 'flock(1) is not installed'
	done
fi
