#!/bin/sh
# demo/demo.sh - the tour, run by `make demo': a sample server generated
# under build/demo, conf/nightly.sh run against it, and a short report
# of what the job did and why.
# SPDX-License-Identifier: ISC
#
# usage: sh demo/demo.sh	(from the top of the source tree, after make)
#
# Everything happens in build/demo, which is wiped and made again on every
# run; nothing else is touched and nothing is fetched.  The tree comes from
# demo/mktree.sh, the dev job is demo/transform.sh.  DEMO_USERS, DEMO_LOGS,
# DEMO_DAYS and DEMO_DB_KB change the sizes (see demo/mktree.sh).

set -u
LC_ALL=C
export LC_ALL
unset AUDITLOG DATA_ENV ENVGUARD_PROTECT 2>/dev/null || :

top=$(cd "$(dirname "$0")/.." && pwd)
BIN=$top/build/bin
R=$top/build/demo
TAB=$(printf '\t')
export BIN

die() { echo "demo: $*" >&2; exit 1; }
for p in snapback snaprotate retain pii-hash envlink envguard auditlog; do
	[ -x "$BIN/$p" ] || die "$BIN/$p: not found (run make first)"
done
T0=$(date +%s.%N)
secs() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
# Paths in what is shown are relative to build/demo.
rel() { sed "s|$R/||g"; }
section() { printf '\n\n=== %s\n\n' "$*"; }
# cmd TEXT: show a command line, as TEXT says it.
cmd() { printf '$ %s\n' "$*"; }

if [ -e "$R" ]; then
	chmod -R u+rwX "$R" 2>/dev/null
	rm -rf "$R" || die "$R: cannot remove the previous demo"
fi
mkdir -p "$top/build"
sh "$top/demo/mktree.sh" "$R" || die "demo/mktree.sh failed"

M=$R/srv/master
EXPORT=$(ls "$M"/raw/exports/users_*.csv)
ndb=$(ls "$R/srv/backups/db" | grep -c '\.db$')
ngold=$(ls "$R/srv/backups/gold" | grep -c '^gold_[0-9_]*$')
echo "datakeep demo: a sample server in build/demo (made in $(secs "$T0") s);"
echo "paths below are relative to it."
echo
printf '  %-10s %s\n' \
    production "srv/master: the nine layers (raw shared; bronze ... dashboard)" \
    export "$(echo "$EXPORT" | rel): $(($(wc -l <"$EXPORT") - 1)) users, e-mails, IPs, names" \
    database "srv/data/simulation.db: $(wc -c <"$R/srv/data/simulation.db") bytes, binary" \
    logs "srv/data/logs: $(find "$R/srv/data/logs" -type f | wc -l) files over two years" \
    records "srv/data/audit: $(ls "$R/srv/data/audit" | wc -l) yearly files; srv/data/transactions: $(ls "$R/srv/data/transactions" | wc -l) ledgers" \
    app "var/lib/app: $(ls "$R/var/lib/app/tokens" | wc -l) tokens, $(find "$R/var/lib/app/sessions" -type f | wc -l) sessions" \
    snapshots "srv/backups/db: $ndb, srv/backups/gold: $ngold, one a day for a month" \
    dev "srv/envs/dev: raw -> $(readlink "$R/srv/envs/dev/raw" | rel), 8 layers of its own" \
    policy "etc/datakeep/retain.conf: conf/retain.conf, paths under build/demo" \
    audit "var/log/datakeep/audit.log; its k_0 in offhost/, as if off the host"

# --- the nightly job ------------------------------------------------------------------

section "1. The nightly job: conf/nightly.sh"
NIGHTLY="env DATAKEEP_BIN=$BIN MASTER=$M PROD_DATA=$R/srv/data
    BACKUPS=$R/srv/backups DEV_ENV=$R/srv/envs/dev
    AUDITLOG=$R/var/log/datakeep/audit.log PII_KEY=$R/etc/datakeep/pii.key
    RETAIN_POLICY=$R/etc/datakeep/retain.conf
    NIGHTLY_LOGS=$R/var/log/datakeep/nightly"
echo '$ DATAKEEP_BIN=build/bin MASTER=srv/master ... sh conf/nightly.sh'
T1=$(date +%s.%N)
# Word splitting of NIGHTLY is wanted: the paths have no blanks.
# shellcheck disable=SC2086
$NIGHTLY DEV_JOB="sh $top/demo/transform.sh" sh "$top/conf/nightly.sh" \
    >"$R/nightly.out" 2>"$R/nightly.err"
