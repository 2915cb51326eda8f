#!/bin/sh
# 042-pii-hash-jsonl: pii-hash -F jsonl: only the selected top-level members
# change, everything else in the line is kept; strict JSON; errors name
# the line and stop the output before it.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"

plan 68

PH=$BIN/pii-hash

# filter DESC STATUS INPUT WANT ARGS...: INPUT and WANT are printf formats;
# passes if pii-hash -F jsonl ARGS, reading INPUT, exits STATUS and writes
# exactly WANT.
filter() {
	d=$1; want_rc=$2
	printf "$3" >in.dat
	printf "$4" >want.dat
	shift 4
	"$PH" -F jsonl "$@" <in.dat >got.dat 2>err.dat
	rc=$?
	if [ "$rc" -eq "$want_rc" ] && cmp -s want.dat got.dat; then
		tap_result 1 "$d"
	else
		tap_result 0 "$d"
		diag "exit $rc, want $want_rc: pii-hash -F jsonl $*" "want:" \
		    "$(od -An -c want.dat)" "got:" "$(od -An -c got.dat)"
		sed 's/^/# stderr: /' err.dat
	fi
}

said() { same "$1" "$2" "$(cat err.dat)"; }

printf '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n' >key
chmod 600 key
H_FOO=0f46a103f659e8f1efbe2ff927d3179f917047f09807c25aee6d63b915201ef6
H_JOSE=67bd19b8d029817ea29d62df10e7d82df388ccf51649964e6065d7fe10c6f858
H_SMILE=f8b001cc33128b4a0141cd4d1ac22461514bdf18567c88e3fdc69a194b9f7260
H_12345=36e295174c2947fbba5ff2d280b635a4b2eaa3106e07c7f1f3d2b72cba861447

# --- only the selected members change -----------------------------------------

filter 'a string member hashed, the rest as it was' 0 \
    '{"id": 7,  "email" : "foo@example.com", "x":[1, {"email":"n"}]}\n' \
    "{\"id\": 7,  \"email\" : \"$H_FOO\", \"x\":[1, {\"email\":\"n\"}]}\n" \
    -k key email
filter 'NORM before hashing' 0 '{"email":" Foo@Example.COM "}\n' \
    "{\"email\":\"$H_FOO\"}\n" -k key email::email
filter 'a number hashed by its text, as a string' 0 '{"n":12345}\n' \
    "{\"n\":\"$H_12345\"}\n" -k key n
filter 'escapes decoded before hashing' 0 '{"n":"Jos\\u00e9"}\n' \
    "{\"n\":\"$H_JOSE\"}\n" -k key n
filter 'UTF-8 as it is' 0 '{"n":"Jos\303\251"}\n' "{\"n\":\"$H_JOSE\"}\n" -k key n
filter 'a surrogate pair decoded' 0 '{"n":"\\ud83d\\ude00"}\n' \
    "{\"n\":\"$H_SMILE\"}\n" -k key n
filter 'a key with an escape matches' 0 '{"em\\u0061il":"foo@example.com"}\n' \
    "{\"em\\\\u0061il\":\"$H_FOO\"}\n" -k key email
filter 'a missing member: the line as it was' 0 '{"a":1}\n' '{"a":1}\n' -k key email
filter 'null stays null' 0 '{"email":null}\n' '{"email":null}\n' -k key email
filter 'an empty string stays empty' 0 '{"email":""}\n' '{"email":""}\n' -k key email
filter 'duplicate keys: each of them' 0 '{"e":"a","e":"b"}\n' \
    '{"e":"REDACTED","e":"REDACTED"}\n' e:redact
filter 'nested members of the same name are not touched' 0 \
    '{"o":{"e":"x"},"e":"y"}\n' '{"o":{"e":"x"},"e":"REDACTED"}\n' e:redact
filter 'mask: a JSON string, escaped' 0 '{"n":"ab\\"c\\\\d\\n"}\n' \
    '{"n":"***c\\\\d\\n"}\n' n:mask
filter 'mask: control characters escaped' 0 '{"n":"abcdef\\u0001"}\n' \
    '{"n":"***def\\u0001"}\n' n:mask
filter 'mask of a number: a string' 0 '{"n":-12.5e3}\n' '{"n":"***.5e3"}\n' n:mask
filter 'redact of an object' 0 '{"o":{"a":[1,2]},"b":1}\n' \
    '{"o":"REDACTED","b":1}\n' o:redact
filter 'drop the first member' 0 '{"a":1, "b":2, "c":3}\n' '{"b":2, "c":3}\n' a:drop
filter 'drop a middle member' 0 '{"a":1, "b":2, "c":3}\n' '{"a":1, "c":3}\n' b:drop
filter 'drop the last member' 0 '{"a":1, "b":2, "c":3}\n' '{"a":1, "b":2}\n' c:drop
filter 'drop the only member, blanks around it kept' 0 '{ "a" : [1] }\n' \
    '{  }\n' a:drop
filter 'drop two neighbours and keep spacing' 0 \
    '{ "a":1 ,\t"b":{"x":[]} , "c":"z" , "d":4 }\n' '{ "a":1 , "d":4 }\n' \
    b:drop c:drop
filter 'CRLF, no final newline kept' 0 '{"a":"x"}\r\n{"a":"y"}' \
    '{"a":"REDACTED"}\r\n{"a":"REDACTED"}' a:redact
