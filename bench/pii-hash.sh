#!/bin/sh
# bench/pii-hash.sh - pii-hash against Miller, a python3 csv+hmac script and
# sha256sum on one generated CSV of a million rows, and against Miller and
# csvkit on a hostile corpus.
# SPDX-License-Identifier: ISC
#
# Run by `make bench` as
#	BIN=$PWD/build/bin BENCHBIN=$PWD/build/bench sh bench/pii-hash.sh
# Environment:
#	BENCH_ROWS	rows of the generated CSV (default 1000000)
#	BENCH_ROUNDS	runs of pii-hash and sha256sum, the best kept (default 5);
#			Miller and python3 run once (they take seconds, so
#			the noise of one run is small next to them)
#	TMPDIR		where the work directory goes (default /var/tmp)
# The input is read from the page cache (read once before timing), outputs
# go to /dev/null; a 100000-row sample checks that the tools agree.
# Wall time and peak memory are measured by build/bench/rusage (wait4).
# Exit status: 0 when the benchmarks ran (whatever PASS/MISS says), 1 when
# one could not run, 2 when a tool is missing or the setup is unusable.

set -u
LC_ALL=C
export LC_ALL

prog=bench/pii-hash.sh
BIN=${BIN:-$(pwd)/build/bin}
BENCHBIN=${BENCHBIN:-$(pwd)/build/bench}
ROWS=${BENCH_ROWS:-1000000}
ROUNDS=${BENCH_ROUNDS:-5}
SAMPLE=100000

die() { echo "$prog: $*" >&2; exit 1; }
unusable() { echo "$prog: $*" >&2; exit 2; }

case $ROWS in ''|*[!0-9]*) unusable "BENCH_ROWS: not a number: $ROWS";; esac
case $ROUNDS in ''|*[!0-9]*) unusable "BENCH_ROUNDS: not a number: $ROUNDS";; esac
[ "$ROWS" -ge 1000 ] || unusable "BENCH_ROWS: at least 1000"
[ "$ROUNDS" -ge 1 ] || unusable "BENCH_ROUNDS: at least 1"

PH=$BIN/pii-hash
RU=$BENCHBIN/rusage
[ -x "$PH" ] || unusable "$PH: not found (run make)"
[ -x "$RU" ] || unusable "$RU: not found (run make $RU)"
missing=
need() {	# need CMD PACKAGE
	command -v "$1" >/dev/null 2>&1 || missing="$missing	$1 (Debian package $2)
"
}
need mlr miller
need python3 python3
need sha256sum coreutils
need awk mawk
need cmp diffutils
if [ -n "$missing" ]; then
	echo "$prog: missing tools, benchmarks not run:" >&2
	printf '%s' "$missing" >&2
	exit 2
fi
if command -v csvformat >/dev/null 2>&1; then csvkit=csvformat; else csvkit=; fi

W=$(mktemp -d "${TMPDIR:-/var/tmp}/pii-hash-bench.XXXXXX") ||
    unusable "cannot make a work directory in ${TMPDIR:-/var/tmp}"
trap 'rm -rf "$W"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cp "$PH" "$W/pii-hash" || die "cannot copy $PH"
PH=$W/pii-hash

# --- the input ---------------------------------------------------------------

# id, email, ip (one in three IPv6), name (one in ten quoted, with a comma),
# signup_time, plan, amount; a seeded rand(), so every run has the same.
gen() {	# gen ROWS
	awk -v n="$1" 'BEGIN {
		srand(20251122)
		nf = split("John Mary Jos\303\251 Anna Li Fatima Olga Peter Chlo\303\251 Ahmed", first, " ")
		nl = split("Smith M\303\274ller Garcia Wang Kowalski Nguyen O\047Brien Rossi", last, " ")
		split("free pro team enterprise", plan, " ")
		print "id,email,ip,name,signup_time,plan,amount"
		for (i = 1; i <= n; i++) {
			f = first[1 + int(rand() * nf)]
			l = last[1 + int(rand() * nl)]
			if (i % 3 == 0)
				ip = sprintf("2001:db8:%x::%x", int(rand() * 65536),
				    int(rand() * 65536))
			else
				ip = sprintf("%d.%d.%d.%d", 1 + int(rand() * 254),
				    int(rand() * 256), int(rand() * 256),
				    1 + int(rand() * 254))
			name = (i % 10 == 0) ? "\"" l ", " f "\"" : f " " l
			printf "%d,%s.%s%d@example.com,%s,%s,2024-%02d-%02dT%02d:%02d:%02dZ,%s,%.2f\n",
			    i, tolower(f), tolower(l), i, ip, name,
			    1 + int(rand() * 12), 1 + int(rand() * 28),
			    int(rand() * 24), int(rand() * 60), int(rand() * 60),
			    plan[1 + int(rand() * 4)], int(rand() * 100000) / 100
		}
	}'
}
echo "setup: generating $ROWS rows ..."
gen "$ROWS" >"$W/big.csv" || die "cannot write $W/big.csv"
head -n $((SAMPLE + 1)) "$W/big.csv" >"$W/sample.csv"
cat "$W/big.csv" >/dev/null
size=$(wc -c <"$W/big.csv" | tr -d ' ')

