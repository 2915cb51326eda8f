#!/bin/sh
# demo/mktree.sh - generate the sample server of the demo: production data,
# a dev environment, logs and records of every age, a database and a month
# of earlier snapshots, all under one directory.
# SPDX-License-Identifier: ISC
#
# usage: [DEMO_USERS=N] [DEMO_LOGS=N] [DEMO_DAYS=N] [DEMO_DB_KB=N]
#        BIN=DIR sh demo/mktree.sh ROOT
#
# ROOT must not exist.  BIN is the directory of the programs (build/bin).
# The sizes default to what `make demo` shows: 10,000 users in the day's
# export, 300 log files over two years, 30 days of earlier snapshots, a
# database of 2 MiB; tests/090-nightly.sh asks for less.  Everything is
# generated here with awk and the datakeep programs: no network, no
# python, and the same content on every run (only the dates follow the
# clock, since retention is about age).
#
# ROOT mirrors the filesystem of a real server, so that the shipped
# conf/retain.conf applies with its paths prefixed by ROOT:
#
#	etc/datakeep/		layers.conf, retain.conf (paths under ROOT),
#				pii.key
#	srv/master/LAYER	production's nine layers; raw/exports holds
#				today's export of the users
#	srv/envs/dev		the dev environment (envlink init)
#	srv/data/		simulation.db, logs/, audit/, transactions/
#	srv/archive/		where retain archives records
#	srv/backups/db, gold	earlier snapshots of the database and of gold
#	var/lib/app/		tokens/ and sessions/ of the application
#	var/log/datakeep/	the audit log (AUDITLOG) and nightly/ logs
#	offhost/		what would be kept off the server: the audit
#				log's first key k_0 and its public key
#
# The earlier snapshots: snapback names a snapshot after the current time
# and has no option to pretend otherwise, so each is made for real with
# `snapback create` from the data as it was that day, then renamed to the
# name it would have had (02:00 UTC that day; also 14:00, before the
# simulation run, every third day) with its manifest renamed and the
# paths in it rewritten to the new name, and latest pointed at the newest.
# They verify with `snapback verify all` and `sha256sum -c` like any
# other.  This is done without AUDITLOG: the audit log starts after them.

set -eu
LC_ALL=C
export LC_ALL
unset AUDITLOG DATA_ENV 2>/dev/null || :

prog=mktree.sh
die() { echo "$prog: $*" >&2; exit 1; }
[ $# -eq 1 ] || { echo "usage: BIN=DIR sh demo/mktree.sh ROOT" >&2; exit 2; }
: "${BIN:?BIN must name the directory of the programs}"
USERS=${DEMO_USERS:-10000}
LOGS=${DEMO_LOGS:-300}
DAYS=${DEMO_DAYS:-30}
DB_KB=${DEMO_DB_KB:-2048}
for v in "$USERS" "$LOGS" "$DAYS" "$DB_KB"; do
	case $v in ''|*[!0-9]*) die "sizes must be numbers: $v" ;; esac
done
[ "$LOGS" -ge 6 ] || die "DEMO_LOGS: at least 6"
[ "$DB_KB" -ge 16 ] || die "DEMO_DB_KB: at least 16"

top=$(cd "$(dirname "$0")/.." && pwd)
[ ! -e "$1" ] || die "$1: exists; give a new directory"
mkdir -p "$1"
R=$(cd "$1" && pwd)
for p in snapback envlink auditlog pii-hash; do
	[ -x "$BIN/$p" ] || die "$BIN/$p: not found (run make)"
done

NOW=$(date -u +%s)
DAY=86400
MIDNIGHT=$((NOW - NOW % DAY))
TODAY=$(date -u -d "@$NOW" +%Y%m%d)
stamp() { date -u -d "@$1" +%Y%m%d_%H%M%S; }
# at SECONDS-AGO FILE...: set the modification time.
at() { at_t=$((NOW - $1)); shift; touch -d "@$at_t" "$@"; }

mkdir -p "$R/etc/datakeep" "$R/offhost" "$R/var/log/datakeep/nightly" \
    "$R/var/lib/app/tokens" "$R/var/lib/app/sessions" \
    "$R/srv/master" "$R/srv/envs" "$R/srv/backups" \
    "$R/srv/data/logs" "$R/srv/data/audit" "$R/srv/data/transactions" \
    "$R/srv/archive/audit" "$R/srv/archive/transactions"

