#!/bin/sh
# 040-pii-hash: pii-hash options, key and salt files, genkey, HMAC (RFC
# 4231) and salted hashes checked against python3, normalizations, actions.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"

plan 154

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

# like DESC PATTERN STRING: passes if STRING matches the case PATTERN.
like() {
	case $3 in
	$2) tap_result 1 "$1" ;;
	*) tap_result 0 "$1"; diag "want pattern:" "$2" "got:" "$3" ;;
	esac
}

# The HMAC pii-hash gives a value (one CSV field) under key, with NORM.
hm() { printf 'v\n%s\n' "$1" | "$PH" -k key "v:hmac:${2:-none}" | sed 1d; }

# The key of the tests: bytes 0 to 31.
printf '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n' >key
printf 'pepper' >salt
chmod 600 key salt

# --- usage -------------------------------------------------------------------

status '-h: exit 0' 0 "$PH" -h
like '-h: the synopsis on stdout' 'usage: pii-hash genkey*--ragged pass*' \
    "$(tr '\n' ' ' <"$OUT")"
mp=$(cd "$(dirname "$0")/.." && pwd)/man/pii-hash.1
if command -v mandoc >/dev/null 2>&1 && command -v col >/dev/null 2>&1 &&
    [ -f "$mp" ]; then
	man=$(mandoc -T ascii "$mp" | col -bx |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' |
	    tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//')
	use=$(sed 's/^usage: //' "$OUT" | tr -s ' \t\n' '   ' |
	    sed 's/^ //; s/ $//')
	same 'usage is the man page SYNOPSIS' "$man" "$use"
else
	skip 'usage is the man page SYNOPSIS' 'no mandoc, col or man page'
fi
status '-V: exit 0' 0 "$PH" -V
like '-V: name and version' 'pii-hash [0-9]*.[0-9]*' "$(cat "$OUT")"
status 'unknown option: exit 2' 2 "$PH" -x
like 'unknown option: named, then the usage' 'pii-hash: -x: unknown option*usage: *' \
    "$(tr '\n' ' ' <"$ERR")"
status 'unknown long option: exit 2' 2 "$PH" --bogus
status '-F xml: exit 2' 2 "$PH" -F xml
like '-F xml: the formats named' '*csv, tsv or jsonl*' "$(cat "$ERR")"
status '-l 15: exit 2' 2 "$PH" -k key -l 15 a
status '-l 65: exit 2' 2 "$PH" -k key -l 65 a
status '-l x: exit 2' 2 "$PH" -k key -l x a
like '-l: the range named' '*16 to 64*' "$(cat "$ERR")"
status '--ragged keep: exit 2' 2 "$PH" --ragged keep
status '--ragged without argument: exit 2' 2 "$PH" --ragged
status '-k and -s together: exit 2' 2 "$PH" -k key -s salt a
status 'a column without ACTION and no key: exit 2' 2 "$PH" email
status 'hmac without -k: exit 2' 2 "$PH" -s salt email:hmac
status 'salted without -s: exit 2' 2 "$PH" -k key email:salted
status 'a NORM on redact: exit 2' 2 "$PH" email:redact:email
status 'an empty column name: exit 2' 2 "$PH" :redact
status '#0: exit 2' 2 "$PH" '#0:redact'
status '#99999999: exit 2' 2 "$PH" '#99999999:redact'
status '-N with a name: exit 2' 2 "$PH" -N email:redact
status '-F jsonl with #N: exit 2' 2 "$PH" -F jsonl '#1:redact'
status '-F jsonl with -N: exit 2' 2 "$PH" -F jsonl -N a:redact
status '-F jsonl with --ragged: exit 2' 2 "$PH" -F jsonl --ragged pass a:redact
printf 'id,email,ip\n1,a@b,10.0.0.1\n' >t.csv
status 'unknown column: exit 2' 2 "$PH" -k key phone <t.csv
same 'unknown column: the header names listed' \
    'pii-hash: phone: no such column; the header has: id, email, ip' \
    "$(cat "$ERR")"
same 'unknown column: nothing written' '' "$(cat "$OUT")"
status 'a mistyped ACTION is an unknown column: exit 2' 2 "$PH" -k key email:hamc <t.csv
status '#4 of 3 columns: exit 2' 2 "$PH" '#4:redact' <t.csv
status 'a column selected twice: exit 2' 2 "$PH" email:redact '#2:mask' <t.csv
like 'a column selected twice: both named' "*#2:mask: column 2 is selected by email:redact already*" \
    "$(cat "$ERR")"

# --- genkey ------------------------------------------------------------------

status 'genkey -o: exit 0' 0 "$PH" genkey -o k1
same 'genkey -o: mode 0600' 600 "$(mode_of k1)"
like 'genkey -o: 64 hex digits and a newline' \
    '[0-9a-f][0-9a-f][0-9a-f][0-9a-f]*' "$(cat k1)"
same 'genkey -o: 65 bytes' 65 "$(wc -c <k1 | tr -d ' ')"
same 'genkey -o: only hex digits' '' "$(tr -d '0-9a-f\n' <k1)"
run "$PH" genkey -o k2
[ "$(cat k1)" != "$(cat k2)" ]; tap_result $((1 - $?)) 'genkey: two keys differ'
cp k1 k1.before
status 'genkey -o over an existing file: exit 1' 1 "$PH" genkey -o k1
like 'genkey -o over an existing file: refused' '*k1: exists; refusing to overwrite*' "$(cat "$ERR")"
cmp -s k1 k1.before; tap_result $((1 - $?)) 'genkey -o over an existing file: it is unchanged'
ln -s nowhere dangling
status 'genkey -o over a dangling symlink: exit 1' 1 "$PH" genkey -o dangling
[ ! -e nowhere ]; tap_result $((1 - $?)) 'genkey -o over a dangling symlink: nothing made there'
status 'genkey to stdout: exit 0' 0 "$PH" genkey
[ "$(tr -d '\n' <"$OUT" | wc -c)" -eq 64 ] && [ -z "$(tr -d '0-9a-f\n' <"$OUT")" ]
tap_result $((1 - $?)) 'genkey to stdout: 64 hex digits'
[ "$(cat "$OUT")" != "$(cat k1)" ]
tap_result $((1 - $?)) 'genkey to stdout: another key again'
status 'genkey -o in a missing directory: exit 1' 1 "$PH" genkey -o no/such/k
status 'genkey with an operand: exit 2' 2 "$PH" genkey extra
status 'genkey -x: exit 2' 2 "$PH" genkey -x
same 'genkey: no temporary file left' 'dangling k1 k1.before k2 key salt t.csv' \
    "$(LC_ALL=C ls -A | tr '\n' ' ' | sed 's/ $//')"
status 'a genkey key works with -k' 0 "$PH" -k k1 id <t.csv
AUDITLOG=$T/no.log status 'genkey with an AUDITLOG not made: exit 1' 1 \
    "$PH" genkey -o k3
[ ! -e k3 ]; tap_result $((1 - $?)) 'genkey with an AUDITLOG not made: no key'
if [ -x "$BIN/auditlog" ] && "$BIN/auditlog" init -f "$T/a.log" >/dev/null 2>&1
then
	AUDITLOG=$T/a.log status 'genkey with AUDITLOG: exit 0' 0 "$PH" genkey -o k3
	like 'genkey with AUDITLOG: one record, the key file named, not the key' \
	    "* prog=pii-hash type=genkey path=$T/k3 mac=*" "$(tail -1 a.log)"
	rm -f a.log*
else
	skip 'genkey with AUDITLOG: exit 0' 'no auditlog program'
	skip 'genkey with AUDITLOG: one record' 'no auditlog program'
fi
rm -f k3

# --- key and salt files ---------------------------------------------------

for m in 644 640 604 620 602; do
	cp key weak; chmod $m weak
	status "key file mode 0$m: exit 2" 2 "$PH" -k weak id <t.csv
done
like 'weak key file: says how to fix it' '*weak: group or others can*(mode 0602)*chmod 600 weak*' \
    "$(cat "$ERR")"
cp key ro; chmod 400 ro
status 'key file mode 0400: accepted' 0 "$PH" -k ro id <t.csv
cp salt weaks; chmod 644 weaks
status 'salt file mode 0644: exit 2' 2 "$PH" -s weaks id <t.csv
like 'weak salt file: says how to fix it' '*weaks: group or others can read it (mode 0644)*chmod 600 weaks*' \
    "$(cat "$ERR")"
status 'missing key file: exit 2' 2 "$PH" -k nokey id <t.csv
like 'missing key file: named' '*nokey: No such file or directory*' "$(cat "$ERR")"
mkdir kdir; chmod 700 kdir
status 'key file a directory: exit 2' 2 "$PH" -k kdir id <t.csv
printf '000102030405060708090a0b0c0d0e\n' >short; chmod 600 short
status 'key of 15 bytes: exit 2' 2 "$PH" -k short id <t.csv
like 'key of 15 bytes: too short' '*short: key of 15 bytes is too short*' "$(cat "$ERR")"
printf '000102030405060708090a0b0c0d0e0f\n' >k16; chmod 600 k16
status 'key of 16 bytes: accepted' 0 "$PH" -k k16 id <t.csv
printf '000102030405060708090a0b0c0d0e0fzz\n' >nothex; chmod 600 nothex
status 'key not hex: exit 2' 2 "$PH" -k nothex id <t.csv
printf '000102030405060708090a0b0c0d0e0f1\n' >odd; chmod 600 odd
status 'key of an odd number of digits: exit 2' 2 "$PH" -k odd id <t.csv
printf '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F\r\n' >kcrlf
chmod 600 kcrlf
same 'key in upper case, CRLF: the same key' "$(hm foo@example.com)" \
    "$(printf 'v\nfoo@example.com\n' | "$PH" -k kcrlf v | sed 1d)"
: >empty; chmod 600 empty
status 'empty salt: exit 2' 2 "$PH" -s empty id <t.csv

# --- HMAC: RFC 4231 through key files (the cases with keys of 16 bytes or
# more; case 5 truncated by -l 32), and case 2's 4-byte key refused --------

rfc() {	# rfc DESC KEYHEX -l DATA(printf) WANT
	printf '%s\n' "$2" >rk; chmod 600 rk
	printf "$4" >rd
	got=$(printf '\n' | cat rd - | "$PH" -N -k rk -l "$3" '#1:hmac')
	same "$1" "$5" "$got"
}
k0b=$(printf '%040d' 0 | sed 's/00/0b/g')
kaa=$(printf '%040d' 0 | sed 's/00/aa/g')
rfc 'RFC 4231 case 1' "$k0b" 64 'Hi There' \
    b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7
rfc 'RFC 4231 case 3' "$kaa" 64 "$(printf '%050d' 0 | sed 's/0/\\335/g')" \
    773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe
rfc 'RFC 4231 case 4' 0102030405060708090a0b0c0d0e0f10111213141516171819 64 \
    "$(printf '%050d' 0 | sed 's/0/\\315/g')" \
    82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b
rfc 'RFC 4231 case 5 (-l 32)' "$(printf '%040d' 0 | sed 's/00/0c/g')" 32 \
    'Test With Truncation' a3b6167473100ee06e0c796c2955552b
kaa131=$(printf '%0262d' 0 | sed 's/00/aa/g')
rfc 'RFC 4231 case 6' "$kaa131" 64 \
    'Test Using Larger Than Block-Size Key - Hash Key First' \
    60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54
rfc 'RFC 4231 case 7' "$kaa131" 64 \
    'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.' \
    9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2
printf '4a656665\n' >jefe; chmod 600 jefe
status 'RFC 4231 case 2: its 4-byte key is refused' 2 "$PH" -k jefe id <t.csv
same '-l 16: the first 16 digits' "$(hm foo@example.com | cut -c1-16)" \
    "$(printf 'v\nfoo@example.com\n' | "$PH" -k key -l 16 v | sed 1d)"
same 'hmac of foo@example.com (computed by python3 once)' \
    0f46a103f659e8f1efbe2ff927d3179f917047f09807c25aee6d63b915201ef6 \
    "$(hm foo@example.com)"
same 'the default action with -k is hmac' "$(hm foo@example.com)" \
    "$(printf 'v\nfoo@example.com\n' | "$PH" -k key v | sed 1d)"
same 'the default action with -s is salted' \
    8156ac9ecfe234feffc9d8dbfe5ae9005010ce711bce04de5160af8dc131337f \
    "$(printf 'v\nfoo@example.com\n' | "$PH" -s salt v | sed 1d)"

# --- a second implementation: python3's hmac and hashlib ------------------

# Values of every kind, one per line: ASCII, UTF-8, long, with blanks.
{
	printf 'foo@example.com\n Mixed.Case@Example.ORG \nJos\303\251 M\303\274ller\n'
	printf '+1 (555) 010-9999\n10.0.0.1\n2001:db8::1\n'
	printf 'x%.0s' $(seq 1 70); printf '\n'
	printf 'y%.0s' $(seq 1 300); printf '\n'
	i=0
	while [ $i -lt 300 ]; do
		printf 'user%d@example.com\n' $i
		i=$((i + 1))
	done
} >values
if command -v python3 >/dev/null 2>&1; then
	cat >hm.py <<'EOF'
import hashlib, hmac, sys
key = bytes(range(32))
for line in sys.stdin.buffer.read().split(b'\n')[:-1]:
    if sys.argv[1] == 'email':
        line = line.strip(b' \t\r\n\v\f').lower()
    print(hmac.new(key, line, hashlib.sha256).hexdigest() if line else '')
EOF
	cat >salted.py <<'EOF'
import hashlib, sys
salt = sys.argv[2].encode()
for line in sys.stdin.buffer.read().split(b'\n')[:-1]:
    if sys.argv[1] == 'email':
        line = line.strip(b' \t\r\n\v\f').lower()
    print(hashlib.sha256(line + salt).hexdigest() if line else '')
EOF
	for norm in none email; do
		(printf 'v\n'; cat values) | "$PH" -k key "v:hmac:$norm" | sed 1d >ours
		python3 hm.py "$norm" <values >theirs
		cmp -s ours theirs
		tap_result $((1 - $?)) "hmac, NORM $norm: as python3 hmac computes it ($(wc -l <ours | tr -d ' ') values)"
		(printf 'v\n'; cat values) | "$PH" -s salt "v:salted:$norm" | sed 1d >ours
		python3 salted.py "$norm" pepper <values >theirs
		cmp -s ours theirs
		tap_result $((1 - $?)) "salted, NORM $norm: as python3 hashlib computes it"
	done
	# A salt of one byte short of a block, and one longer than a block.
	for n in 54 70; do
		printf 's%.0s' $(seq 1 $n) >lsalt; chmod 600 lsalt
		(printf 'v\n'; cat values) | "$PH" -s lsalt v | sed 1d >ours
		python3 salted.py none "$(cat lsalt)" <values >theirs
		cmp -s ours theirs
		tap_result $((1 - $?)) "salted with a salt of $n bytes: as python3 computes it"
	done
else
	for i in 1 2 3 4 5 6; do
		skip "hashes against python3 ($i)" 'python3 not installed'
	done
fi
printf 's\n\n' >nl2; chmod 600 nl2
printf 's\n' >nl1; chmod 600 nl1
printf 's' >nl0; chmod 600 nl0
same 'salt file: one trailing newline is not part of the salt' \
    "$(printf 'v\nx\n' | "$PH" -s nl0 v)" "$(printf 'v\nx\n' | "$PH" -s nl1 v)"
[ "$(printf 'v\nx\n' | "$PH" -s nl1 v)" != "$(printf 'v\nx\n' | "$PH" -s nl2 v)" ]
tap_result $((1 - $?)) 'salt file: a second newline is'

# --- normalizations: the hash of a value normalized is the hash of what it
# should become -------------------------------------------------------------

norm() {	# norm NORM VALUE CANONICAL
	same "$1: '$2' is '$3'" "$(hm "$3")" "$(hm "$2" "$1")"
}
norm email ' Foo.Bar@Example.COM ' foo.bar@example.com
norm email "$(printf '\tMiXeD@Example.Org \t')" mixed@example.org
norm email 'JOS@EXAMPLE.com' jos@example.com
norm trim '  a b  ' 'a b'
norm trim 'x' 'x'
norm lower 'ABC def' 'abc def'
norm lower "$(printf '\303\204BC')" "$(printf '\303\204bc')"
norm digits '+1 (555) 010-9999' 15550109999
norm digits '0049 30 1234' 0049301234
norm ip '192.0.2.1' 192.0.2.1
norm ip ' 10.0.0.1 ' 10.0.0.1
norm ip '192.168.001.010' 192.168.1.10
norm ip '2001:0db8:0000:0000:0000:0000:0000:0001' 2001:db8::1
norm ip '2001:DB8::A' 2001:db8::a
norm ip '2001:db8:0:0:1:0:0:1' 2001:db8::1:0:0:1
norm ip '2001:0:0:1:0:0:0:1' 2001:0:0:1::1
norm ip '2001:db8:0:1:1:1:1:1' 2001:db8:0:1:1:1:1:1
norm ip '1:2:3:4:5:6:7::' 1:2:3:4:5:6:7:0
norm ip '0:0:0:0:0:0:0:0' ::
norm ip '0:0:0:0:0:0:0:1' ::1
norm ip '1:0:0:0:0:0:0:0' 1::
norm ip 'fe80:0:0:0:200:5efe:c000:201' fe80::200:5efe:c000:201
norm ip '::ffff:192.0.2.1' 192.0.2.1
norm ip '::FFFF:C000:0201' 192.0.2.1
norm ip '::192.0.2.1' ::c000:201
norm ip '64:ff9b::192.0.2.33' 64:ff9b::c000:221
for bad in 256.1.1.1 1.2.3 1.2.3.4.5 1.2.3.4/24 1234.1.1.1 'fe80::1%eth0' \
    '[::1]' 1::2::3 ::: 1:2:3:4:5:6:7:8:9 1::2:3:4:5:6:7:8 12345:: \
    localhost 1:2:3:4:5:6:1.2.3.4.5; do
	printf 'id,ip\n1,10.0.0.1\n2,%s\n3,10.0.0.3\n' "$bad" >bad.csv
	"$PH" -k key ip::ip <bad.csv >bad.out 2>bad.err
	rc=$?
	if [ $rc -eq 1 ] && [ "$(wc -l <bad.out | tr -d ' ')" = 2 ] &&
	    [ "$(cat bad.err)" = 'pii-hash: stdin: line 3: ip: not an IP address' ]
	then
		tap_result 1 "ip: '$bad' is not an address: exit 1 at its row"
	else
		tap_result 0 "ip: '$bad' is not an address: exit 1 at its row"
		diag "exit $rc" "$(cat bad.err)"
	fi
done
filter 'ip: a blank value is empty, not an error' 0 'ip\n  \n' 'ip\n\n' -k key ip::ip
filter 'digits: no digit at all is empty' 0 'p\nn/a\n' 'p\n\n' -k key p::digits
filter 'email: blanks only is empty' 0 'e\n" \t"\n' 'e\n\n' -k key e::email
filter 'empty values stay empty, quoted or not' 0 'a,b,c,d\n,"",,""\n' \
    'a,b,c,d\n,"",,""\n' -k key a b:mask c:redact d:hmac:email

# --- actions -----------------------------------------------------------------

filter 'mask: all but the last 4' 0 'c\n4111111111111111\n' \
    'c\n************1111\n' c:mask
filter 'mask: 4 characters or fewer stay' 0 'c\nabcd\nab\n' 'c\nabcd\nab\n' c:mask
filter 'mask: UTF-8 characters counted as one' 0 \
    'n\nJos\303\251 M\303\274ller\nM\303\274ller\n' \
    'n\n*******ller\n**ller\n' n:mask
filter 'mask: each byte of invalid UTF-8 is one' 0 'n\n\377\376abcd\n' \
    'n\n**abcd\n' n:mask
filter 'mask: quoted when the kept part needs it' 0 'n\n"abc,d,e"\n"ab""cd"\n' \
    'n\n"***,d,e"\n"*b""cd"\n' n:mask
filter 'mask with NORM digits' 0 'p\n+1 (555) 010-9999\n' 'p\n*******9999\n' \
    p:mask:digits
filter 'mask with NORM ip' 0 'ip\n2001:db8:0:0:0:0:0:1\n' 'ip\n*******8::1\n' \
    ip:mask:ip
filter 'redact' 0 'a,b\n1,secret\n' 'a,b\n1,REDACTED\n' b:redact
filter 'drop the first column' 0 'a,b,c\n1,2,3\n' 'b,c\n2,3\n' a:drop
filter 'drop a middle column' 0 'a,b,c\n1,2,3\n' 'a,c\n1,3\n' b:drop
filter 'drop the last column' 0 'a,b,c\n1,2,3\r\n' 'a,b\n1,2\r\n' c:drop
filter 'drop two neighbours' 0 'a,b,c,d\n1,"2,x",3,4\n' 'a,d\n1,4\n' b:drop c:drop
filter 'drop every column' 0 'a,b\n1,2\n' '\n\n' a:drop b:drop
filter 'hmac, mask, redact and drop together' 0 \
    'id,email,name,note\n7, Foo@Example.com ,Ann Lee,"x, y"\n' \
    'email,name,note\n0f46a103f659e8f1,*** Lee,REDACTED\n' \
    -k key -l 16 email:hmac:email name:mask note:redact id:drop