printf '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n' >"$W/key"
printf 'pepper' >"$W/salt"
chmod 600 "$W/key" "$W/salt"

cat >"$W/bench_hmac.py" <<'EOF'
import csv, hashlib, hmac, io, sys
key = bytes.fromhex(open(sys.argv[1]).read().strip())
r = csv.reader(io.TextIOWrapper(sys.stdin.buffer, encoding='utf-8', newline=''))
out = io.TextIOWrapper(sys.stdout.buffer, encoding='utf-8', newline='')
w = csv.writer(out, lineterminator='\n')
head = next(r)
w.writerow(head)
e, i = head.index('email'), head.index('ip')
for row in r:
    row[e] = hmac.new(key, row[e].encode(), hashlib.sha256).hexdigest()
    row[i] = hmac.new(key, row[i].encode(), hashlib.sha256).hexdigest()
    w.writerow(row)
out.flush()
EOF
cat >"$W/bench_salted.py" <<'EOF'
import csv, hashlib, io, sys
salt = open(sys.argv[1], 'rb').read()
r = csv.reader(io.TextIOWrapper(sys.stdin.buffer, encoding='utf-8', newline=''))
out = io.TextIOWrapper(sys.stdout.buffer, encoding='utf-8', newline='')
w = csv.writer(out, lineterminator='\n')
head = next(r)
w.writerow(head)
e, i = head.index('email'), head.index('ip')
for row in r:
    row[e] = hashlib.sha256(row[e].encode() + salt).hexdigest()
    row[i] = hashlib.sha256(row[i].encode() + salt).hexdigest()
    w.writerow(row)
out.flush()
EOF
MLR_PUT='$email = sha256($email . "pepper"); $ip = sha256($ip . "pepper")'

# --- measuring ---------------------------------------------------------------

# measure ROUNDS INPUT CMD...: run CMD with INPUT on stdin and stdout to
# /dev/null ROUNDS times; WALL, CPU (user + system) and RSS (KiB) of the
# fastest run.
measure() {
	n=$1; in=$2; shift 2
	WALL=; CPU=; RSS=
	k=0
	while [ $k -lt "$n" ]; do
		"$RU" -o "$W/ru" "$@" <"$in" >/dev/null 2>"$W/err" ||
		    { sed 's/^/	/' "$W/err" >&2; die "failed: $*"; }
		read -r w u s m rc <"$W/ru"
		if [ -z "$WALL" ] || awk -v a="$w" -v b="$WALL" 'BEGIN { exit !(a < b) }'; then
			WALL=$w
			CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }')
			RSS=$m
		fi
		k=$((k + 1))
	done
}

