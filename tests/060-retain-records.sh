#!/bin/sh
# 060-retain-records: retain records on CSV, TSV and JSON Lines: records
# kept byte for byte, the header passed through, unparseable timestamps
# kept and reported.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"
. "$TESTS/retain.sh"

plan 33

rec() { "$R" records --now "$NOWS" "$@"; }

# --- usage ----------------------------------------------------------------------

status 'records without -k is a usage error' 2 "$R" records --older-than 1d
status 'records without --older-than is a usage error' 2 "$R" records -k ts
status 'an unknown format' 2 "$R" records -F xml -k ts --older-than 1d
same 'is named' 'retain: -F: xml: want csv, tsv or jsonl' "$(cat "$ERR")"
status 'a bad age' 2 "$R" records -k ts --older-than 1fortnight
status 'an operand' 2 "$R" records -k ts --older-than 1d file.csv
status '#0 is no position' 2 "$R" records -k '#0' --older-than 1d
status 'JSON Lines members have names, not positions' 2 \
    "$R" records -F jsonl -k '#1' --older-than 1d
status '-N needs a position' 2 "$R" records -N -k ts --older-than 1d
status '-h' 0 "$R" records -h
same 'prints the records usage on stdout' \
    'usage: retain records [--now TIME] [-F csv|tsv|jsonl] [-N] -k FIELD' \
    "$(sed -n 1p "$OUT")"

# --- CSV ------------------------------------------------------------------------------

# The cutoff for 90d before NOW is 2025-05-20T12:00:00Z.
printf '\357\273\277id,"ts",note\r\n' >in.csv
printf '1,2025-05-20T11:59:59Z,old by a second\r\n' >>in.csv
printf '2,2025-05-20T12:00:00Z,exactly 90 days\r\n' >>in.csv
printf '3,2025-05-20 14:00:00,"quoted, with\na newline"\r\n' >>in.csv
printf '4,"2025-01-01T00:00:00+01:00",old\r\n' >>in.csv
printf '5,1755518400,epoch now\r\n' >>in.csv
printf '6,yesterday,bad\r\n' >>in.csv
printf '7\r\n' >>in.csv
printf '8,2025-08-18T12:00:00.5Z,"say ""hi"""' >>in.csv
printf '\357\273\277id,"ts",note\r\n' >want.csv
printf '2,2025-05-20T12:00:00Z,exactly 90 days\r\n' >>want.csv
printf '3,2025-05-20 14:00:00,"quoted, with\na newline"\r\n' >>want.csv
printf '5,1755518400,epoch now\r\n' >>want.csv
printf '6,yesterday,bad\r\n' >>want.csv
printf '7\r\n' >>want.csv
printf '8,2025-08-18T12:00:00.5Z,"say ""hi"""' >>want.csv
rec -k ts --older-than 90d <in.csv >out.csv 2>err
same 'a CSV with unparseable timestamps exits 1' 1 "$?"
ok 'the kept records and the header (BOM, quotes, CRLF) are byte for byte' \
    cmp want.csv out.csv
same 'each unparseable timestamp is reported with its line, kept' \
    'retain: stdin: line 8: ts: unparseable timestamp "yesterday"; kept
retain: stdin: line 9: ts: no such field in this record; kept' "$(cat err)"
rec -k '#2' --older-than 90d <in.csv >out2.csv 2>/dev/null
ok 'a field by position does the same' cmp want.csv out2.csv
tail -n +2 in.csv | rec -N -k '#2' --older-than 90d >out3.csv 2>/dev/null
tail -n +2 want.csv >want3.csv
ok '-N: no header, every line a record' cmp want3.csv out3.csv
printf 'id,ts\n1,2020-01-01\n2,2025-08-01\n' | rec -k ts --older-than 90d \
    >out4.csv 2>err
same 'all parseable: exit 0, old records gone' "0|id,ts
2,2025-08-01|" "$?|$(cat out4.csv)|$(cat err)"
status 'a field not in the header is a usage error' 2 sh -c \
    "printf 'id,ts\n' | '$R' records -k when --older-than 1d"
same 'naming it' 'retain: -k: when: no such field in the header' \
    "$(cat "$ERR")"
