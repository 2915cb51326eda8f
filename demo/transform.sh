#!/bin/sh
# demo/transform.sh - the demo's dev transformation: the newest
# pseudonymized export of the bronze layer to silver (the users without
# the redacted names) and gold (users and revenue per plan).
# SPDX-License-Identifier: ISC
#
# conf/nightly.sh runs it as DEV_JOB, under `envguard run' in the dev
# environment, with DATA_ROOT set by `envlink env': it reads and writes
# only there, and could not write into production if it tried.

set -eu
LC_ALL=C
export LC_ALL
: "${DATA_ROOT:?run it in an environment: eval \"\$(envlink env DIR)\"}"

in=
for f in "$DATA_ROOT"/bronze/users_*.csv; do
	[ -f "$f" ] && in=$f	# the names sort by date: the last is newest
done
[ -n "$in" ] || { echo "transform: $DATA_ROOT/bronze: no users_*.csv" >&2; exit 1; }

# Columns by name, so that the job does not depend on their order.  The
# values it reads (plan, amount, hashes) hold no comma or quote.
awk -F, -v silver="$DATA_ROOT/silver/.users.csv.new" \
    -v gold="$DATA_ROOT/gold/.plan_summary.csv.new" '
NR == 1 {
	for (i = 1; i <= NF; i++) col[$i] = i
	if (!("plan" in col) || !("amount" in col) || !("email" in col)) {
		print "transform: " FILENAME ": want the columns email, plan, amount" >"/dev/stderr"
		bad = 1
		exit 1
	}
	print "user,ip,signup_time,plan,amount" >silver
	next
}
{
	print $col["email"] "," $col["ip"] "," $col["signup_time"] "," \
	    $col["plan"] "," $col["amount"] >silver
	users[$col["plan"]]++
	revenue[$col["plan"]] += $col["amount"]
	n++
}
END {
	if (bad)
		exit 1
	print "plan,users,revenue" >gold
	close(gold)
	for (p in users)
		printf "%s,%d,%.2f\n", p, users[p], revenue[p] | "sort >>\"" gold "\""
	close("sort >>\"" gold "\"")
	printf "transform: %d users from %s\n", n, FILENAME
}' "$in"
mv -f "$DATA_ROOT/silver/.users.csv.new" "$DATA_ROOT/silver/users.csv"
mv -f "$DATA_ROOT/gold/.plan_summary.csv.new" "$DATA_ROOT/gold/plan_summary.csv"
echo "transform: wrote $DATA_ROOT/silver/users.csv and $DATA_ROOT/gold/plan_summary.csv"