# Table rows: row TOOL WALL CPU RSS [OURS FACTOR]: with OURS (pii-hash's
# wall time) the ratio peer/pii-hash and PASS/MISS against "pii-hash at
# least FACTOR times faster" (FACTOR 1: faster).
fmt='%-34s %8s %8s %9s %9s %8s  %s\n'
rows=
row() {
	if [ $# -lt 6 ]; then
		line=$(printf "$fmt" "$1" "$2" "$3" "$(awk -v m="$4" 'BEGIN { printf "%.1f", m / 1024 }')" "" "" "")
	else
		line=$(awk -v t="$1" -v w="$2" -v c="$3" -v m="$4" -v o="$5" -v f="$6" \
		    -v fmt="$fmt" 'BEGIN {
			r = (o > 0) ? w / o : 0
			res = (r >= f && (f > 1 || r > 1)) ? "PASS" : "MISS"
			printf fmt, t, w, c, sprintf("%.1f", m / 1024),
			    sprintf("%.2fx", r), (f > 1 ? ">=" f "x" : ">1x"), res
		}')
	fi
	rows="$rows$line
"
}
memrow() {	# memrow RSS: pii-hash's peak memory against 8 MiB
	line=$(awk -v m="$1" -v fmt="$fmt" 'BEGIN {
		printf fmt, "  pii-hash peak memory", "", "", sprintf("%.1f", m / 1024),
		    "", "<8 MiB", (m < 8192 ? "PASS" : "MISS")
	}')
	rows="$rows$line
"
}

# --- header -------------------------------------------------------------------

if grep -qw sha_ni /proc/cpuinfo 2>/dev/null; then shani=yes; else shani=no; fi
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
echo "pii-hash benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "  program   $("$PH" -V) (run from a copy)"
echo "  machine   nproc $(nproc 2>/dev/null || echo ?), sha_ni $shani, ${cpu:-unknown cpu}, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo "  input     $ROWS rows, $size bytes (id, email, ip, name, signup_time, plan, amount), page cache"
echo "  peers     $(mlr --version 2>&1 | head -1), $(python3 --version 2>&1), $(sha256sum --version | awk 'NR == 1 { print "coreutils", $4 }')${csvkit:+, csvkit $(csvformat --version 2>&1 | awk '{ print $2 }')}"
echo "  timing    wall clock and peak RSS by wait4; best of $ROUNDS for pii-hash and sha256sum, one run of Miller and python3; output to /dev/null"

# --- correctness on the sample: the tools must agree ------------------------

echo
echo "checking on $SAMPLE rows that the outputs agree ..."
"$PH" -k "$W/key" email ip <"$W/sample.csv" >"$W/ph.hmac" || die "pii-hash -k failed"
python3 "$W/bench_hmac.py" "$W/key" <"$W/sample.csv" >"$W/py.hmac" || die "bench_hmac.py failed"
cmp -s "$W/ph.hmac" "$W/py.hmac" ||
    die "pii-hash and python3 disagree on HMAC ($W/ph.hmac, $W/py.hmac)"
"$PH" -s "$W/salt" email ip <"$W/sample.csv" >"$W/ph.salted" || die "pii-hash -s failed"
python3 "$W/bench_salted.py" "$W/salt" <"$W/sample.csv" >"$W/py.salted" || die "bench_salted.py failed"
cmp -s "$W/ph.salted" "$W/py.salted" ||
    die "pii-hash and python3 disagree on salted hashes"
mlr --csv put "$MLR_PUT" "$W/sample.csv" >"$W/mlr.salted" || die "mlr failed"
cut -d, -f1-3 "$W/mlr.salted" >"$W/mlr.cols"
cut -d, -f1-3 "$W/ph.salted" >"$W/ph.cols"
cmp -s "$W/mlr.cols" "$W/ph.cols" ||
    die "pii-hash and Miller disagree on salted hashes"
echo "  HMAC: pii-hash = python3 (byte for byte); salted: pii-hash = python3 (byte for byte) = Miller (id, email, ip)"

# --- 1 and 2: HMAC and salted hashes of email and ip -------------------------

echo "timing ..."
measure "$ROUNDS" "$W/big.csv" sha256sum; s_wall=$WALL; s_cpu=$CPU; s_rss=$RSS
for mode in hmac salted; do
	if [ $mode = hmac ]; then
		measure "$ROUNDS" "$W/big.csv" "$PH" -k "$W/key" email ip
		title="1 HMAC-SHA256 of email and ip"
	else
		measure "$ROUNDS" "$W/big.csv" "$PH" -s "$W/salt" email ip
		title="2 salted SHA-256 of email and ip"
	fi
	o_wall=$WALL; o_cpu=$CPU; o_rss=$RSS
	measure 1 "$W/big.csv" mlr --csv put "$MLR_PUT"
	m_wall=$WALL; m_cpu=$CPU; m_rss=$RSS
	measure 1 "$W/big.csv" python3 "$W/bench_$mode.py" "$W/$([ $mode = hmac ] && echo key || echo salt)"
	p_wall=$WALL; p_cpu=$CPU; p_rss=$RSS
	rows="$rows$title
"
	row "  pii-hash $([ $mode = hmac ] && echo -k || echo -s) email ip" "$o_wall" "$o_cpu" "$o_rss"
	memrow "$o_rss"
	row "  mlr --csv put sha256(value.salt)" "$m_wall" "$m_cpu" "$m_rss" "$o_wall" 10
	row "  python3 csv+$([ $mode = hmac ] && echo hmac || echo hashlib)" "$p_wall" "$p_cpu" "$p_rss" "$o_wall" 20
	row "  sha256sum of the file" "$s_wall" "$s_cpu" "$s_rss" "$o_wall" 1
done

# --- 3: pass-through of a hostile corpus -------------------------------------

C=$W/corpus
mkdir "$C"
printf 'id,name,email\n1,"Lee, Ann","a@b,c"\n'		>"$C/quoted-commas"
printf 'id,q\n1,"say ""hi"""\n2,""""\n'			>"$C/doubled-quotes"
printf 'a,b,c\n1,"",""\n"","",3\n'				>"$C/empty-quoted"
printf 'a,b,c\n,,\n1,,3\n'					>"$C/empty-fields"
printf 'a,b\n1,"x\ny"\n'					>"$C/lf-in-quotes"
printf 'a,b\r\n1,"x\r\ny"\r\n'					>"$C/crlf-in-quotes"
printf 'a,b\n1,"x\ry"\n'					>"$C/cr-in-quotes"
printf 'a,b\r\n1,2\r\n3,4\r\n'					>"$C/crlf-line-ends"
printf 'a,b\r\n1,2\n3,4\r\n'					>"$C/mixed-line-ends"
printf 'a,b\n1,2'						>"$C/no-final-newline"
printf '\357\273\277a,b\n1,2\n'					>"$C/utf8-bom"
printf 'email,name,email\nx@y,n,z@w\n'				>"$C/duplicate-names"
printf 'a,b\n\377\376,caf\351\n'				>"$C/non-utf8"
printf 'a,b\n1,x\000y\n'					>"$C/nul-byte"
printf 'a,b\n1, x \n'						>"$C/blanks-around"
printf 'a,b\n"1",2\n'						>"$C/needless-quotes"
{ printf 'a,b\n1,"'; head -c 1048576 /dev/zero | tr '\0' 'x'; printf '"\n'; } >"$C/1mib-field"

# outcome TOOL FILE: same, altered or error.
outcome() {
	case $1 in
	pii-hash) "$PH" <"$2" >"$W/o" 2>/dev/null ;;
	mlr) mlr --csv cat "$2" >"$W/o" 2>/dev/null ;;
	csvkit) csvformat "$2" >"$W/o" 2>/dev/null ;;
	esac
	if [ $? -ne 0 ]; then echo error
	elif cmp -s "$2" "$W/o"; then echo same
	else echo altered
	fi
}
passrows=
okcount=0; total=0; m_alt=0; k_alt=0
for f in "$C"/*; do
	name=$(basename "$f")
	p=$(outcome pii-hash "$f"); m=$(outcome mlr "$f")
	if [ -n "$csvkit" ]; then k=$(outcome csvkit "$f"); else k=n/a; fi
	total=$((total + 1))
	[ "$p" = same ] && okcount=$((okcount + 1))
	[ "$m" != same ] && m_alt=$((m_alt + 1))
	[ "$k" != same ] && [ "$k" != n/a ] && k_alt=$((k_alt + 1))
	passrows="$passrows$(printf '  %-22s %-10s %-10s %-10s' "$name" "$p" "$m" "$k")
"
done
printf 'a,b\n1,2\n3\n'		>"$W/ragged"
printf 'a,b\n1,"x\n'		>"$W/unterminated"
printf 'a,b\n1,x"y\n'		>"$W/bare-quote"
badrows=
bad_ok=0
for f in ragged unterminated bare-quote; do
	p=$(outcome pii-hash "$W/$f"); m=$(outcome mlr "$W/$f")
	if [ -n "$csvkit" ]; then k=$(outcome csvkit "$W/$f"); else k=n/a; fi
	[ "$p" = error ] && bad_ok=$((bad_ok + 1))
	badrows="$badrows$(printf '  %-22s %-10s %-10s %-10s' "$f" "$p" "$m" "$k")
"
done

# --- report ---------------------------------------------------------------------

echo
printf "$fmt" "" "seconds" "CPU s" "peak MiB" "peer/ours" "target" ""
printf '%s' "$rows"
echo
echo "3 pass-through (no column selected) of a hostile corpus: output = input?"
printf '  %-22s %-10s %-10s %-10s\n' case pii-hash "mlr cat" "csvformat"
printf '%s' "$passrows"
echo "  malformed input (pii-hash must refuse it; error = exit status not 0):"
printf '%s' "$badrows"
res=MISS; [ $okcount -eq $total ] && res=PASS
echo "  pii-hash byte-identical on $okcount of $total well-formed cases: $res"
res=MISS; [ $bad_ok -eq 3 ] && res=PASS
echo "  pii-hash refuses $bad_ok of 3 malformed cases: $res"
if [ -n "$csvkit" ]; then k_said="$k_alt of $total"
else k_said='not installed (Debian package csvkit)'; fi
echo "  Miller altered or refused $m_alt of $total, csvkit (csvformat) $k_said"
