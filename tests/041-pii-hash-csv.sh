#!/bin/sh
# 041-pii-hash-csv: pii-hash on hostile CSV and TSV: exact outputs, byte for
# byte pass-through, errors that stop the output at the last good record,
# a 50 MB field, and a large input through the hashing thread.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"

plan 77

PH=$BIN/pii-hash

# filter DESC STATUS INPUT WANT ARGS...: INPUT and WANT are printf formats;
# passes if pii-hash ARGS, reading INPUT, exits STATUS and writes exactly
# WANT.
filter() {
	d=$1; want_rc=$2
	printf "$3" >in.dat
	printf "$4" >want.dat
	shift 4
	"$PH" "$@" <in.dat >got.dat 2>err.dat
	rc=$?
	if [ "$rc" -eq "$want_rc" ] && cmp -s want.dat got.dat; then
		tap_result 1 "$d"
	else
		tap_result 0 "$d"
		diag "exit $rc, want $want_rc: pii-hash $*" "want:" \
		    "$(od -An -c want.dat)" "got:" "$(od -An -c got.dat)"
		sed 's/^/# stderr: /' err.dat
	fi
}

# passes DESC INPUT [ARGS...]: pii-hash with no column copies INPUT (a
# printf format) exactly, and exits 0.
passes() {
	d=$1; printf "$2" >in.dat; shift 2
	"$PH" "$@" <in.dat >got.dat 2>err.dat
	rc=$?
	if [ $rc -eq 0 ] && cmp -s in.dat got.dat; then
		tap_result 1 "pass-through: $d"
	else
		tap_result 0 "pass-through: $d"
		diag "exit $rc" "in:" "$(od -An -c in.dat)" "out:" \
		    "$(od -An -c got.dat)"
		sed 's/^/# stderr: /' err.dat
	fi
}

# The message pii-hash gave last.
said() { same "$1" "$2" "$(cat err.dat)"; }

printf '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n' >key
chmod 600 key

# --- the hostile corpus: copied exactly, and exact when changed -------------

passes 'quoted commas' 'id,name,email\n1,"Lee, Ann","a@b,c"\n'
filter 'quoted commas: the selected field replaced, no other' 0 \
    'id,name,email\n1,"Lee, Ann","a@b,c"\n' \
    'id,name,email\n1,"Lee, Ann",REDACTED\n' email:redact
passes 'doubled quotes' 'id,q\n1,"say ""hi"""\n2,""""\n'
filter 'doubled quotes: decoded, masked, quoted again' 0 \
    'id,q\n1,"say ""hi"""\n' 'id,q\n1,"****""hi"""\n' q:mask
filter 'doubled quotes: the decoded value is hashed' 0 \
    'id,q\n1,"he said ""hi"""\n' \
    'id,q\n1,edd58624136fef968669d3945f77194ead175affd1df6f69d967323fceefa435\n' \
    -k key q
passes 'LF, CR and CRLF inside quotes' \
    'id,note,email\r\n1,"a\nb",x\r\n2,"c\rd",y\r\n3,"e\r\nf",z\r\n'
filter 'LF, CR and CRLF inside quotes: kept, line ends too' 0 \
    'id,note,email\r\n1,"a\nb",x\r\n2,"c\rd",y\r\n3,"e\r\nf",z\r\n' \
    'id,note,email\r\n1,"a\nb",REDACTED\r\n2,"c\rd",REDACTED\r\n3,"e\r\nf",REDACTED\r\n' \
    email:redact
passes 'CRLF line ends' 'a,b\r\n1,2\r\n'
passes 'mixed line ends' 'a,b\r\n1,2\n3,4\r\n'
passes 'no final newline' 'a,b\n1,2'
filter 'no final newline: still none' 0 'a,b\n1,2' 'a,b\n1,REDACTED' b:redact
passes 'a quoted last field and no final newline' 'a,b\n1,"2"'
passes 'BOM' '\357\273\277id,email\n1,x\n'
filter 'BOM: kept, and the first name found after it' 0 \
    '\357\273\277id,email\n1,x\n' '\357\273\277email\nx\n' id:drop
