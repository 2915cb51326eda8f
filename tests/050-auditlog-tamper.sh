#!/bin/sh
# 050-auditlog-tamper: every way of changing a log that verify must catch,
# each at its line with its reason; an untouched log passing.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"
. "$TESTS/auditlog.sh"

plan 65

# A log of 12 records: init (seq 0, line 1), m1..m10 (seq 1-10, lines
# 2-11), a tick (seq 11, line 12); a checkpoint of it.
"$A" init -f log -o k0 >/dev/null
ID=$(cut -d' ' -f2 k0)
seq 1 10 | sed 's/^/m/' | "$A" append -f log
"$A" tick -f log
"$A" checkpoint -f log >cp
cp log good
cp log.state good.state
restore() { cp good log; cp good.state log.state; }

# verify ARGS: run verify -k with ARGS on log; $out is its stdout, lines
# joined by '|'.
verify() {
	"$A" verify "$@" >"$OUT" 2>"$ERR"
	rc=$?
	out=$(tr '\n' '|' <"$OUT" | sed 's/|$//')
	first=$(sed -n 1p "$OUT")
}

# --- untouched -------------------------------------------------------------

verify -k k0 log
same 'an untouched log passes verify -k' '0|12 records, last seq 11' \
    "$rc|$out"
verify -k k0 -p log.pub -c cp log
same 'and against its checkpoint' '0|12 records, last seq 11' "$rc|$out"
verify log
same 'and without any key' '0|12 records, last seq 11' "$rc|$out"

# --- records changed -------------------------------------------------------

sed -i '6s/msg=m5/msg=n5/' log
verify -k k0 log
same 'a flipped byte in a middle record: bad MAC at its line' \
    '1|log:6: bad MAC' "$rc|$first"
same 'and nothing else but the state'"'"'s chain head at the end' \
    'log:6: bad MAC|log:12: the chain head differs from the state'"'"'s: a record before it was changed' \
    "$out"
mv log.state away.state
verify -p log.pub -c cp log
same 'without k_0: the checkpoint catches it at its record' \
    '1|log:12: the chain head differs from checkpoint cp' "$rc|$out"
restore

sed -i '6d' log
verify -k k0 log
same 'a deleted record: a seq gap at its place' \
    '1|log:6: seq gap: expected 5, found 6 (records missing)' "$rc|$first"
restore

sed -i '6{h;d};7G' log
verify -k k0 log
same 'two records swapped: reordered, both' \
    '1|log:6: reordered: seq 6 comes before seq 5|log:7: reordered: seq 5 comes after seq 6' \
    "$rc|$(echo "$out" | cut -d'|' -f1-2)"
restore

sed -n 4p good >rec
sed -i '8r rec' log
verify -k k0 log
same 'a replayed record: at its line' \
    '1|log:9: replayed: seq 3 came before' "$rc|$first"
restore

mkdir other
"$A" init -f other/log -o other/k0 >/dev/null
seq 1 10 | sed 's/^/m/' | "$A" append -f other/log
sed -n 6p other/log >rec
sed -i -e '6r rec' -e '6d' log
verify -k k0 log
same 'a record spliced from another log: bad MAC' '1|log:6: bad MAC' \
    "$rc|$first"
restore

# The attacker reads the current key from the state and re-MACs a record.
body=$(sed -n 6p good | sed 's/^dkaudit1 seq=[0-9]* ts=[^ ]* //;s/ mac=.*//;s/msg=m5/msg=n5/')
forge 5 "$(field ts 6)" "$body" "$(st key)" "$(field mac 5)" "$ID" >rec
sed -i -e '6r rec' -e '6d' log
like 'a record rewritten with the current key from the state' \
    "dkaudit1 seq=5 * msg=n5 mac=*" "$(line 6 log)"
verify -k k0 log
same 'fails: bad MAC at its line' '1|log:6: bad MAC' "$rc|$first"
restore

sed -i '6s/msg=m5/msg=%6D5/' log
verify -k k0 log
same 'a non-canonical re-encoding: bad encoding' \
    '1|log:6: bad encoding of msg: a byte encoded that needs no encoding' \
    "$rc|$first"
verify log
same 'caught without k_0 too' \
    '1|log:6: bad encoding of msg: a byte encoded that needs no encoding' \
    "$rc|$first"
restore
sed -i '6s/msg=m5/msg=m5%2a/' log
verify log
same 'lower-case hex is refused' \
    '1|log:6: bad encoding of msg: lower-case hex digits' "$rc|$first"
restore
sed -i '6s/msg=m5/msg=m%205/' log
verify -k k0 log
same 'a value changed to another canonical one: bad MAC' \
    '1|log:6: bad MAC' "$rc|$first"
restore
sed -i '1s/ id=[0-9a-f]* / id=00000000000000000000000000000000 /' log
verify -k k0 log
same 'the init record changed: the key given is of another log' \
    '1|log:1: the key given is of another log (no MAC checked)' "$rc|$first"
restore

# --- the tail cut off ------------------------------------------------------

