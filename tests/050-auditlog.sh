#!/bin/sh
# 050-auditlog: functional tests of auditlog: usage, init, append (words,
# stdin, every byte value, 1 MB messages, NUL), tick, exec, checkpoint,
# rotate, verify of untouched logs.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"
. "$TESTS/auditlog.sh"

plan 147

TS='[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z'
H32='[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'
H32="$H32$H32$H32$H32"

# --- usage -----------------------------------------------------------------

status 'no arguments is a usage error' 2 "$A"
like 'it prints the usage on stderr' 'usage: auditlog init *' \
    "$(sed -n 1p "$ERR")"
status 'an unknown command is a usage error' 2 "$A" frob
same 'it is named' 'auditlog: frob: unknown command' "$(sed -n 1p "$ERR")"
status 'an unknown option is a usage error' 2 "$A" append -x -f log
same 'it is named' 'auditlog: -x: unknown option' "$(sed -n 1p "$ERR")"
status 'no -f and no AUDITLOG is a usage error' 2 "$A" append hello
same 'it says so' 'auditlog: no log: give -f LOG or set AUDITLOG' \
    "$(cat "$ERR")"
status 'an empty AUDITLOG is one too' 2 env AUDITLOG= "$A" tick
status 'verify without LOG or AUDITLOG is a usage error' 2 "$A" verify
status '-c without -p is a usage error' 2 "$A" verify -c cp log
same 'it says why' \
    'auditlog: -c: checking a checkpoint needs its key (-p)' "$(cat "$ERR")"
rcs=
for t in rotate init recover 'a b' Note .x "$(printf 'x%.0s' $(seq 33))"; do
	run "$A" append -f log -t "$t" m
	rcs="$rcs $?"
done
same '-t refuses reserved and malformed types' ' 2 2 2 2 2 2 2' "$rcs"
like 'and names the rule' 'auditlog: -t: rotate: want 1 to 32 characters*' \
    "$(run "$A" append -f log -t rotate m; cat "$ERR")"
rcs=
for args in 'init x' 'tick x' 'checkpoint x' 'rotate x' 'exec' 'exec --'; do
	# shellcheck disable=SC2086
	run "$A" $args -f log
	rcs="$rcs $?"
done
same 'extra or missing operands are usage errors' ' 2 2 2 2 2 2' "$rcs"
ok 'usage errors make no file' test -z "$(ls)"
status '-h succeeds' 0 "$A" -h
same '-h prints the 7-line usage on stdout' 'usage: auditlog init|7|' \
    "$(sed -n '1s/ *\[.*//p' "$OUT")|$(wc -l <"$OUT")|$(cat "$ERR")"
status '-V succeeds' 0 "$A" -V
same '-V prints the version' 'auditlog 0.1.0' "$(cat "$OUT")"

# --- init ------------------------------------------------------------------

status 'init' 0 "$A" init -f log
same 'init prints the key line and the checkpoint key, nothing on stderr' \
    '2|' "$(wc -l <"$OUT" | tr -d ' ')|$(cat "$ERR")"
like 'the first line is k_0 with the log id' "dkaudit1-key $H32 $H32$H32" \
    "$(line 1 "$OUT")"
ID=$(line 1 "$OUT" | cut -d' ' -f2)
line 1 "$OUT" >k0
like 'the second is the checkpoint key, named after the log' \
    "datakeep-auditlog/$ID+????????+*" "$(line 2 "$OUT")"
line 2 "$OUT" >want.pub
ok 'log.pub holds it' cmp want.pub log.pub
same 'modes: log, state, sign and lock 600, pub 644' '600 600 600 600 644' \
    "$(stat -c %a log log.state log.sign log.lock log.pub | tr '\n' ' ' |
    sed 's/ $//')"
same 'the files' 'k0 log log.lock log.pub log.sign log.state want.pub' \
    "$(names .)"
same 'the log has one record' 1 "$(nrec)"
like 'the init record: seq 0, the header, type init, the log id' \
    "dkaudit1 seq=0 ts=$TS host=* env= user=* uid=$(id -u) pid=* prog=auditlog type=init id=$ID sign=* mac=$H32$H32" \
    "$(line 1 log)"
same 'it names the checkpoint key' "$(cat log.pub)" \
    "$(field sign 1 | decode)"
