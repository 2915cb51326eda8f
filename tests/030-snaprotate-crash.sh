#!/bin/sh
# 030-snaprotate-crash: snaprotate killed during a removal leaves the
# snapshot complete, or trash that the next run removes.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"

RUNS=16
plan 17

SR=$BIN/snaprotate
SB=$BIN/snapback

now_ms() { echo $(($(date +%s%N) / 1000000)); }
rand() { echo $(($(od -An -N4 -tu4 /dev/urandom | tr -d ' ') % $1)); }
sleep_ms() { sleep "$(awk -v m="$1" 'BEGIN { printf "%.3f", m / 1000 }')"; }

# A tree of 2000 small files in 20 directories.
mktree() {
	mkdir -p "$1"
	for d in $(seq -w 0 19); do
		mkdir "$1/d$d"
		head -c 1000 /dev/urandom | (cd "$1/d$d" && split -b 10 -a 3 - f)
	done
}
files() { find "$1" -type f | wc -l | tr -d ' '; }

# kill_runs COUNT BEFORE CMD CHECK: COUNT times, run BEFORE I, then CMD I
# in the background, SIGKILL it after a delay, then CHECK I, which sets
# state to early (the removal had not begun), mid (it was under way) or
# done.  The delay is drawn from [lo, hi] ms, and the window narrows
# towards the removal as runs land early or late, so that kills keep
# landing mid-removal however loaded the machine is.  Sets badrc and
# killed.
kill_runs() {
	count=$1 before=$2 cmd=$3 check=$4
	badrc= killed=0 i=0
	while [ "$i" -lt "$count" ]; do
		i=$((i + 1))
		$before "$i"
		delay=$((lo + $(rand $((hi - lo + 1)))))
		$cmd "$i" >"$T/run.out" 2>"$T/run.err" &
		pid=$!
		sleep_ms "$delay"
		kill -9 "$pid" 2>/dev/null
		{ wait "$pid"; } 2>/dev/null
		rc=$?
		case $rc in
		137) killed=$((killed + 1)) ;;
		0) ;;
		*) badrc="$badrc
run $i: exit $rc: $(cat "$T/run.err")" ;;
		esac
		$check "$i"
		case $state in
		early) [ "$delay" -ge "$hi" ] || lo=$delay ;;
		done) [ "$delay" -le $((lo + 1)) ] || hi=$delay ;;
		esac
	done
}

# --- a snapback directory: two tree snapshots, the older removed -------------

mktree src
ok 'snapback create: the snapshot to be removed' "$SB" create -d tmpl src
OLD=$(basename "$(cat "$OUT")")
sleep 1
echo changed >src/d00/faaa
ok 'snapback create: the newer one, sharing most files' "$SB" create -d tmpl src
NEW=$(basename "$(cat "$OUT")")
sync

# Hard-linked copies: quick to make, and a removal unlinks as many names.
setup() { rm -rf bk; cp -al tmpl bk; }
setup
t0=$(now_ms)
ok 'an uninterrupted removal succeeds' "$SR" -d bk --keep-last 1
dur=$(($(now_ms) - t0))
[ "$dur" -ge 30 ] || dur=30
diag "removing the 2000-file snapshot takes $dur ms"

bad= midrun=0
check() {
	if [ "$rc" = 0 ]; then
		state=done
	elif [ -f "bk/$OLD.sha256" ]; then
		state=early
	else
		state=mid
	fi
	for e in $(ls -A bk); do
		case $e in
		.snapback|.lock|latest|"$NEW"|"$NEW.sha256"|"$OLD") ;;
		"$OLD.sha256")
			[ -d "bk/$OLD" ] && [ "$(files "bk/$OLD")" = 2000 ] ||
			    bad="$bad run $1: manifest of $OLD without the whole snapshot;"
			;;
		.$OLD.??????) midrun=$((midrun + 1)) ;;
		*) bad="$bad run $1: unexpected $e;" ;;
		esac
	done
	[ -e "bk/$OLD.sha256" ] || [ ! -d "bk/$OLD" ] ||
	    midrun=$((midrun + 1))
	[ "$(files "bk/$NEW")" = 2000 ] && cmp -s bk/"$NEW"/d00/faaa src/d00/faaa ||
	    bad="$bad run $1: $NEW is damaged;"
	[ "$(readlink bk/latest)" = "$NEW" ] ||
	    bad="$bad run $1: latest -> $(readlink bk/latest);"
	# The next run cleans up: snaprotate, or every fifth time snapback
	# (whose syncfs makes it the slower).
	if [ $(($1 % 5)) -ne 0 ]; then
		"$SR" -d bk --keep-last 1 >/dev/null 2>&1 ||
		    bad="$bad run $1: the next snaprotate failed;"
		[ "$(ls -A bk | tr '\n' ' ')" = ".lock .snapback latest $NEW $NEW.sha256 " ] ||
		    bad="$bad run $1: after the next snaprotate: $(ls -A bk | tr '\n' ' ');"
	else
		"$SB" create -d bk src >/dev/null 2>&1 ||
		    bad="$bad run $1: the next snapback failed;"
		ls -A bk | grep -q '^\.src_' &&
		    bad="$bad run $1: trash after the next snapback;"
		for s in $(ls bk | grep '^src_[0-9_]*$'); do
			[ -f "bk/$s.sha256" ] ||
			    bad="$bad run $1: $s without manifest after snapback;"
		done
	fi
}
run_sr() { exec "$SR" -d bk --keep-last 1; }
lo=0 hi=$((dur * 12 / 10))
kill_runs $RUNS setup run_sr check
same 'every killed run died of SIGKILL or finished with 0' '' "$badrc"
same 'the old snapshot was whole with its manifest, or gone, or trash; the next run cleaned up' \
    '' "$bad"
