#!/bin/sh
# 050-auditlog-programs: the other programs append one record per change
# to AUDITLOG, and change nothing when they cannot.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"
. "$TESTS/auditlog.sh"

plan 18

SB=$BIN/snapback
SR=$BIN/snaprotate
af() { field "$1" "${2:-}" audit.log; }

echo v1 >db.sqlite
AUDITLOG=$P/audit.log
export AUDITLOG

status 'snapback create with an AUDITLOG that is no log fails' 1 \
    "$SB" create -d backups db.sqlite
same 'saying so, before changing anything' \
    "snapback: $P/audit.log: No such file or directory; nothing changed" \
    "$(cat "$ERR")"
ok 'no backup directory is made' test ! -e backups
status 'a dry run opens no log' 0 "$SB" create -n -d backups db.sqlite
status 'list and verify need no log' 0 sh -c \
    "'$SB' list -d backups 2>/dev/null; '$SB' verify -d nothing 2>/dev/null; [ \$? -ne 0 ]"

"$A" init -o k0 >/dev/null
status 'snapback create' 0 "$SB" create -d backups db.sqlite
S1=$(basename "$(cat "$OUT")")
same 'appends a snapshot record: name, source, directory' \
    "snapshot|$S1|$P/db.sqlite|$P/backups|snapback" \
    "$(af type)|$(af name)|$(af source | decode)|$(af dir | decode)|$(af prog)"
sleep 1
echo v2 >db.sqlite
status 'snapback restore' 0 "$SB" restore -d backups "$S1"
S2=$(basename "$(cat "$OUT")")
same 'appends the safety snapshot, then the restore' \
    "snapshot $S2|restore $P/db.sqlite $S1" \
    "$(af type 3) $(af name 3)|$(af type) $(af target | decode) $(af name)"
same 'the file is restored' v1 "$(cat db.sqlite)"

status 'snaprotate' 0 "$SR" -d backups --keep-last 1
same 'appends one record per removal' "remove|$S1|$P/backups|snaprotate" \
    "$(af type)|$(af name)|$(af dir | decode)|$(af prog)"
same 'four records after init' 5 "$(nrec audit.log)"
status 'the log verifies' 0 "$A" verify -k k0
same 'with every record' '5 records, last seq 4' "$(cat "$OUT")"

# A log whose state no longer matches: nothing is changed.
cp audit.log.state state.save
stset seq 9 audit.log.state
echo v3 >db.sqlite
status 'snapback with a log that does not continue its state fails' 1 \
    "$SB" create -d backups db.sqlite
like 'saying so' \
    "snapback: $P/audit.log: does not continue its state *; nothing changed" \
    "$(cat "$ERR")"
same 'and makes no snapshot' 1 "$(ls backups | grep -c '^db_.*sqlite$')"