ok 'k_0 is nowhere on the host but in k0' \
    sh -c "! grep -rqF '$(cut -d' ' -f3 k0)' log log.state log.sign log.pub"
same 'the state holds k_1 and seq 1' "1 $(st key | wc -c)" \
    "$(st seq) $(st key | wc -c)"
cp log log.init
status 'init again fails' 1 "$A" init -f log
same 'saying the file exists' 'auditlog: log: exists; nothing made' \
    "$(cat "$ERR")"
ok 'and changes nothing' cmp log log.init
mkdir o
status 'init -o KEYFILE' 0 "$A" init -f o/log -o o/k0
same 'prints only the checkpoint key' 1 "$(wc -l <"$OUT" | tr -d ' ')"
like 'KEYFILE holds the key line, mode 600' "dkaudit1-key $H32 * 600" \
    "$(cat o/k0) $(stat -c %a o/k0)"
mkdir o2
echo old >o2/k0
status 'init -o with an existing KEYFILE fails' 1 "$A" init -f o2/log -o o2/k0
same 'and makes nothing' 'k0 old' "$(names o2) $(cat o2/k0)"
mkdir full
if [ -w /dev/full ]; then
	status 'init whose key cannot be printed fails' 1 \
	    sh -c "'$A' init -f full/log >/dev/full"
	same 'saying so, and makes nothing' \
	    'auditlog: stdout: No space left on device; the key cannot be given, nothing made|' \
	    "$(cat "$ERR")|$(names full)"
else
	skip 'init whose key cannot be printed fails' 'no /dev/full'
	skip 'saying so, and makes nothing' 'no /dev/full'
fi
status 'init in a missing directory fails' 1 "$A" init -f nodir/log
same 'and says why' 'auditlog: nodir/log: No such file or directory' \
    "$(cat "$ERR")"

# --- append ----------------------------------------------------------------

status 'append words' 0 "$A" append -f log hello 'big  world'
same 'is quiet' '|' "$(cat "$OUT")|$(cat "$ERR")"
like 'the record: seq 1, type note, the words in msg' \
    "dkaudit1 seq=1 ts=$TS host=* env= user=* uid=$(id -u) pid=* prog=auditlog type=note msg=hello%20big%20%20world mac=$H32$H32" \
    "$(line 2 log)"
status 'append -t login, from AUDITLOG, with DATA_ENV' 0 \
    env AUDITLOG=log DATA_ENV='prod 1' "$A" append -t login x=y
same 'type, env and msg' 'login|prod%201|x%3Dy' \
    "$(field type)|$(field env)|$(field msg)"
same 'the state says seq 3' 3 "$(st seq)"
printf 'one\ntwo\000nul\n\ncr\r\nlast' >in
status 'append from stdin' 0 "$A" append -f log <in
same 'one record per line, the last without newline too' \
    'one two%00nul  cr%0D last' \
    "$(for n in 4 5 6 7 8; do field msg $n; done | tr '\n' ' ' | sed 's/ $//')"
same 'seqs follow' '3 4 5 6 7' \
    "$(for n in 4 5 6 7 8; do field seq $n; done | tr '\n' ' ' | sed 's/ $//')"
same 'records from one batch share the pid' 1 \
    "$(for n in 4 5 6 7 8; do field pid $n; done | sort -u | wc -l)"
perl -e 'print map { chr } grep { $_ != 10 } 0..255' >bytes
status 'a line of every byte value but newline' 0 "$A" append -f log <bytes
same 'is one record' 9 "$(nrec)"
same 'encoded as the format says' "$(encode <bytes)" "$(field msg)"
like 'bytes that need no encoding stand for themselves' \
    '%00%01*%1F%20!"#$%25&*<%3D>*}~%7F%80*%FF' "$(field msg)"
field msg | tr -d '\n' | decode >back
ok 'and it decodes back to every byte' cmp bytes back
perl -e 'print map { chr(($_ * 7 + 3) % 256) } 0..1048575' | tr '\n' '\001' \
    >mb
status 'a 1 MB message from stdin' 0 "$A" append -f log <mb
field msg | tr -d '\n' | decode >back
ok 'round-trips byte for byte' cmp mb back
like 'the record is one line ending in its MAC' " mac=$H32$H32" \
    "$(tail -c 70 log)"
