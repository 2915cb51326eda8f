#!/bin/sh
# 043-pii-hash-postgres: pii-hash's salted hashes are byte for byte what
# PostgreSQL gives for encode(sha256(convert_to(value || salt, 'UTF8')),
# 'hex'), so that warehouse tables hashed in SQL keep joining.  Runs a
# throw-away PostgreSQL server on a Unix socket in the test directory (no
# TCP); skipped where PostgreSQL's server programs are not installed.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"

plan 6

PH=$BIN/pii-hash
N=6

skip_all() {
	i=0
	while [ $i -lt $N ]; do
		skip "PostgreSQL comparison $((i + 1))" "$1"
		i=$((i + 1))
	done
	exit 0
}

pgbin=
for d in /usr/lib/postgresql/*/bin /usr/local/pgsql/bin; do
	[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/psql" ] && pgbin=$d
done
if [ -z "$pgbin" ] && command -v pg_ctl >/dev/null 2>&1 &&
    command -v initdb >/dev/null 2>&1 && command -v psql >/dev/null 2>&1; then
	pgbin=$(dirname "$(command -v pg_ctl)")
fi
[ -n "$pgbin" ] || skip_all 'PostgreSQL server programs (initdb, pg_ctl) not installed'

# The server refuses to run as root: as root, run it as postgres.
if [ "$(id -u)" = 0 ]; then
	id postgres >/dev/null 2>&1 || skip_all 'running as root and no postgres user'
	command -v setpriv >/dev/null 2>&1 || skip_all 'running as root and no setpriv'
	pguid=$(id -u postgres); pggid=$(id -g postgres)
	as_pg() { setpriv --reuid="$pguid" --regid="$pggid" --clear-groups "$@"; }
	chmod go+x "$TAP_ROOT" "$T"
	mkdir pg && chown postgres: pg
else
	as_pg() { "$@"; }
	mkdir pg
fi
P=$T/pg

pgstop() {
	[ -f "$P/data/postmaster.pid" ] &&
	    as_pg "$pgbin/pg_ctl" -D "$P/data" -m immediate -w stop >/dev/null 2>&1
	:
}
trap 'rc=$?; pgstop; (exit $rc); tap_cleanup' EXIT

as_pg "$pgbin/initdb" -D "$P/data" -A trust -U dk -E UTF8 --locale=C \
    --no-sync >"$P/initdb.log" 2>&1 ||
    skip_all "initdb failed: $(tail -1 "$P/initdb.log")"
as_pg "$pgbin/pg_ctl" -D "$P/data" -l "$P/log" -w -t 60 \
    -o "-k $P -c listen_addresses= -F" start >/dev/null 2>&1 ||
    skip_all "the server did not start: $(tail -1 "$P/log" 2>/dev/null)"

# sql FILE: run a script; its rows on stdout, one per line.
sql() { as_pg "$pgbin/psql" -X -q -A -t -h "$P" -U dk -d postgres -v ON_ERROR_STOP=1 -f "$1"; }

# Values of every kind (none empty: PostgreSQL hashes an empty value, pii-hash
# leaves it empty), with commas, quotes, UTF-8, and beyond one block.
{
	printf 'n,v\n'
	printf '1,foo@example.com\n2," Mixed.Case@Example.ORG "\n'
	printf '3,Jos\303\251 M\303\274ller\n4,\342\230\203 \360\237\230\200 \346\274\242\345\255\227\n'
	printf '5,"O\047Brien, ""Jr."""\n6,10.0.0.1\n7,2001:db8::1\n'
	printf '8,%s\n' "$(printf 'x%.0s' $(seq 1 60))"
	printf '9,%s\n' "$(printf 'y%.0s' $(seq 1 300))"
	i=10
	while [ $i -lt 1010 ]; do
		printf '%d,user%d@example.com\n' $i $i
		i=$((i + 1))
	done
} >vals.csv
chmod 644 vals.csv

# compare DESC SALT NORM SQLEXPR
compare() {
	printf '%s' "$2" >salt; chmod 600 salt
	cat >q.sql <<EOF
\\set salt '$(printf '%s' "$2" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")'
create temp table t (n int, v text);
\\copy t from '$T/vals.csv' with (format csv, header true)
select encode(sha256(convert_to($4 || :'salt', 'UTF8')), 'hex') from t order by n;
EOF
	chmod 644 q.sql
	if ! sql q.sql >pg.out 2>pg.err; then
		tap_result 0 "$1"
		sed 's/^/# psql: /' pg.err
		return
	fi
	"$PH" -s salt "v:salted:$3" <vals.csv | sed 1d | cut -d, -f2 >ph.out
	if cmp -s pg.out ph.out; then
		tap_result 1 "$1 ($(wc -l <ph.out | tr -d ' ') values)"
	else
		tap_result 0 "$1"
		diff pg.out ph.out | head -5 | sed 's/^/# /'
	fi
}

compare 'salted: as PostgreSQL computes it' 'pepper' none v
compare 'salted with a salt of quotes and a backslash' "s'a\"l\\t" none v
compare 'salted with a UTF-8 salt' "$(printf 'sel-\303\251')" none v
compare 'salted with a salt of 50 bytes (beyond one block)' \
    "$(printf 's%.0s' $(seq 1 50))" none v
compare 'salted, NORM trim: btrim() in SQL' 'pepper' trim "btrim(v)"
compare 'salted, NORM email: btrim() and ASCII lower case in SQL' 'pepper' email \
    "translate(btrim(v), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