head -n 10 good >log
verify -k k0 log
same 'the tail cut off: truncated against the state' \
    '1|log: truncated after seq 9, state expects 11' "$rc|$out"
mv log.state away.state
verify -k k0 -p log.pub -c cp log
same 'and against the checkpoint, the state gone' \
    '1|log: truncated after seq 9, checkpoint cp expects 11' "$rc|$out"
verify -k k0 log
same 'with neither, it passes: nothing says more records existed' \
    '0|10 records, last seq 9' "$rc|$out"
restore

# Truncate and continue: the attacker cuts the log, makes the state agree
# (size, last MAC, chain head are public) and appends.
head -n 9 good >log
stset size "$(wc -c <log | tr -d ' ')"
stset mac "$(field mac 9)"
stset head "$(chainhead log)"
status 'with the seq left as it was, append refuses to continue' 1 \
    "$A" append -f log evil
verify -k k0 log
same 'and verify says truncated' \
    '1|log: truncated after seq 8, state expects 11' "$rc|$out"
restore
head -n 9 good >log
stset size "$(wc -c <log | tr -d ' ')"
stset mac "$(field mac 9)"
stset head "$(chainhead log)"
stset seq 9
"$A" append -f log evil
same 'with the seq too, it continues: the record gets seq 9' 9 "$(lastseq)"
verify log
same 'which only the keys can tell: passes without them' \
    '0|10 records, last seq 9' "$rc|$out"
verify -k k0 log
same 'with k_0: bad MAC at its line, the state key wrong' \
    '1|log:10: bad MAC|log.state: its key is not the one the key given makes for seq 10 (an edited state, or another log'"'"'s)' \
    "$rc|$out"
verify -p log.pub -c cp log
same 'with the checkpoint: truncated' \
    '1|log: truncated after seq 9, checkpoint cp expects 11' "$rc|$out"
restore

# --- an edited state file --------------------------------------------------

sed -i 's/^seq 12$/seq 13/' log.state
verify log
same 'an edited state: damaged' '1|log.state: damaged (no valid slot)' \
    "$rc|$out"
status 'and append refuses it' 1 "$A" append -f log m
same 'saying so' 'auditlog: log: log.state: damaged (no valid slot)' \
    "$(cat "$ERR")"
restore
stset seq 13
verify log
same 'seq raised, checksum made right: truncated against it' \
    '1|log: truncated after seq 11, state expects 12' "$rc|$out"
restore
stset mac "$(field mac 11)"
verify log
same 'another last MAC: the last record differs' \
    '1|log:12: differs from the state'"'"'s last record (seq 11)' "$rc|$out"
status 'and append refuses it' 1 "$A" append -f log m
like 'saying the log does not continue its state' \
    'auditlog: log: does not continue its state (the state expects seq 11 ending at byte *; the log has * bytes): truncated or replaced? see auditlog verify' \
    "$(cat "$ERR")"
restore
stset key "$(cut -d' ' -f3 other/k0)"
verify log
same 'another key: passes without k_0' '0|12 records, last seq 11' "$rc|$out"
verify -k k0 log
same 'with k_0 the key is wrong' \
    '1|log.state: its key is not the one the key given makes for seq 12 (an edited state, or another log'"'"'s)' \
    "$rc|$out"
restore

# --- a stolen current key --------------------------------------------------

# What the key in the state allows: records after the last one.
body=$(sed -n 12p good | sed 's/^dkaudit1 seq=[0-9]* ts=[^ ]* //;s/ mac=.*//;s/type=tick/type=note msg=forged/')
forge 12 "$(field ts 12)" "$body" "$(st key)" "$(field mac 12)" "$ID" >>log
verify -k k0 log
same 'a record appended with the stolen key passes (the documented limit)' \
    '0|log: 1 records beyond the state, valid under its key: an interrupted append, which the next append completes|13 records, last seq 12' \
    "$rc|$out"
restore
forge 12 2000-01-01T00:00:00.000000Z "$body" "$(st key)" "$(field mac 12)" \
    "$ID" >>log
verify -k k0 log
same 'but not one dated before the last tick' \
    '1|log:13: time goes back: 2000-01-01T00:00:00.000000Z is before the record before it ('"$(field ts 12 good)"')' \
    "$rc|$first"
restore

# --- checkpoints -----------------------------------------------------------

sed '$s/.\(.\)$/A\1/' cp >cpx
cmp -s cp cpx && sed '$s/.\(.\)$/B\1/' cp >cpx
verify -k k0 -p log.pub -c cpx log
same 'a forged checkpoint signature: bad signature' \
    '1|cpx: bad signature' "$rc|$out"
sed '2s/12/13/' cp >cpx
verify -p log.pub -c cpx log
same 'a checkpoint whose count was raised: bad signature' \
    '1|cpx: bad signature' "$rc|$out"
"$A" checkpoint -f other/log >cpo
verify -p log.pub -c cpo log
same 'a checkpoint of another log: not signed by this key' \
    '1|cpo: no signature by the key given' "$rc|$out"