printf 'a\0b\0c\n' | "$A" append -f log
same 'NUL bytes through stdin' 'a%00b%00c' "$(field msg)"
perl -e 'print "ok\n", "x" x 4194305, "\nlost\n"' >huge
status 'a line over 4 MiB fails' 1 "$A" append -f log <huge
same 'naming the line' \
    'auditlog: stdin: line 2: longer than 4194304 bytes; not recorded' \
    "$(cat "$ERR")"
same 'lines before it are kept, none after' 'ok' "$(field msg)"
printf '' | "$A" append -f log
same 'empty stdin appends nothing' 12 "$(nrec)"
status 'append to a log without state fails' 1 "$A" append -f log.init m
same 'saying so' \
    'auditlog: log.init: not an audit log: no log.init.state (auditlog init makes one)' \
    "$(cat "$ERR")"
status 'append to a missing log fails' 1 "$A" append -f nolog m
same 'saying so' 'auditlog: nolog: No such file or directory' "$(cat "$ERR")"

status 'tick' 0 "$A" tick -f log
like 'a tick record' "dkaudit1 seq=12 ts=$TS * prog=auditlog type=tick mac=*" \
    "$(tail -n 1 log)"
status 'verify -k of all of it' 0 "$A" verify -k k0 log
same 'prints the count and last seq' '13 records, last seq 12' "$(cat "$OUT")"
same 'timestamps never go back' \
    "$(field ts '' log | sort | tail -n 1)" "$(cut -d' ' -f3 log | sort |
    tail -n 1 | sed 's/ts=//')"

# --- no /etc/passwd, no /proc, no locale: an empty chroot ------------------

if [ "${DATAKEEP_SAN:-}" = 1 ]; then
	skip 'init and append run in an empty chroot' 'the sanitizer build is dynamic'
	skip 'the user is the uid there' 'the sanitizer build is dynamic'
elif [ "$(id -u)" = 0 ]; then
	mkdir -p root/d
	cp "$A" root/auditlog
	run chroot root /auditlog init -f /d/log
	rc=$?
	run chroot root /auditlog append -f /d/log in chroot
	same 'init and append run in an empty chroot' '0 0' "$rc $?"
	same 'the user is the uid there' '0|0|in%20chroot' \
	    "$(field user '' root/d/log)|$(field uid '' root/d/log)|$(field msg '' root/d/log)"
else
	skip 'init and append run in an empty chroot' 'chroot needs root'
	skip 'the user is the uid there' 'chroot needs root'
fi

# --- exec ------------------------------------------------------------------

n0=$(nrec)
status 'exec of a command exiting 3 exits 3' 3 "$A" exec -f log -- sh -c 'exit 3'
like 'exec.start: cwd and the words' \
    "dkaudit1 seq=$n0 ts=$TS * type=exec.start cwd=$(printf %s "$P" | encode) argv0=sh argv1=-c argv2=exit%203 mac=*" \
    "$(line $((n0 + 1)) log)"
like 'exec.end: the start seq, exit 3, secs' \
    "dkaudit1 seq=$((n0 + 1)) ts=$TS * type=exec.end start=$n0 exit=3 secs=*.?????? mac=*" \
    "$(line $((n0 + 2)) log)"
status 'exec of true exits 0' 0 "$A" exec -f log -- true
same 'and records exit 0' 0 "$(field exit)"
status 'exec without -- works too' 0 "$A" exec -f log true
status 'a command killed by SIGTERM: 128+15' 143 \
    "$A" exec -f log -- sh -c 'kill -TERM $$'
same 'recorded as signal 15' '15|' "$(field signal)|$(field exit)"
"$A" exec -f log -- sleep 30 &
pid=$!
n=0
while [ "$(field type)" != exec.start ] && [ $n -lt 100 ]; do
	sleep 0.05
	n=$((n + 1))
done
sleep 0.1
kill -TERM $pid
wait $pid
rc=$?
same 'SIGTERM to auditlog goes on to the command: 143' 143 "$rc"
same 'recorded as signal 15' '15|exec.end' "$(field signal)|$(field type)"
ok 'before the 30 s were over' \
    test "$(field secs | cut -d. -f1)" -lt 25