filter 'BOM kept' 0 '\357\273\277{"a":"x"}\n' '\357\273\277{"a":"REDACTED"}\n' a:redact
filter 'every JSON value passes' 0 \
    '{"a":[true,false,null,-0,0.5,1E+2,"\\/\\b\\f\\n\\r\\t\\"\\\\"],"b":{}}\n' \
    '{"a":[true,false,null,-0,0.5,1E+2,"\\/\\b\\f\\n\\r\\t\\"\\\\"],"b":{}}\n' x:redact
filter 'empty object' 0 '{}\n' '{}\n' a:redact

# --- errors: exit 1, the line named, nothing from it on ---------------------

bad() {	# bad DESC LINE REASON
	filter "$1: exit 1, output up to the line before" 1 \
	    "{\"a\":\"x\"}\\n$2\\n{\"a\":\"y\"}\\n" '{"a":"REDACTED"}\n' a:redact
	said "$1: said" "pii-hash: stdin: line 2: $3"
}
bad 'an array' '[1,2]' 'not a JSON object'
bad 'a string' '"s"' 'not a JSON object'
bad 'an empty line' '' 'not a JSON object'
bad 'a trailing comma' '{"a":1,}' 'invalid JSON: expected a member name'
bad 'single quotes' "{'a':1}" 'invalid JSON: expected a member name'
bad 'an unterminated string' '{"a":"x}' 'invalid JSON: unterminated string'
bad 'a lone surrogate' '{"a":"\\ud800"}' 'invalid JSON: unpaired surrogate'
bad 'a high surrogate without its pair' '{"a":"\\ud83dx"}' \
    'invalid JSON: unpaired surrogate'
bad 'a bad escape' '{"a":"\\x41"}' 'invalid JSON: invalid escape'
bad 'a control character' '{"a":"\t"}' 'invalid JSON: control character in string'
bad 'invalid UTF-8' '{"a":"\377"}' 'invalid JSON: invalid UTF-8'
bad 'an overlong UTF-8 form' '{"a":"\300\257"}' 'invalid JSON: invalid UTF-8'
bad 'a leading zero' '{"a":01}' "invalid JSON: expected ',' or '}'"
bad 'NaN' '{"a":NaN}' 'invalid JSON: expected a value'
bad 'text after the object' '{"a":1} x' 'invalid JSON: text after the object'
bad 'two objects' '{"a":1}{"a":2}' 'invalid JSON: text after the object'
filter 'a boolean to hash: exit 1' 1 '{"a":"foo@example.com"}\n{"a":true}\n' \
    "{\"a\":\"$H_FOO\"}\n" -k key a:hmac
said 'a boolean to hash: said' \
    'pii-hash: stdin: line 2: a: a boolean, not a string or number'
filter 'an object to mask: exit 1' 1 '{"a":{"b":1}}\n' '' a:mask
said 'an object to mask: said' \
    'pii-hash: stdin: line 1: a: an object, not a string or number'
filter 'not an address: exit 1' 1 '{"ip":"10.0.0.1"}\n{"ip":"x"}\n' \
    '{"ip":"****.0.1"}\n' ip:mask:ip
said 'not an address: said' 'pii-hash: stdin: line 2: ip: not an IP address'
awk 'BEGIN { for (i = 0; i < 600; i++) printf "["; print "" }' >deep
{ printf '{"a":'; cat deep; } >deep.json
"$PH" -F jsonl a:redact <deep.json >got.dat 2>err.dat
same 'nesting 600 deep: exit 1, no crash' 1 $?
said 'nesting 600 deep: said' 'pii-hash: stdin: line 1: invalid JSON: nested too deep'

# --- long lines, many lines -------------------------------------------------

head -c 5000000 /dev/zero | tr '\0' 'x' >long
{ printf '{"big":"'; cat long; printf '","e":"foo@example.com"}\n'; } >long.json
{ printf '{"big":"'; cat long; printf "\",\"e\":\"$H_FOO\"}\n"; } >long.want
"$PH" -F jsonl -k key e <long.json >long.out 2>err.dat
cmp -s long.want long.out; tap_result $((1 - $?)) 'a line of 5 MB: its other member hashed'
awk 'BEGIN { for (i = 1; i <= 50000; i++)
	printf "{\"id\":%d,\"email\":\"user%d@example.com\",\"ip\":\"10.0.%d.%d\"}\n", i, i, i % 256, i % 100 }' >many.json
"$PH" -F jsonl -k key email ip::ip <many.json >many.out 2>err.dat
same 'many lines: exit 0' 0 $?
if command -v python3 >/dev/null 2>&1; then
	cat >many.py <<'EOF'
import hashlib, hmac, json, sys
key = bytes(range(32))
h = lambda v: hmac.new(key, v.encode(), hashlib.sha256).hexdigest()
for line in open(sys.argv[1]):
    o = json.loads(line)
    o['email'] = h(o['email'])
    o['ip'] = h(o['ip'])
    print(json.dumps(o, separators=(',', ':')))
EOF
	python3 many.py many.json >many.py.out
	cmp -s many.out many.py.out
	tap_result $((1 - $?)) 'many lines: as python3 json+hmac computes them'
else
	skip 'many lines: as python3 json+hmac computes them' 'python3 not installed'
fi