rc=$?
rel <"$R/nightly.out" | sed '/^checkpoint:/,$d' | expand -t 8,24
echo "(exit $rc in $(secs "$T1") s; the checkpoint it printed is in section 6)"
[ ! -s "$R/nightly.err" ] || { echo "standard error:"; rel <"$R/nightly.err"; }
RUNLOG=$(sed -n 's/^log: //p' "$R/nightly.out")
[ "$rc" -eq 0 ] || die "the nightly job failed; see $RUNLOG"
# steplines STEP: the output of STEP in the run log.
steplines() {
	awk -v s="== $1:" 'index($0, s) == 1 { on = 1; next }
	    /^== / { on = 0 } on && NF' "$RUNLOG"
}

# --- snapshots --------------------------------------------------------------------

section "2. Snapshots: made, kept and removed, and why (snaprotate -v)"
echo "Tonight's snapshots (snapback create; unchanged files of the gold tree"
echo "are hard links to the previous snapshot's):"
steplines snapshot-db | grep -v '^copy ' | rel | sed 's/^/  /'
steplines snapshot-gold | grep -v '^copy ' | rel | sed 's/^/  /'
echo
echo "srv/backups/db, rotated with --keep-last 7 --keep-daily 14"
echo "--keep-weekly 8 --keep-monthly 12 --min-free 10% (oldest first;"
echo "REASONS say which rule keeps a snapshot, BYTES what a removal freed):"
echo
steplines rotate-db | expand -t 8,40 | sed 's/^/  /'
echo
echo "srv/backups/gold, the same rules: $(steplines rotate-gold | awk -F "$TAB" \
    '$1 == "total" { print $2 ", " $3 }')."
cmd snapback verify -d srv/backups/db all
"$BIN/snapback" verify -d "$R/srv/backups/db" all && echo "(all verified)"

# --- retention ------------------------------------------------------------------------