for s in HUP INT; do
	# Not ignored, as sh makes SIGINT for background jobs.
	perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die' \
	    "$A" exec -f log -- sleep 30 &
	pid=$!
	n=0
	while [ "$(field type)" != exec.start ] && [ $n -lt 100 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	sleep 0.1
	kill -$s $pid
	wait $pid
	rc="$rc $?"
done
same 'SIGHUP and SIGINT too: 129, 130' '143 129 130' "$rc"
status 'a missing command exits 127' 127 "$A" exec -f log -- ./no-such-cmd a
same 'saying so' 'auditlog: ./no-such-cmd: No such file or directory' \
    "$(cat "$ERR")"
same 'start and end are recorded, with the error' \
    'exec.start ./no-such-cmd|exec.end 127 No%20such%20file%20or%20directory' \
    "$(line $(($(nrec) - 1)) log | tr ' ' '\n' | sed -n 's/^\(type\|argv0\)=//p' | tr '\n' ' ' | sed 's/ $//')|$(field type) $(field exit) $(field error)"
printf '#!/bin/sh\n' >noexec
chmod 644 noexec
status 'a command that cannot be run exits 126' 126 "$A" exec -f log -- ./noexec
status 'exec -t backup' 0 "$A" exec -f log -t backup -- true
same 'makes backup.start and backup.end' 'backup.start backup.end' \
    "$(line $(($(nrec) - 1)) log | tr ' ' '\n' | sed -n 's/^type=//p') $(field type)"
cp log log.before
chmod go+rx .
if [ "$unpriv" = setpriv ] || [ "$unpriv" = self ]; then
	[ "$unpriv" = self ] && chmod 400 log
	status 'exec with an unwritable log fails with 1' 1 \
	    asuser "$A" exec -f log -- touch ran
	like 'saying the log and that the command was not run' \
	    'auditlog: log: *; touch not run' "$(cat "$ERR")"
	ok 'the command did not run' test ! -e ran
	[ "$unpriv" = self ] && chmod 600 log
else
	skip 'exec with an unwritable log fails with 1' 'no other user'
	skip 'saying the log and that the command was not run' 'no other user'
	skip 'the command did not run' 'no other user'
fi
ok 'and the log is unchanged' cmp log log.before
status 'exec of a log without state fails with 1' 1 \
    "$A" exec -f log.init -- touch ran
ok 'without running the command' test ! -e ran

# --- checkpoint ------------------------------------------------------------

status 'checkpoint' 0 "$A" checkpoint -f log
cp "$OUT" cp1
same 'a note of 6 lines, an empty line, one signature' 8 "$(nrec cp1)"
same 'origin, count' "datakeep-auditlog/$ID|$(nrec)" \
    "$(line 1 cp1)|$(line 2 cp1)"
same 'the chain head, base64' \
    "$(chainhead log | perl -ne 'print pack("H*", $1) if /(\w+)/' | base64)" \
    "$(line 3 cp1)"
like 'host, last MAC, time' "host *|mac *=|time $TS" \
    "$(line 4 cp1)|$(line 5 cp1)|$(line 6 cp1)"
same 'the last MAC, base64' \
    "$(field mac | perl -ne 'print pack("H*", $1) if /(\w+)/' | base64)" \
    "$(line 5 cp1 | cut -d' ' -f2)"
like 'signed by the key of log.pub' "— datakeep-auditlog/$ID *" \
    "$(line 8 cp1)"
same 'the key id in the signature is log.pub'"'"'s' \
    "$(cut -d+ -f2 log.pub)" \
    "$(line 8 cp1 | cut -d' ' -f3 | base64 -d | head -c 4 | od -An -tx1 |
    tr -d ' \n')"
status 'verify -p -c accepts it' 0 "$A" verify -p log.pub -c cp1 log
status 'and with -k too' 0 "$A" verify -k k0 -p log.pub -c cp1 log
same 'checkpoint changes nothing in the log' "$(nrec)" "$(line 2 cp1)"
status 'checkpoint without log.sign fails' 1 "$A" checkpoint -f o/log.x
status 'verify -v' 0 "$A" verify -v -k k0 -p log.pub -c cp1 log
same 'says what it checked on stderr' \
    "cp1: $(nrec) records, chain head matches|log: $(nrec) records, seq 0 to $(lastseq)|log.state: matches (seq $(lastseq))" \
    "$(tr '\n' '|' <"$ERR" | sed 's/|$//')"

