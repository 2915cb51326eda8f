#!/bin/sh
# 090-hardening: what fuzzing found in the programs (issue 10), each
# fixed; the seeds that found them are in tests/corpus and replayed too.
# SPDX-License-Identifier: ISC
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/tap.sh"

plan 15

P=$BIN/pii-hash
# Bytes as od shows them, on one line.
bytes() { od -An -c | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'; }

# --- pii-hash: as many records out as in ------------------------------------

printf 'x\ny' >in
status 'pii-hash: a last record without a line end, its field dropped' 0 \
    "$P" -N '#1:drop' <in
same 'stays a record: an empty quoted field' '\n " "' "$(bytes <"$OUT")"
status 'the same in TSV' 0 "$P" -F tsv -N '#1:drop' <in
same 'stays a record: an empty line' '\n \n' "$(bytes <"$OUT")"
printf '\357\273\277x' >in
status 'the same after a byte order mark' 0 "$P" -F tsv -N '#1:drop' <in
same 'the mark, then the record' '357 273 277 \n' "$(bytes <"$OUT")"

# A field ending with CR, followed by one dropped: the LF must not join
# the CR into a CRLF, which would take the CR out of the field.
printf 'a\r,b\nc,d\n' >in
status 'pii-hash: a field ending with CR before a dropped field' 0 \
    "$P" -N '#2:drop' <in
same 'keeps its CR: the line ends with CRLF' 'a \r \r \n c \n' \
    "$(bytes <"$OUT")"

# The output must not begin with what a reader takes for a byte order
# mark, when it is the start of a field.
printf 'a,\357\273\277b\n' >in
status 'pii-hash: a field starting with U+FEFF comes first' 0 \
    "$P" -N '#1:drop' <in
same 'a mark is put before it, so that it stays data' \
    '357 273 277 357 273 277 b \n' "$(bytes <"$OUT")"

# --- auditlog verify: a rotate record without its link ----------------------

A=$BIN/auditlog
run "$A" init -f log && run "$A" append -f log one && run "$A" rotate -f log &&
run "$A" append -f log two
ok 'auditlog: a rotated log verifies' "$A" verify log
# prevhead made unreadable: the chain head could not be checked against
# the state any more, so any record but the last could be changed.
sed '1s/prevhead=\([0-9a-f]\)/prevhead=z/' log >log.new && mv log.new log
status 'verify of it alone, no key: a rotate record without prevhead fails' \
    1 "$A" verify log
like 'and says so' \
    '*log:1: a rotate record without a readable prevmac and prevhead*' \
    "$(cat "$OUT")"

# --- snaprotate --pattern: digits that only look like a date ----------------

mkdir pat
for n in log-1700000000-20240101.gz log-1700000000-20240102.gz \
    log-1700000000-20240103.gz; do
	: >"pat/$n"
done
status 'snaprotate --pattern with digits before the date' 0 \
    "$BIN/snaprotate" -n -d pat --pattern '*-%Y%m%d*' --keep-last 1
same 'reads the date after them' \
    "remove log-1700000000-20240101.gz
remove log-1700000000-20240102.gz
keep log-1700000000-20240103.gz last#1,newest
total keep 1 remove 2" \
    "$(cut -f 1-3 "$OUT" | sed 's/\t[0-9]*$//' | tr '\t' ' ')"
