#!/bin/sh
# 050-auditlog-concurrent: concurrent writers (8 x 5,000 records), writers
# killed with SIGKILL at random moments, torn writes and a state left
# behind the log, each recovered by the next writer.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"
. "$TESTS/auditlog.sh"

plan 27

NPROC=8
NBATCH=25
BATCH=200

# --- 8 writers, 5,000 records each -----------------------------------------

"$A" init -f log -o k0 >/dev/null
i=1
while [ $i -le $NPROC ]; do
	(
		b=0
		while [ $b -lt $NBATCH ]; do
			awk -v p=$i -v b=$b -v n=$BATCH 'BEGIN {
			    for (j = 0; j < n; j++) print "p" p " " b * n + j }' |
			    "$A" append -f log || echo "append failed" >>fail
			b=$((b + 1))
		done
	) &
	i=$((i + 1))
done
wait
total=$((NPROC * NBATCH * BATCH))
ok 'no append failed' test ! -e fail
same "all $total records and init are there" $((total + 1)) "$(nrec)"
sed 1d log | tr ' ' '\n' | sed -n 's/^msg=//p' >msgs
same 'each once' "$total" "$(sort -u msgs | wc -l | tr -d ' ')"
same 'seqs run 0 to N without a hole' "0 $total" \
    "$(field seq 1) $(cut -d' ' -f2 log | sed 's/seq=//' | sort -n |
    awk 'NR > 1 && $1 != p + 1 { bad = 1 } { p = $1 } END { print (bad ? -1 : p) }')"
bad=
i=1
while [ $i -le $NPROC ]; do
	sed -n "s/^p$i%20//p" msgs >order
	sort -n order | cmp -s - order || bad="$bad $i"
	[ "$(wc -l <order)" -eq $((NBATCH * BATCH)) ] || bad="$bad $i"
	i=$((i + 1))
done
same 'each writer'"'"'s records all there, in its order' '' "$bad"
status 'the chain verifies' 0 "$A" verify -k k0 log
same 'all of it' "$((total + 1)) records, last seq $total" "$(cat "$OUT")"

# One record per append, as the programs write them.
i=1
while [ $i -le 4 ]; do
	(
		j=0
		while [ $j -lt 25 ]; do
			"$A" append -f log "single $i $j" || echo x >>fail
			j=$((j + 1))
		done
	) &
	i=$((i + 1))
done
wait
ok '4 x 25 single appends at once: none failed' test ! -e fail
same 'all there' 100 "$(grep -c ' msg=single%20' log)"
status 'the chain verifies' 0 "$A" verify -k k0 log
same 'with them' "$((total + 101)) records, last seq $((total + 100))" \
    "$(cat "$OUT")"

# --- a torn write and a state left behind ----------------------------------

mkdir t
cd t || exit 1
"$A" init -f log -o k0 >/dev/null
"$A" append -f log one
size=$(wc -c <log | tr -d ' ')
printf 'dkaudit1 seq=2 ts=2025-' >>log
status 'a writer after a torn write succeeds' 0 "$A" append -f log two
same 'saying what it recovered' \
    "auditlog: log: recovered from a torn write: 23 bytes at offset $size recorded" \
    "$(cat "$ERR")"
like 'a newline ends the fragment, a recover record follows' \
    "dkaudit1 seq=2 ts=2025-|dkaudit1 seq=2 * type=recover offset=$size length=23 sha256=$(printf 'dkaudit1 seq=2 ts=2025-' | sha256sum | cut -c1-64) mac=*" \
    "$(line 3 log)|$(line 4 log)"
status 'verify passes' 0 "$A" verify -k k0 log
same 'reporting it as recovered' \
    "log:3: recovered: a torn write of 23 bytes at offset $size, recorded at line 4|4 records, last seq 3" \
    "$(tr '\n' '|' <"$OUT" | sed 's/|$//')"
cp log.state behind
"$A" append -f log three
cp behind log.state
status 'a writer finding the log a record ahead of the state' 0 \
    "$A" append -f log four
same 'takes it in: no recovery, the state at seq 6' '|6' \
    "$(cat "$ERR")|$(st seq)"
status 'verify passes' 0 "$A" verify -k k0 log
same 'with all records' \
    "log:3: recovered: a torn write of 23 bytes at offset $size, recorded at line 4|6 records, last seq 5" \
    "$(tr '\n' '|' <"$OUT" | sed 's/|$//')"
cp log log.good
sed -i '3s/2025-/2024-/' log
status 'a recovered fragment changed afterwards' 1 "$A" verify -k k0 log
same 'is no longer recovered' \
    'log:3: not a dkaudit1 record|log:4: a recover record that does not match the bytes before it' \
    "$(tr '\n' '|' <"$OUT" | sed 's/|$//')"
cd .. || exit 1

# --- writers killed at random moments --------------------------------------

mkdir k
cd k || exit 1
"$A" init -f log -o k0 >/dev/null
awk 'BEGIN { for (j = 0; j < 3000; j++) printf "record %d %s\n", j,
    "padding padding padding padding padding padding padding" }' >batch
round=0
while [ $round -lt 12 ]; do
	pids=
	for w in 1 2 3; do
		"$A" append -f log <batch 2>>errs &
		pids="$pids $!"
	done
	sleep "$(awk -v s="$$$round" 'BEGIN { srand(s); printf "%.3f", rand() * 0.08 }')"
	# shellcheck disable=SC2086
	kill -9 $pids 2>/dev/null
	wait
	round=$((round + 1))
done
status 'after 12 rounds of kill -9, an append succeeds' 0 "$A" append -f log end
status 'verify passes' 0 "$A" verify -k k0 log
n=$(wc -l <"$OUT")
diag "$(grep -c recovered "$OUT") torn writes recovered"
same 'everything before the count is a recovered torn write' 0 \
    "$(sed '$d' "$OUT" | grep -vc '^log:[0-9]*: recovered: a torn write of [0-9]* bytes at offset [0-9]*, recorded at line [0-9]*$')"
same 'the count covers every line but the torn ones' \
    "$(($(nrec) - (n - 1))) records, last seq $(lastseq)" \
    "$(tail -n 1 "$OUT")"
same 'the last record is the final append' end "$(field msg)"
cd .. || exit 1