status 'a field twice in the header is a usage error' 2 sh -c \
    "printf 'ts,ts\n' | '$R' records -k ts --older-than 1d"
printf 'id,ts\n1,2025-08-01\n2,"bad"quote\n3,2025-08-02\n' >syntax.csv
rec -k ts --older-than 90d <syntax.csv >out5.csv 2>err
same 'a CSV syntax error: exit 1, said with its line' \
    "1|retain: stdin: line 3: text after closing quote; the records after it are not written" \
    "$?|$(cat err)"
same 'what came before it is written' 'id,ts
1,2025-08-01' "$(cat out5.csv)"
: | rec -k ts --older-than 1d >out6 2>err
same 'empty input: empty output, exit 0' '0||' \
    "$?|$(cat out6)|$(cat err)"
printf 'id,ts\n' | rec -k ts --older-than 1d >out7 2>err
same 'a header alone passes' '0|id,ts' "$?|$(cat out7)"

# --- TSV --------------------------------------------------------------------------------

printf 'id\tts\tnote\n' >in.tsv
printf '1\t2024-12-31\t"quotes are plain"\n' >>in.tsv
printf '2\t2025-08-01T00:00:00Z\tkeep\n' >>in.tsv
printf '3\t\tempty\n' >>in.tsv
printf 'id\tts\tnote\n2\t2025-08-01T00:00:00Z\tkeep\n3\t\tempty\n' >want.tsv
rec -F tsv -k ts --older-than 30d <in.tsv >out.tsv 2>err
same 'TSV: exit 1 for the empty timestamp' 1 "$?"
ok 'quotes are plain text, records kept byte for byte' cmp want.tsv out.tsv
same 'the empty one reported' \
    'retain: stdin: line 4: ts: unparseable timestamp ""; kept' "$(cat err)"

# --- JSON Lines ------------------------------------------------------------------------

cat >in.jsonl <<'EOF'
{"ts":"2025-05-01T00:00:00Z","user":"a"}
{"user":"b","ts":"2025-08-01 10:00:00","nested":{"ts":"1999-01-01"}}
{"ts":1755000000}
{"ts":1000000000,"note":"old epoch"}

{"ts":"not a time"}
{"other":1}
not json at all
{"ts":"2025-08-10T00:00:00Z", "user":"\u00e9\"x"}
{"ts":"2025-01-01","ts":"2025-08-01"}
{"ts":null}
EOF
cat >want.jsonl <<'EOF'
{"user":"b","ts":"2025-08-01 10:00:00","nested":{"ts":"1999-01-01"}}
{"ts":1755000000}

{"ts":"not a time"}
{"other":1}
not json at all
{"ts":"2025-08-10T00:00:00Z", "user":"\u00e9\"x"}
{"ts":"2025-01-01","ts":"2025-08-01"}
{"ts":null}
EOF
rec -F jsonl -k ts --older-than 30d <in.jsonl >out.jsonl 2>err
same 'JSON Lines: exit 1 for the bad ones' 1 "$?"
ok 'only top-level members count; kept lines byte for byte' \
    cmp want.jsonl out.jsonl
same 'each problem is reported with its line' \
    'retain: stdin: line 6: ts: unparseable timestamp "not a time"; kept
retain: stdin: line 7: ts: no such member; kept
retain: stdin: line 8: ts: not a JSON object; kept
retain: stdin: line 10: ts: member given twice; kept
retain: stdin: line 11: ts: unparseable timestamp "null"; kept' "$(cat err)"
printf '{"ts":"2020-01-01"}\n{"ts":"2025-08-18"}' | rec -F jsonl -k ts \
    --older-than 1d >out2.jsonl 2>err
same 'a last line without a newline is kept as it is' \
    '0|{"ts":"2025-08-18"}|' "$?|$(cat out2.jsonl)|$(cat err)"
ok '(no newline added)' test "$(tail -c 1 out2.jsonl)" = '}'
printf '{"ts":"2020-01-01","x":"\\u0000"}\n' | rec -F jsonl -k ts \
    --older-than 1d >out3.jsonl 2>err
same 'escaped NULs elsewhere do not matter' '0|' "$?|$(cat out3.jsonl)"