passes 'empty fields' 'a,b,c\n,,\n"","",""\n'
filter 'empty fields stay as they were' 0 'a,b,c\n,,\n"","",""\n' \
    'a,b,c\n,,\n"","",""\n' -k key a b:mask c:redact
passes 'duplicate header names' 'email,name,email\nx@y,n,z@w\n'
filter 'duplicate header names: each of them selected' 0 \
    'email,name,email\nx@y,n,z@w\n' 'email,name,email\nREDACTED,n,REDACTED\n' \
    email:redact
passes 'non-UTF-8 bytes' 'a,b\n\377\376,\377\n'
filter 'non-UTF-8 bytes: hashed as bytes' 0 'a,b\n\377\376,\377\n' \
    'a,b\ne5b5211e6f5bf203fa8328cfe672c61c7490bca56ed090c203624cfb86cb042e,\377\n' \
    -k key a
passes 'NUL bytes' 'a,b\na\000b,"\000"\n'
filter 'NUL bytes: hashed as bytes' 0 'a,b\na\000b,x\n' \
    'a,b\n09411d0a4c23be2bab6c6a23b29a6152e18896b5512023ba3ca5e05b3a7d4439,x\n' \
    -k key a
passes 'a lone CR in a field' 'a,b\nx\ry,z\n'
passes 'header only' 'a,b\n'
passes 'empty input' ''
filter 'masked value that needs quotes gets them' 0 'n\n"abc,d\ne"\n' \
    'n\n"***,d\ne"\n' n:mask
filter 'drop removes the field and one separator' 0 \
    'a,b,c\n"1,1","2\n2","3"\n' 'a,c\n"1,1","3"\n' b:drop

# --- ragged rows and malformed input: exit 1, output up to the last good
# record, the line named -------------------------------------------------------

filter 'a short row: exit 1, output stops before it' 1 \
    'a,b\n1,2\n3\n4,5\n' 'a,b\n1,REDACTED\n' b:redact
said 'a short row: the line and the counts' \
    'pii-hash: stdin: line 3: row has 1 field, header has 2'
filter 'a long row: exit 1' 1 'a,b\n1,2,3\n' 'a,b\n' b:redact
said 'a long row: the line and the counts' \
    'pii-hash: stdin: line 2: row has 3 fields, header has 2'
filter 'a short row without any column selected: still an error' 1 \
    'a,b\n1,2\n3\n' 'a,b\n1,2\n'
filter 'ragged rows counted in lines, not records' 1 \
    'a,b\n"x\ny",1\n2\n' 'a,b\n"x\ny",REDACTED\n' b:redact
said 'ragged rows counted in lines: line 4' \
    'pii-hash: stdin: line 4: row has 1 field, header has 2'
filter 'a blank line: a ragged row' 1 'a,b\n1,2\n\n3,4\n' 'a,b\n1,REDACTED\n' \
    b:redact
filter '--ragged pass: short, long and blank rows processed' 0 \
    'a,b\n1,2\n3\n4,5,6\n\n7,8' 'a,b\n1,REDACTED\n3\n4,REDACTED,6\n\n7,REDACTED' \
    --ragged pass b:redact
filter '--ragged pass: drop in short and long rows' 0 \
    'a,b,c\n1,2,3\n4\n5,6,7,8\n' 'a,c\n1,3\n4\n5,7,8\n' --ragged pass b:drop
filter 'unterminated quote: exit 1, output stops before its record' 1 \
    'a,b\n1,2\n3,"abc\ndef\n' 'a,b\n1,REDACTED\n' b:redact
said 'unterminated quote: the line where the field began' \
    'pii-hash: stdin: line 3: unterminated quoted field'
filter 'unterminated quote in the header' 1 '"a,b\n1,2\n' '' b:redact
filter 'a quote inside an unquoted field: exit 1' 1 'a,b\n1,2\n3,x"y\n' \
    'a,b\n1,REDACTED\n' b:redact