section "3. Retention: retain -f etc/datakeep/retain.conf"
echo "What the policy removed or archived (retain -v prints one line per"
echo "action, counted here per directory of the policy; emptied directories"
echo "count as deletions with prune-dirs):"
echo
steplines retain | awk -F "$TAB" -v pol="$R/etc/datakeep/retain.conf" -v r="$R/" '
	BEGIN {	# the policy: DIR PATTERN AGE ACTION [DEST]
		while ((getline l <pol) > 0)
			if (l !~ /^[ \t]*(#|$)/) {
				split(l, w, /[ \t]+/)
				age[w[1]] = w[3]
				dest[w[1]] = w[4] == "archive" ? w[5] : ""
			}
	}
	{	d = ""	# the DIR of the policy line: the longest that holds it
		for (x in age)
			if (index($2, x "/") == 1 && length(x) > length(d)) d = x
		k = $1 " " d
		if (!(k in n)) order[++m] = k
		n[k]++
	}
	END {
		for (i = 1; i <= m; i++) {
			split(order[i], a, " ")
			printf "  %-8s %4d  %-25s older than %s%s\n", a[1],
			    n[order[i]], substr(a[2], length(r) + 1), age[a[2]],
			    (a[1] == "archive" ? ", into " substr(dest[a[2]], length(r) + 1) : "")
		}
	}'
echo
echo "Kept: $(ls "$R/var/lib/app/tokens" | wc -l) tokens younger than 12 hours," \
    "$(find "$R/var/lib/app/sessions" -type f | wc -l) sessions younger than 37 days,"
echo "$(find "$R/srv/data/logs" -name '*.log*' | wc -l) logs younger than 90 days and the README no pattern matches,"
echo "the audit files and ledgers younger than 7 years (ledgers by the dates in"
echo "their names); the archive now holds $(find "$R/srv/archive" -type f | wc -l) files."

# --- pseudonymization -------------------------------------------------------------------

section "4. Pseudonymization: pii-hash $(echo "$EXPORT" | rel) into dev's bronze"
OUTCSV=$R/srv/envs/dev/bronze/${EXPORT##*/}
echo "Raw, in production (srv/master/raw/exports):"
head -n 4 "$EXPORT" | sed 's/^/  /'
echo
echo "In dev (srv/envs/dev/bronze), keyed HMAC-SHA256 of the e-mail (lower-"
echo "cased first) and of the IP, the name redacted; hashes cut at 24 here:"
head -n 4 "$OUTCSV" | sed 's/\([0-9a-f]\{24\}\)[0-9a-f]\{40\}/\1../g; s/^/  /'
echo
n_at=$(grep -c @ "$OUTCSV")
raw_in_dev=$(awk -F, 'NR > 1 { print $2 }' "$EXPORT" | grep -F -c -f - "$OUTCSV")
echo "Lines of dev's copy holding an '@': $n_at; holding a raw address: $raw_in_dev."
echo
echo "The same address gives the same pseudonym wherever the key is used, as"
echo "typed or in lower case (NORM email), so tables still join:"
cmd "printf 'email\\nAnna.Larsen@Example.ORG \\nanna.larsen@example.org\\n' |"
echo "    pii-hash -k etc/datakeep/pii.key -l 24 email:hmac:email"
printf 'email\nAnna.Larsen@Example.ORG \nanna.larsen@example.org\n' |
    "$BIN/pii-hash" -k "$R/etc/datakeep/pii.key" -l 24 email:hmac:email |
    sed 's/^/  /'

# --- the guard ------------------------------------------------------------------------

section "5. The guard: production is read-only to the dev job"
echo "The nightly job ran pii-hash and the dev job under"
echo "envguard run -r srv/master -r srv/data -r srv/backups, after proving it:"
grep "^ok${TAB}guard" "$R/nightly.out" | rel | expand -t 8,24 | sed 's/^/  /'
echo
before=$(sha256sum <"$M/gold/plan_summary.csv")
cmd "envguard run -r srv/master -- sh -c 'echo tampered >>srv/master/gold/plan_summary.csv'"
"$BIN/envguard" run -r "$M" -- sh -c "echo tampered >>$M/gold/plan_summary.csv" 2>&1 |
    rel | sed 's/^/  /'
echo "  (as root, the guard's second tier, a read-only bind mount, answers first)"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	chmod 1777 "$M/reports"
	echo
	echo "As an unprivileged user, on a layer whose mode lets anyone write"
	echo "(chmod 1777 srv/master/reports, a mistake), Landlock refuses:"
	cmd "setpriv --reuid=65534 --regid=65534 --clear-groups \\"
	echo "    envguard run -r srv/master -- sh -c 'echo x >srv/master/reports/x'"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$BIN/envguard" run -r "$M" -- sh -c "echo x >$M/reports/x" 2>&1 |
	    rel | sed 's/^/  /'
	chmod 755 "$M/reports"
fi
echo
after=$(sha256sum <"$M/gold/plan_summary.csv")
[ "$before" = "$after" ] && [ ! -e "$M/reports/x" ] &&
    echo "Production is unchanged.  envguard check says the same before a copy:"
cmd DATA_ENV=dev envguard check -p prod=srv/master srv/envs/dev/gold/x.csv srv/envs/dev/raw/x.csv
DATA_ENV=dev "$BIN/envguard" check -p prod="$M" "$R/srv/envs/dev/gold/x.csv" \
    "$R/srv/envs/dev/raw/x.csv" | rel | expand -t 8,32 | sed 's/^/  /'
echo "  (dev/gold/x.csv is allowed and gets no line; dev/raw is the shared"
echo "  layer, a link into production)"

# --- the audit log ----------------------------------------------------------------------

section "6. The audit log: var/log/datakeep/audit.log"
echo "Records by program and type (every change the programs made, the"
echo "guarded steps' start and end, the guard's denial):"
awk '{ p = ""; t = ""
	for (i = 2; i <= NF; i++) {
		if ($i ~ /^prog=/) p = substr($i, 6)
		if ($i ~ /^type=/) t = substr($i, 6)
	}
	n[p " " t]++ }
	END { for (k in n) printf "  %5d  %s\n", n[k], k }' \
    "$R/var/log/datakeep/audit.log" | sort -k2
echo
echo "The guard's record:"
grep ' type=guard\.denied ' "$R/var/log/datakeep/audit.log" | rel |
    sed 's/ mac=.*/ mac=.../; s/^/  /' | fold -w 76 | sed '2,$s/^/    /'
echo
sed -n '/^checkpoint:/,$p' "$R/nightly.out" | sed 1d >"$R/offhost/checkpoint"
echo "The checkpoint the job printed (cron mails it off the host):"
sed 's/^/  /' "$R/offhost/checkpoint"
echo
echo "Checked off the host, with k_0 and the checkpoint:"
cmd auditlog verify -k offhost/audit.k0 -p offhost/audit.log.pub \
    -c offhost/checkpoint var/log/datakeep/audit.log
(cd "$R" && "$BIN/auditlog" verify -k offhost/audit.k0 -p offhost/audit.log.pub \
    -c offhost/checkpoint var/log/datakeep/audit.log) 2>&1 | sed 's/^/  /'

section "Done in $(secs "$T0") s"
echo "Everything is in build/demo; the job's own log is $(echo "$RUNLOG" | rel)."
echo "Copy conf/nightly.sh, conf/retain.conf, conf/layers.conf and"
echo "conf/crontab.example to start; man datakeep (man/datakeep.7) explains."