# --- configuration: the shipped files, the policy's paths moved under ROOT --------

cp "$top/conf/layers.conf" "$R/etc/datakeep/layers.conf"
awk -v root="$R" '
	/^[ \t]*(#|$)/ { print; next }
	{
		for (i = 1; i <= NF; i++)
			if ($i ~ /^\//)
				$i = root $i
		print
	}' OFS='\t' "$top/conf/retain.conf" >"$R/etc/datakeep/retain.conf"

# --- production: the nine layers ----------------------------------------------

M=$R/srv/master
for l in raw bronze silver gold models predictions results reports dashboard; do
	mkdir "$M/$l"
done
mkdir "$M/raw/exports" "$M/raw/reference" "$M/gold/revenue"

# The day's export: USERS fake users, the same ones on every run (a
# Park-Miller generator, exact in any awk's doubles), with e-mail
# addresses in mixed case, IPv4 and IPv6 addresses, names (a few with a
# comma, hence quoted), signup times, plans and amounts.
awk -v n="$USERS" -v now="$NOW" '
function rnd(m) { seed = (seed * 16807) % 2147483647; return seed % m }
BEGIN {
	seed = 20250818
	nf = split("anna ben chloe david emma felix greta hugo ida jonas " \
	    "karla leon mia noah olga paul quinn rosa sven tara ulf " \
	    "vera wim xenia yusuf zoe", first, " ")
	nl = split("schmidt meyer novak garcia rossi dubois jensen " \
	    "kowalski silva tanaka okafor murphy nguyen larsen weber " \
	    "moreau petrov haddad costa berg", last, " ")
	nd = split("example.org example.com mail.example.net " \
	    "post.example.de inbox.example.fr", dom, " ")
	np = split("free basic pro team", plan, " ")
	print "id,email,ip,name,signup_time,plan,amount"
	for (i = 1; i <= n; i++) {
		f = first[1 + rnd(nf)]; l = last[1 + rnd(nl)]
		email = f "." l (i % 7 ? i : "") "@" dom[1 + rnd(nd)]
		if (i % 11 == 0)	# as typed into a form
			email = toupper(substr(email, 1, 1)) substr(email, 2)
		if (i % 5 == 0)
			ip = sprintf("2001:db8:%x:%x::%x", rnd(65536), rnd(256),
			    1 + rnd(65535))
		else
			ip = sprintf("%d.%d.%d.%d", 1 + rnd(223), rnd(256),
			    rnd(256), 1 + rnd(254))
		name = toupper(substr(f, 1, 1)) substr(f, 2) " " \
		    toupper(substr(l, 1, 1)) substr(l, 2)
		if (i % 97 == 0)
			name = "\"" name ", Jr.\""
		t = now - 86400 * rnd(1500) - rnd(86400)
		p = plan[1 + rnd(np)]
		amt = p == "free" ? "0.00" : sprintf("%d.%02d", 5 + rnd(200), rnd(100))
		printf "%d,%s,%s,%s,%s,%s,%s\n", i, email, ip, name,
		    strftime_utc(t), p, amt
	}
}
# Days since 1970-01-01 to a civil date (Howard Hinnant), for any awk.
function strftime_utc(t,   d, s, z, era, doe, yoe, y, doy, mp, dd, mm) {
	d = int(t / 86400); s = t - d * 86400
	z = d + 719468; era = int(z / 146097); doe = z - era * 146097
	yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
	y = yoe + era * 400; doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
	mp = int((5 * doy + 2) / 153); dd = doy - int((153 * mp + 2) / 5) + 1
	mm = mp < 10 ? mp + 3 : mp - 9; if (mm <= 2) y++
	return sprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", y, mm, dd,
	    int(s / 3600), int(s % 3600 / 60), s % 60)
}' >"$M/raw/exports/users_$TODAY.csv"
printf 'plan,monthly_price\nfree,0.00\nbasic,9.00\npro,29.00\nteam,99.00\n' \
    >"$M/raw/reference/plans.csv"

# The other layers hold a little of what they would hold.
printf 'id,email_h,ip_h,signup_time,plan,amount\n' >"$M/bronze/users.csv"
printf 'id,plan,amount,active\n' >"$M/silver/users.csv"
printf 'model churn-v3\nfeatures plan amount tenure\n' >"$M/models/churn-v3.txt"
printf 'id,churn_score\n' >"$M/predictions/churn_scores.csv"
printf 'run,auc\nchurn-v3,0.81\n' >"$M/results/evaluation.csv"
printf 'Monthly report\n' >"$M/reports/monthly.txt"
printf '<html><body>dashboard</body></html>\n' >"$M/dashboard/index.html"

# gold as of a day: a summary rewritten daily and one revenue file per day.
gold_day() {	# gold_day SECONDS-AGO
	g_ago=$1
	g_d=$(date -u -d "@$((NOW - g_ago))" +%Y%m%d)
	awk -v d="$g_d" 'BEGIN { s = d % 997
		print "plan,users,revenue"
		printf "free,%d,0.00\nbasic,%d,%d.00\npro,%d,%d.00\nteam,%d,%d.00\n",
		    4000 + s, 2500 + s % 50, 22500 + s * 9, 2000 + s % 40,
		    58000 + s * 29, 1000 + s % 30, 99000 + s * 99 }' \
	    >"$M/gold/plan_summary.csv"
	printf 'day,revenue\n%s,%d.00\n' "$g_d" $((170000 + g_d % 9973)) \
	    >"$M/gold/revenue/daily_$g_d.csv"
	at "$g_ago" "$M/gold/plan_summary.csv" "$M/gold/revenue/daily_$g_d.csv"
}