diag "$killed of $RUNS runs killed before the end; $midrun left trash or an un-committed snapshot; kills at $lo to $hi ms in the end"
ok 'kills landed mid-removal (at least 3 left trash or an un-committed snapshot)' \
    test "$midrun" -ge 3

# --- --pattern: a directory snapshot -------------------------------------------

mkdir ptmpl
mktree ptmpl/tree-20240101
mkdir ptmpl/tree-20240102
echo small >ptmpl/tree-20240102/f
echo other >ptmpl/notes
sync
psetup() { rm -rf pd; cp -al ptmpl pd; }
psetup
t0=$(now_ms)
ok 'an uninterrupted --pattern removal succeeds' \
    "$SR" -d pd --pattern 'tree-%Y%m%d' --keep-last 1
pdur=$(($(now_ms) - t0))
[ "$pdur" -ge 30 ] || pdur=30
same 'it leaves the newer tree and the other name' '.lock notes tree-20240102' \
    "$(names pd)"

pbad= pmid=0
pcheck() {
	if [ "$rc" = 0 ]; then
		state=done
	elif [ -d pd/tree-20240101 ]; then
		state=early
	else
		state=mid
	fi
	for e in $(ls -A pd); do
		case $e in
		.lock|notes|tree-20240102) ;;
		tree-20240101)
			[ "$(files pd/tree-20240101)" = 2000 ] ||
			    pbad="$pbad run $1: tree-20240101 partly removed;"
			;;
		.tree-20240101.??????) pmid=$((pmid + 1)) ;;
		*) pbad="$pbad run $1: unexpected $e;" ;;
		esac
	done
	"$SR" -d pd --pattern 'tree-%Y%m%d' --keep-last 1 >/dev/null 2>&1 ||
	    pbad="$pbad run $1: the next run failed;"
	[ "$(ls -A pd | tr '\n' ' ')" = ".lock notes tree-20240102 " ] ||
	    pbad="$pbad run $1: after the next run: $(ls -A pd | tr '\n' ' ');"
	[ "$(cat pd/tree-20240102/f pd/notes)" = "small${NL:-
}other" ] || pbad="$pbad run $1: the others changed;"
}
run_pat() { exec "$SR" -d pd --pattern 'tree-%Y%m%d' --keep-last 1; }
lo=0 hi=$((pdur * 12 / 10))
kill_runs $RUNS psetup run_pat pcheck
same 'every killed --pattern run died of SIGKILL or finished with 0' '' "$badrc"
same 'the tree was whole, or gone, or trash; the next run removed the trash' \
    '' "$pbad"
diag "$killed of $RUNS runs killed before the end; $pmid left trash; kills at $lo to $hi ms in the end"
ok 'kills landed mid-removal (at least 3 left trash)' test "$pmid" -ge 3

# --- what a kill leaves, made by hand --------------------------------------------

setup
mv "bk/$OLD" "bk/.$OLD.AbCdEf"
rm "bk/$OLD.sha256"
status 'trash of a snapback snapshot: the next run' 0 \
    "$SR" -v -d bk --keep-last 1
same 'removes it and says so' "remove leftover bk/.$OLD.AbCdEf" "$(cat "$ERR")"
same 'the directory is clean' ".lock .snapback latest $NEW $NEW.sha256" \
    "$(names bk)"
setup
rm "bk/$OLD.sha256"
status 'an un-committed snapshot: the next run' 0 \
    "$SR" -v -d bk --keep-last 1
same 'removes it as a leftover, not as a snapshot' \
    "remove leftover bk/$OLD|keep${TAB:=	}$NEW${TAB}last#1,latest,newest" \
    "$(cat "$ERR")|$(grep -v '^total' "$OUT")"
same 'the directory is clean again' ".lock .snapback latest $NEW $NEW.sha256" \
    "$(names bk)"