verify -p other/log.pub -c cpo log
same 'with that log'"'"'s key: the key of another log' \
    '1|log:1: the checkpoint key given is of another log' "$rc|$first"
"$A" append -f log more
"$A" checkpoint -f log >cp2
verify -k k0 -p log.pub -c cp -c cp2 log
same 'two checkpoints, oldest first: both hold' '0|13 records, last seq 12' \
    "$rc|$out"
verify -k k0 -p log.pub -c cp2 -c cp log
like 'given newest first: older than one already seen' \
    '1|cp: older than cp2, given before it (12 records at *; 13 at *)' \
    "$rc|$out"
cp log good13
cp log.state good13.state
restore
verify -k k0 -p log.pub -c cp -c cp2 log
same 'the record cp2 covers cut off: truncated against cp2' \
    '1|log: truncated after seq 11, checkpoint cp2 expects 12' "$rc|$out"
cp good13 log
cp good13.state log.state
sed -i '13s/msg=more/msg=mORE/' log
verify -p log.pub -c cp -c cp2 log
same 'the record after cp changed: only cp2 catches it' \
    '1|log:13: the chain head differs from the state'"'"'s: a record before it was changed' \
    "$rc|$out"
mv log.state away.state
verify -p log.pub -c cp -c cp2 log
same 'and without the state, at that record' \
    '1|log:13: the chain head differs from checkpoint cp2' "$rc|$out"
restore

# --- rotations -------------------------------------------------------------

mkdir r
cd r || exit 1
"$A" init -f log -o k0 >/dev/null
"$A" append -f log one
R1=$("$A" rotate -f log)
sleep 1
"$A" append -f log two
R2=$("$A" rotate -f log)
"$A" append -f log three
verify -k k0 "$R1" "$R2" log
same 'three files of a rotated log pass' '0|6 records, last seq 5' \
    "$rc|$out"
verify -k k0 "$R1" log
same 'a deleted middle file: broken rotation link' \
    "1|log:1: broken rotation link: it follows $R2 ending at seq 3, but the file before it ends at seq 1" \
    "$rc|$out"
verify -k k0 "$R2" "$R1" log
same 'files in the wrong order: broken link at the first' \
    "1|$R1:1: broken rotation link: no rotate record at the start of the file" \
    "$rc|$first"
cp "$R2" r2.save
sed -i '1d' "$R2"
verify -k k0 "$R1" "$R2" log
same 'a rotated file whose first record is gone' \
    "1|$R2:1: broken rotation link: no rotate record at the start of the file" \
    "$rc|$first"
cp r2.save "$R2"
verify -k k0 "$R2" log
same 'starting at a rotated file is fine' '0|4 records, last seq 5' \
    "$rc|$out"
sed -i '1s/prevseq=1/prevseq=0/' "$R2"
verify -k k0 "$R2" log
same 'its rotate record changed: bad MAC' "1|$R2:1: bad MAC" "$rc|$first"
cp r2.save "$R2"
cd .. || exit 1

# --- damage of every kind --------------------------------------------------

restore
printf 'garbage\n' >>log
verify log
same 'a line that is no record' '1|log:13: not a dkaudit1 record' "$rc|$first"
restore
sed -i '6s/ mac=/  mac=/' log
verify log
same 'two spaces' '1|log:6: an empty field' "$rc|$first"
restore
sed -i '6s/ ts=/ Ts=/' log
verify log
same 'a header key changed' '1|log:6: field 2 is not ts=' "$rc|$first"
restore
sed -i '6s/ msg=/ seq=/' log
verify log
same 'a header key repeated' '1|log:6: a bad key "seq"' "$rc|$first"
restore
sed -i '6s/ mac=\(.\)/ mac=X/' log
verify log
same 'a MAC that is not hex' \
    '1|log:6: mac is not 64 lower-case hex digits' "$rc|$first"
restore
sed -i '6s/seq=5/seq=05/' log
verify log
same 'a seq with a leading zero' '1|log:6: bad seq' "$rc|$first"
restore
printf 'dkaudit1 seq=12 ts=' >>log
verify log
same 'an incomplete last line beyond the state is a torn write, not a problem' \
    '0|log:13: an incomplete last line beyond the state: a torn write, which the next append records|12 records, last seq 11' \
    "$rc|$out"
mv log.state away.state
verify log
same 'without a state it is a problem' \
    '1|log:13: an incomplete last line (no newline)' "$rc|$out"
restore
: >log
verify log
same 'an empty log' '1|log: empty: no records' "$rc|$first"
restore
verify -k other/k0 log
same 'the key of another log' \
    '1|log:1: the key given is of another log (no MAC checked)' "$rc|$first"
printf 'dkaudit1-key zz\n' >badkey
status 'a malformed key file is an error' 1 "$A" verify -k badkey log
same 'saying so' 'auditlog: badkey: not a key file (dkaudit1-key ID KEY)' \
    "$(cat "$ERR")"
cut -d' ' -f2- k0 >badkey
verify -k - log <k0
same 'the key from stdin' '0|12 records, last seq 11' "$rc|$out"