said 'a quote inside an unquoted field: said' \
    'pii-hash: stdin: line 3: quote in unquoted field'
filter 'text after a closing quote: exit 1' 1 'a,b\n1,"x"y\n' 'a,b\n' b:redact
said 'text after a closing quote: said' \
    'pii-hash: stdin: line 2: text after closing quote'

# --- no header (-N) ---------------------------------------------------------

filter '-N: positions, the first row is data' 0 '1,x@y\n2,z@w\n' \
    '1,REDACTED\n2,REDACTED\n' -N '#2:redact'
filter '-N: rows must be as wide as the first' 1 '1,x@y\n2\n' '1,REDACTED\n' \
    -N '#2:redact'
said '-N: the first row named' \
    'pii-hash: stdin: line 2: row has 1 field, first row has 2'
filter '#N with a header' 0 'a,b\n1,2\n' 'a,b\n1,REDACTED\n' '#2:redact'

# --- TSV ---------------------------------------------------------------------

passes 'TSV' 'id\temail\r\n1\t"x@y"\r\n2\t\r\n' -F tsv
filter 'TSV: replaced, line ends kept, empty stays' 0 \
    'id\temail\r\n1\tx@y\r\n2\t\r\n' 'id\temail\r\n1\tREDACTED\r\n2\t\r\n' \
    -F tsv email:redact
passes 'TSV: quotes and commas are data' 'a\tb\n"\t",x"y\n' -F tsv
filter 'TSV: a quote is hashed as part of the value' 0 \
    'q\n"he said ""hi"""\n' \
    'q\nedd58624136fef968669d3945f77194ead175affd1df6f69d967323fceefa435\n' \
    -k key q
filter 'TSV: drop' 0 'a\tb\tc\n1\t2\t3' 'a\tc\n1\t3' -F tsv b:drop
filter 'TSV: mask is never quoted' 0 'n\nab"c,de\n' 'n\n***c,de\n' -F tsv n:mask
passes 'TSV: BOM, no final newline' '\357\273\277a\tb\n1\t2' -F tsv
filter 'TSV: ragged row' 1 'a\tb\n1\n' 'a\tb\n' -F tsv b:redact
said 'TSV: ragged row said' \
    'pii-hash: stdin: line 2: row has 1 field, header has 2'

# --- failures of input and output -------------------------------------------

"$PH" <. >got.dat 2>err.dat
rc=$?
same 'stdin a directory: exit 1' 1 $rc
like() { case $3 in $2) tap_result 1 "$1" ;; *) tap_result 0 "$1"; diag "$3" ;; esac; }
like 'stdin a directory: said' '*read error: Is a directory*' "$(cat err.dat)"
if [ -w /dev/full ]; then
	printf 'a\n1\n' | "$PH" >/dev/full 2>err.dat
	same 'stdout full: exit 1' 1 $?
	same 'stdout full: said' 'pii-hash: stdout: No space left on device' \
	    "$(cat err.dat)"
else
	skip 'stdout full: exit 1' 'no /dev/full'
	skip 'stdout full: said' 'no /dev/full'
fi
awk 'BEGIN { for (i = 0; i < 65536; i++) printf ","; printf "\n" }' >wide.csv
"$PH" <wide.csv >got.dat 2>err.dat
same 'more than 65536 fields: exit 1' 1 $?
said 'more than 65536 fields: said' 'pii-hash: stdin: line 1: too many fields'

# --- a 50 MB field ---------------------------------------------------------

head -c 25000000 /dev/zero | tr '\0' 'x' >half
{
	printf 'id,big,email\n1,"'
	cat half; printf '""'; cat half
	printf '",a@b\r\n2,small,c@d\r\n'
} >big.csv
{
	printf 'id,big,email\n1,"'
	cat half; printf '""'; cat half
	printf '",REDACTED\r\n2,small,REDACTED\r\n'
} >big.want
"$PH" <big.csv >big.out 2>err.dat
cmp -s big.csv big.out; tap_result $((1 - $?)) 'a 50 MB field: passed through exactly'
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f %M -o rss "$PH" email:redact <big.csv >big.out 2>err.dat
	cmp -s big.want big.out; tap_result $((1 - $?)) 'a 50 MB field: the next field replaced'
	rss=$(tail -1 rss)
	[ "$rss" -lt 262144 ]
	tap_result $((1 - $?)) "a 50 MB field: peak memory $((rss / 1024)) MiB, under 256 MiB"