# --- rotate ----------------------------------------------------------------

chmod 640 log
last=$(lastseq)
lastmac=$(field mac)
status 'rotate' 0 "$A" rotate -f log
R1=$(cat "$OUT")
like 'prints the new name of the old log' 'log.[0-9]*_[0-9]*' "$R1"
same 'which keeps the old records' "$((last + 1))" "$(nrec "$R1")"
same 'the new log has one record' 1 "$(nrec)"
like 'rotate: seq, the old name, its last seq and MAC, the log id' \
    "dkaudit1 seq=$((last + 1)) ts=$TS * type=rotate prev=$R1 prevseq=$last prevmac=$lastmac prevhead=$H32$H32 id=$ID mac=*" \
    "$(line 1 log)"
same 'prevhead is the old chain head' "$(chainhead "$R1")" "$(field prevhead)"
same 'the new log keeps the mode' 640 "$(mode_of log)"
status 'append after rotate' 0 "$A" append -f log after
same 'seq goes on' "$((last + 2))" "$(lastseq)"
status 'verify -k across the rotation' 0 "$A" verify -k k0 "$R1" log
same 'counts both files' "$((last + 3)) records, last seq $((last + 2))" \
    "$(cat "$OUT")"
status 'verify -k of the new log alone' 0 "$A" verify -k k0 log
same 'counts its records' "2 records, last seq $((last + 2))" "$(cat "$OUT")"
status 'verify -k of the old log alone' 0 "$A" verify -k k0 "$R1"
status 'the old checkpoint still holds across the rotation' 0 \
    "$A" verify -k k0 -p log.pub -c cp1 "$R1" log
status 'but not for the new log alone: before it, not checked' 0 \
    "$A" verify -v -k k0 -p log.pub -c cp1 log
like 'as -v says' '*cp1: before the first record given; not checked*' \
    "$(cat "$ERR")"
same 'no temporary left' "k0 log $R1 log.before log.init log.lock log.pub log.sign log.state" \
    "$(names . | tr ' ' '\n' | grep '^log\|^k0\|^\.' | tr '\n' ' ' | sed 's/ $//')"

# --- hostile names ---------------------------------------------------------

H="h o$(printf '\t')s$(printf '\377')t
ile"
mkdir "$H"
status 'init of a log whose path has a space, a tab, a newline, 0xFF' 0 \
    "$A" init -f "$H/l og" -o "$H/k 0"
status 'append to it' 0 "$A" append -f "$H/l og" "x"
status 'rotate it' 0 "$A" rotate -f "$H/l og"
same 'the rotated name is printed as it is' \
    "$(cd "$H" && ls -d 'l og'.2*)" "$(basename "$(cat "$OUT")")"
status 'verify it' 0 "$A" verify -k "$H/k 0" "$(cat "$OUT")" "$H/l og"
printf 'junk\n' >>"$H/l og"
status 'a problem in it' 1 "$A" verify "$H/l og"
same 'names it on one line, escaped' \
    "h o\\ts$(printf '\377')t\\nile/l og:2: not a dkaudit1 record" \
    "$(cat "$OUT")"

# --- a read-only directory -------------------------------------------------

if [ "$unpriv" = setpriv ] || [ "$unpriv" = self ]; then
	mkdir ro
	[ "$unpriv" = setpriv ] && chown 65534:65534 ro
	asuser "$A" init -f ro/log -o ro/k0 >/dev/null
	chmod 555 ro
	status 'init in a read-only directory fails' 1 \
	    asuser "$A" init -f ro/other
	same 'saying so' 'auditlog: ro/other: Permission denied' "$(cat "$ERR")"
	status 'rotate in a read-only directory fails' 1 \
	    asuser "$A" rotate -f ro/log
	status 'append still works' 0 asuser "$A" append -f ro/log still
	status 'and the log verifies' 0 asuser "$A" verify -k ro/k0 ro/log
	same 'nothing left behind' 'k0 log log.lock log.pub log.sign log.state' \
	    "$(names ro)"
	chmod 755 ro
else
	for t in 1 2 3 4 5 6; do
		skip "read-only directory test $t" 'no other user'
	done
fi