# --- the production database -------------------------------------------------

DB=$R/srv/data/simulation.db
# A page of the database: 4 KiB of bytes drawn from a seed.
page() {
	awk -v seed="$1" 'BEGIN { seed = seed % 2147483646 + 1
		for (i = 0; i < 4096; i++) {
			seed = (seed * 16807) % 2147483647
			printf "%c", seed % 256 } }'
}
{
	printf 'SIMDB\001\000\000'
	awk -v n=$((DB_KB * 1024 - 8)) 'BEGIN { seed = 7
		for (i = 0; i < n; i++) {
			seed = (seed * 16807) % 2147483647
			printf "%c", seed % 256 } }'
} >"$DB"
PAGES=$((DB_KB / 4))
db_day() {	# db_day N SECONDS-AGO: the simulation of day N rewrote a page
	page "$1" | dd of="$DB" bs=4096 seek=$((1 + $1 % (PAGES - 1))) \
	    conv=notrunc status=none
	at "$2" "$DB"
}

# --- a month of earlier snapshots ----------------------------------------------

B=$R/srv/backups
# backdate DIR PATH EXT STAMP: rename the snapshot PATH that snapback just
# made (and its manifest) to the name it would have had at STAMP, and
# point latest[EXT] at it.
backdate() {
	b_dir=$1 b_old=${2##*/} b_ext=$3
	b_new=${b_old%_????????_??????"$b_ext"}_$4$b_ext
	mv "$b_dir/$b_old" "$b_dir/$b_new"
	# Manifest paths are NAME (a file) or NAME/PATH (a tree); the names
	# here have no backslash or newline, so no line is escaped.
	sed -e "s#^\\([0-9a-f]\\{64\\}  \\)$b_old/#\\1$b_new/#" \
	    -e "s#^\\([0-9a-f]\\{64\\}  \\)$b_old\$#\\1$b_new#" \
	    "$b_dir/$b_old.sha256" >"$b_dir/$b_new.sha256"
	rm "$b_dir/$b_old.sha256"
	ln -sfn "$b_new" "$b_dir/latest$b_ext"
}
d=$DAYS
while [ "$d" -ge 1 ]; do
	t=$((MIDNIGHT - d * DAY + 2 * 3600))	# 02:00 UTC, d days ago
	db_day "$d" $((NOW - t + 600))
	gold_day $((NOW - t + 600))
	backdate "$B/db" "$("$BIN/snapback" create -d "$B/db" "$DB")" .db "$(stamp "$t")"
	backdate "$B/gold" "$("$BIN/snapback" create -d "$B/gold" "$M/gold")" "" \
	    "$(stamp "$t")"
	if [ $((d % 3)) -eq 0 ]; then	# before the 14:00 simulation run
		t=$((t + 12 * 3600))
		db_day $((d + 1000)) $((NOW - t + 600))
		backdate "$B/db" "$("$BIN/snapback" create -d "$B/db" "$DB")" .db \
		    "$(stamp "$t")"
	fi
	d=$((d - 1))
done
# Today's data, as the nightly job will find it.
db_day 0 1800
gold_day 1800

# --- logs, records, tokens and sessions of every age ---------------------------------

# Logs: per service a current log and rotated ones, N * STRIDE days old
# (plus an hour), over two years; a legacy directory of old logs only,
# which --prune-dirs removes once it is empty.
L=$R/srv/data/logs
per=$(((LOGS - 5) / 3))
stride=$((730 / per))
for s in web worker sim; do
	mkdir "$L/$s"
	echo "$s started" >"$L/$s/$s.log"
	n=1
	while [ "$n" -lt "$per" ]; do
		f=$L/$s/$s.log.$n.gz
		printf '%s log, rotation %d\n' "$s" "$n" >"$f"
		at $((n * stride * DAY + 3600)) "$f"
		n=$((n + 1))
	done
done
mkdir -p "$L/legacy/old"
for n in 1 2 3 4 5; do
	echo "legacy batch $n" >"$L/legacy/old/batch$n.log"
	at $(((400 + 30 * n) * DAY)) "$L/legacy/old/batch$n.log"
done
# A file that is no log: no pattern matches it, retain leaves it alone.
echo 'logs of the application, see retain.conf' >"$L/README"
at $((800 * DAY)) "$L/README"

# Earlier logs of the nightly job.
for n in 30 60 95 120; do
	f=$R/var/log/datakeep/nightly/nightly_$(stamp $((MIDNIGHT - n * DAY + 7200))).log
	echo "an earlier run" >"$f"
	at $((n * DAY)) "$f"
done

# Audit records, one file per year, last written on December 31st: the
# policy archives them 7 years after that.
y=$(date -u -d "@$NOW" +%Y)
i=9
while [ "$i" -ge 1 ]; do
	f=$R/srv/data/audit/audit-$((y - i)).csv
	printf 'ts,user,action\n%d-06-01T09:00:00Z,admin,export\n' $((y - i)) >"$f"
	touch -d "$((y - i))-12-31 23:00:00 UTC" "$f"
	i=$((i - 1))
done

# Transactions, one ledger a quarter for 11 years, judged by the date in
# their names (their mtimes say they were all restored yesterday).  In
# the archive, ledgers archived years ago, now past the archive's 10
# years, with their mtimes of then.
q=0
while [ "$q" -lt 44 ]; do
	ym=$(date -u -d "@$((NOW - q * 91 * DAY))" +%Y-%m)
	f=$R/srv/data/transactions/tx-$ym-01.csv
	printf 'id,amount\n1,10.00\n' >"$f"
	at $DAY "$f"
	q=$((q + 1))
done
for k in 1 2 3; do
	f=$R/srv/archive/transactions/tx-$((y - 11 - k))-01-01.csv
	printf 'id,amount\n1,10.00\n' >"$f"
	touch -d "$((y - 11 - k))-01-02 00:00:00 UTC" "$f"
done

# Tokens, one an hour for two days (each half an hour past the hour), and
# sessions, one every 36 hours for three months, in per-user directories.
i=0
while [ "$i" -lt 48 ]; do
	f=$R/var/lib/app/tokens/tok-$(printf %02d "$i").tok
	printf 'token %d\n' "$i" >"$f"
	at $((i * 3600 + 1800)) "$f"
	i=$((i + 1))
done
i=0
while [ "$i" -lt 60 ]; do
	u=$R/var/lib/app/sessions/user$((i / 4))
	mkdir -p "$u"
	printf 'session %d\n' "$i" >"$u/sess-$i"
	at $((i * 36 * 3600)) "$u/sess-$i"
	i=$((i + 1))
done

# --- the audit log, the key, the dev environment ------------------------------------

AUDITLOG=$R/var/log/datakeep/audit.log
DATA_ENV=prod
export AUDITLOG DATA_ENV
"$BIN/auditlog" init -o "$R/offhost/audit.k0" >/dev/null
cp "$AUDITLOG.pub" "$R/offhost/audit.log.pub"
"$BIN/pii-hash" genkey -o "$R/etc/datakeep/pii.key"
"$BIN/envlink" init -c "$R/etc/datakeep/layers.conf" "$M" "$R/srv/envs/dev"