else
	"$PH" email:redact <big.csv >big.out 2>err.dat
	cmp -s big.want big.out; tap_result $((1 - $?)) 'a 50 MB field: the next field replaced'
	skip 'a 50 MB field: peak memory' 'no /usr/bin/time'
fi
{ printf 'big\n'; cat half half; printf '\n'; } >bigv.csv
"$PH" -k key big <bigv.csv >big.out 2>err.dat
same 'a 50 MB field hashed: exit 0' 0 $?
if command -v python3 >/dev/null 2>&1; then
	want=$(python3 -c 'import hashlib, hmac
print(hmac.new(bytes(range(32)), b"x" * 50000000, hashlib.sha256).hexdigest())')
	same 'a 50 MB field hashed: as python3 computes it' "big
$want" "$(cat big.out)"
else
	skip 'a 50 MB field hashed: as python3 computes it' 'python3 not installed'
fi
rm -f half big.csv big.want big.out bigv.csv

# --- many records: batches and the hashing thread keep order ----------------

awk 'BEGIN {
	print "id,email,ip,name"
	for (i = 1; i <= 200000; i++)
		printf "%d,User%d@Example.com,10.%d.%d.%d,\"Name, %d\"\n", i, i,
		    i % 256, int(i / 256) % 256, i % 7, i
}' >many.csv
"$PH" -k key email:hmac:email ip::ip name:mask <many.csv >many.out 2>err.dat
same 'many records: exit 0' 0 $?
same 'many records: every record out' 200001 "$(wc -l <many.out | tr -d ' ')"
if command -v python3 >/dev/null 2>&1; then
	cat >many.py <<'EOF'
import csv, hashlib, hmac, sys
key = bytes(range(32))
h = lambda v: hmac.new(key, v.encode(), hashlib.sha256).hexdigest()
r = csv.reader(open(sys.argv[1], newline=''))
w = sys.stdout
w.write(','.join(next(r)) + '\n')
for row in r:
    name = '*' * (len(row[3]) - 4) + row[3][-4:]
    if ',' in name:
        name = '"' + name + '"'
    w.write('%s,%s,%s,%s\n' % (row[0], h(row[1].strip().lower()), h(row[2]), name))
EOF
	python3 many.py many.csv >many.py.out
	cmp -s many.out many.py.out
	tap_result $((1 - $?)) 'many records: as a python3 csv+hmac script computes them'
else
	skip 'many records: as a python3 csv+hmac script computes them' 'python3 not installed'
fi
awk 'NR == 150001 { print "150000,bad"; next } { print }' many.csv >ragged.csv
"$PH" -k key email:hmac:email ip::ip name:mask <ragged.csv >ragged.out 2>err.dat
same 'a ragged row deep in a large input: exit 1' 1 $?
head -n 150000 many.out >many.head
cmp -s many.head ragged.out
tap_result $((1 - $?)) 'a ragged row deep in a large input: exactly the records before it'
awk 'NR == 100001 { sub(/10\.[0-9.]*/, "10.1.2.300") } { print }' many.csv >badip.csv
"$PH" -k key email:hmac:email ip::ip name:mask <badip.csv >badip.out 2>err.dat
same 'a bad address deep in a large input: exit 1' 1 $?
said 'a bad address deep in a large input: its line' \
    'pii-hash: stdin: line 100001: ip: not an IP address'
head -n 100000 many.out >many.head
cmp -s many.head badip.out
tap_result $((1 - $?)) 'a bad address deep in a large input: exactly the records before it'
"$PH" <many.csv >many.out 2>err.dat
cmp -s many.csv many.out; tap_result $((1 - $?)) 'many records: pass-through exact'
