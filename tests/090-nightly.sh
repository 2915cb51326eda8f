#!/bin/sh
# 090-nightly: conf/nightly.sh on a sample server from demo/mktree.sh:
# snapshots made, rotated and verified, the retention policy applied to
# the file, the exports pseudonymized into dev, the guard's denial
# recorded, the audit log verified; a second run; failed steps named and
# the others done; configuration errors.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"

top=$(cd "$TESTS/.." && pwd)
TAB=$(printf '\t')
TZ=UTC
export TZ
unset AUDITLOG DATA_ENV ENVGUARD_PROTECT

# The guarded steps need Landlock (ABI 3, which stops truncation).
mkdir probe
if ! "$BIN/envguard" run -r "$T/probe" -- true 2>/dev/null; then
	echo "1..0 # SKIP envguard run does not work here (Landlock ABI 3 needed)"
	exit 0
fi

plan 80

R=$T/root
M=$R/srv/master
BK=$R/srv/backups
DEVENV=$R/srv/envs/dev
LOG=$R/var/log/datakeep/audit.log
status 'demo/mktree.sh makes a small sample server' 0 env DEMO_USERS=300 \
    DEMO_LOGS=60 DEMO_DAYS=20 DEMO_DB_KB=64 BIN="$BIN" \
    sh "$top/demo/mktree.sh" "$R"
[ -d "$M/raw" ] || { diag "no tree, giving up"; exit 1; }
EXPORT=$(ls "$M"/raw/exports/users_*.csv)

# --- the shipped configuration parses ---------------------------------------------

status 'conf/retain.conf (its paths under the tree) passes a dry run' 0 \
    "$BIN/retain" -n -f "$R/etc/datakeep/retain.conf"
same 'conf/layers.conf made the dev environment: raw shared, 8 isolated' \
    'shared|8' \
    "$(sed -n 's/^layer raw //p' "$DEVENV/.envlink")|$(grep -c ' isolated$' "$DEVENV/.envlink")"
bad=$(awk '!/^#/ && NF && !/^[A-Z_]+=/ && NF < 6' "$top/conf/crontab.example")
same 'every line of conf/crontab.example has five times and a command' '' "$bad"
progs=$(awk '!/^#/ && NF > 5 && !/^[A-Z_]+=/ { print $6 }' \
    "$top/conf/crontab.example" | sort -u | tr '\n' ' ')
same 'its commands are datakeep programs and the nightly job' \
    '/etc/datakeep/nightly.sh auditlog retain snapback ' "$progs"

# nightly [VAR=VALUE...]: run conf/nightly.sh on the tree.
nightly() {
	env DATAKEEP_BIN="$BIN" MASTER="$M" PROD_DATA="$R/srv/data" \
	    BACKUPS="$BK" DEV_ENV="$DEVENV" AUDITLOG="$LOG" \
	    PII_KEY="$R/etc/datakeep/pii.key" \
	    RETAIN_POLICY="$R/etc/datakeep/retain.conf" \
	    NIGHTLY_LOGS="$R/var/log/datakeep/nightly" \
	    DEV_JOB="sh $top/demo/transform.sh" "$@" sh "$top/conf/nightly.sh"
}
# The snapshots of a backup directory, on one line.
snaps() { (cd "$1" && ls -d "$2"_[0-9]*[0-9]"$3" | grep -v '\.sha256$' | tr '\n' ' '); }
# The output of STEP in the newest run log.
steplines() {
	awk -v s="== $1:" 'index($0, s) == 1 { on = 1; next }
	    /^== / { on = 0 } on && NF' "$(ls "$R"/var/log/datakeep/nightly/nightly_*.log |
	    tail -n 1)"
}
# checkpoint OUTPUT FILE: the checkpoint a run printed, into FILE.
checkpoint() { sed -n '/^checkpoint:$/,$p' "$1" | sed 1d >"$2"; }
gold_before=$(cat "$M/gold/plan_summary.csv")
mtime() { stat -c %Y "$1"; }

# --- the first run ---------------------------------------------------------------------

status 'the nightly job succeeds' 0 nightly
cp "$OUT" run1.out
same 'every step is ok, nothing on stderr' \
    'snapshot-db rotate-db snapshot-gold rotate-gold retain envcheck guard pseudonymize dev-job audit-verify|' \
    "$(awk -F "$TAB" '$1 == "ok" { printf "%s%s", sep, $2; sep = " " }' run1.out)|$(cat "$ERR")"
db1=$(awk -F "$TAB" '$2 == "snapshot-db" { print $3 }' run1.out)
gold1=$(awk -F "$TAB" '$2 == "snapshot-gold" { print $3 }' run1.out)
ok "tonight's database snapshot and its manifest exist" \
    test -f "$db1" -a -f "$db1.sha256"
ok "tonight's gold snapshot and its manifest exist" \
    test -d "$gold1" -a -f "$gold1.sha256"
same 'latest points to them' "${db1##*/}|${gold1##*/}" \
    "$(readlink "$BK/db/latest.db")|$(readlink "$BK/gold/latest")"
status 'every database snapshot verifies' 0 "$BIN/snapback" verify -d "$BK/db" all
status 'every gold snapshot verifies' 0 "$BIN/snapback" verify -d "$BK/gold" all
ok 'and sha256sum -c agrees for tonight'"'"'s gold' \
    sh -c "cd '$BK/gold' && sha256sum -c --quiet '${gold1##*/}.sha256'"
kept=$(steplines rotate-db | awk -F "$TAB" '$1 == "keep" { printf "%s ", $2 }')
removed=$(steplines rotate-db | awk -F "$TAB" '$1 == "remove" { printf "%s ", $2 }')
same 'the database snapshots left are those the rotation kept' "$kept" \
    "$(snaps "$BK/db" simulation .db)"
ok 'it removed some (older than 14 days, not the last of their week)' \
    test -n "$removed"
gone=
for s in $removed; do [ ! -e "$BK/db/$s" ] && [ ! -e "$BK/db/$s.sha256" ] || gone=no; done
same 'with their manifests' '' "$gone"
same 'the gold snapshots left are those its rotation kept' \
    "$(steplines rotate-gold | awk -F "$TAB" '$1 == "keep" { printf "%s ", $2 }')" \
    "$(snaps "$BK/gold" gold '')"
status 'the policy holds: a dry run of it now removes nothing' 0 \
    "$BIN/snaprotate" -n -d "$BK/db" --keep-last 7 --keep-daily 14 \
    --keep-weekly 8 --keep-monthly 12 --min-free 10%
same 'saying so' 'remove 0' "$(awk -F "$TAB" '$1 == "total" { print $3 }' "$OUT")"
same 'the oldest snapshot is kept (a counter not spent keeps it)' 'oldest' \
    "$(steplines rotate-db | awk -F "$TAB" 'NR == 1 && $1 == "keep" { print $3 }')"

# Retention, file by file: tokens an hour apart (half past), sessions 36
# hours apart, logs 40 days apart, yearly audit files, quarterly ledgers.
A=$R/var/lib/app
same 'tokens: 11.5 hours old kept, 12.5 hours old deleted, 12 left' \
    'yes no 12' \
    "$(test -e "$A/tokens/tok-11.tok" && echo yes || echo no) $(test -e "$A/tokens/tok-12.tok" && echo yes || echo no) $(ls "$A/tokens" | wc -l)"
same 'sessions: 36 days kept, 37.5 deleted, emptied directories pruned' \
    'yes no yes no' \
    "$(test -e "$A/sessions/user6/sess-24" && echo yes || echo no) $(test -e "$A/sessions/user6/sess-25" && echo yes || echo no) $(test -d "$A/sessions/user6" && echo yes || echo no) $(test -e "$A/sessions/user7" && echo yes || echo no)"
L=$R/srv/data/logs
same 'logs: current, 40 and 80 days kept, 120 and older deleted' \
    'sim.log sim.log.1.gz sim.log.2.gz|web.log web.log.1.gz web.log.2.gz' \
    "$(names "$L/sim")|$(names "$L/web")"
same 'the legacy directory it emptied is gone, the README no pattern matches stays' \
    'README sim web worker' "$(names "$L")"
y=$(date -u +%Y)
same 'audit files over 7 years old archived, content and all' \
    "audit-$((y - 9)).csv audit-$((y - 8)).csv|$((y - 9))-06-01T09:00:00Z,admin,export" \
    "$(names "$R/srv/archive/audit")|$(sed -n 2p "$R/srv/archive/audit/audit-$((y - 9)).csv")"
ok 'younger ones stay' test -f "$R/srv/data/audit/audit-$((y - 6)).csv"
oldest_tx=$(ls "$R/srv/archive/transactions" | sed -n 1p)
newest_tx=$(date -u +tx-%Y-%m-01.csv)
ok 'ledgers over 7 years old by their names archived, the newest kept' \
    test -f "$R/srv/archive/transactions/$oldest_tx" -a \
    ! -e "$R/srv/data/transactions/$oldest_tx" -a \
    -f "$R/srv/data/transactions/$newest_tx"
same 'no ledger left is dated over 7 years back' '' \
    "$(ls "$R/srv/data/transactions" | awk -v y="$y" -v m="$(date -u +%m)" \
    '{ split(substr($0, 4, 7), d, "-"); if ((y - d[1]) * 12 + m - d[2] > 84) print }')"
ok 'ledgers archived more than 10 years ago are deleted from the archive' \
    test ! -e "$R/srv/archive/transactions/tx-$((y - 12))-01-01.csv"
same "the nightly job's logs: 30 and 60 days kept, 95 and 120 deleted, tonight's there" \
    3 "$(ls "$R/var/log/datakeep/nightly" | wc -l)"

# Pseudonymization.
PSEUDO=$DEVENV/bronze/${EXPORT##*/}
ok "dev's bronze has the export, pseudonymized" test -f "$PSEUDO"
same 'as many lines, the same header' \
    "$(wc -l <"$EXPORT") $(sed -n 1p "$EXPORT")" \
    "$(wc -l <"$PSEUDO") $(sed -n 1p "$PSEUDO")"
same 'no @ in it' 0 "$(grep -c @ "$PSEUDO")"
awk -F, 'NR > 1 { print $2; print tolower($2); print $3 }' "$EXPORT" >raw.values
same 'no raw e-mail address nor IP address of the export in it' 0 \
    "$(grep -c -F -f raw.values "$PSEUDO")"
same 'every name redacted, the other columns as they were' \
    "$(awk -F, 'NR > 1 { print $1, $NF }' "$EXPORT" | md5sum)|0" \
    "$(awk -F, 'NR > 1 { print $1, $NF }' "$PSEUDO" | md5sum)|$(awk -F, 'NR > 1 && $4 != "REDACTED"' "$PSEUDO" | wc -l)"
# The first user's address, hashed independently: HMAC-SHA256 under the key.
if command -v openssl >/dev/null 2>&1; then
	e=$(awk -F, 'NR == 2 { print tolower($2) }' "$EXPORT")
	k=$(cat "$R/etc/datakeep/pii.key")
	same 'the pseudonym is HMAC-SHA256 of the address under the key' \
	    "$(printf %s "$e" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$k" | sed 's/.* //')" \
	    "$(awk -F, 'NR == 2 { print $2 }' "$PSEUDO")"
else
	skip 'the pseudonym is HMAC-SHA256 of the address under the key' 'no openssl'
fi
ok 'the production export is untouched' \
    test "$(grep -c @ "$EXPORT")" -eq "$(($(wc -l <"$EXPORT") - 1))"

# The guard and the dev job.
like 'the guard refused a write into production, and says why' \
    "*write into $M/.nightly-guard-probe refused: *" \
    "$(awk -F "$TAB" '$2 == "guard" { print $3 }' run1.out)"
ok 'nothing of the probe is left in production' test ! -e "$M/.nightly-guard-probe"
like 'the denial is in the audit log' "*prog=auditlog type=guard.denied msg=write%20into*refused*" \
    "$(grep ' type=guard\.denied ' "$LOG")"
same "the dev job's summary counts every user" 300 \
    "$(awk -F, 'NR > 1 { n += $2 } END { print n }' "$DEVENV/gold/plan_summary.csv")"
same "production's gold is as it was" "$gold_before" "$(cat "$M/gold/plan_summary.csv")"
like 'the dev job ran under the guard, in the audit log' \
    "*type=dev-job.start cwd=$DEVENV argv0=envguard argv1=run argv2=-r argv3=$M *" \
    "$(grep ' type=dev-job\.start ' "$LOG")"
# Run by the owner of the master, check warns that raw is writable (by
# that user, outside the guard); as root, the guard's read-only mount
# makes it read-only there too.
if [ "$(id -u)" -eq 0 ]; then want="$DEVENV: 9 layers ok"; else
	want="$DEVENV: 8 layers ok, writable outside the guard: raw by uid $(id -u)"
fi
same 'envlink check found the layers of dev right' "$want" \
    "$(awk -F "$TAB" '$2 == "envcheck" { print $3 }' run1.out)"

# The audit log.
status 'the audit log verifies with k_0' 0 "$BIN/auditlog" verify \
    -k "$R/offhost/audit.k0" "$LOG"
checkpoint run1.out cp1
status 'and against the checkpoint the job printed' 0 "$BIN/auditlog" verify \
    -p "$R/offhost/audit.log.pub" -c cp1 "$LOG"
same 'the log has each change: 2 snapshots, a removal per snapshot removed' \
    "2 $(($(echo $removed | wc -w) + $(steplines rotate-gold | grep -c '^remove')))" \
    "$(grep -c ' type=snapshot ' "$LOG") $(grep -c ' prog=snaprotate type=remove ' "$LOG")"
same 'a deletion or archive per retain action' \
    "$(steplines retain | wc -l)" "$(grep -c ' prog=retain type=' "$LOG")"
same 'and the run framed: nightly.start, nightly.end ok' '1 ok' \
    "$(grep -c ' type=nightly\.start ' "$LOG") $(sed -n 's/.* type=nightly\.end msg=\([^ ]*\) .*/\1/p' "$LOG")"

# --- the second run ------------------------------------------------------------------------

find "$R/srv/data" "$R/var/lib" "$R/srv/archive" | sort >files.before
nrec=$(wc -l <"$LOG")
status 'a second run succeeds too' 0 nightly
cp "$OUT" run2.out
same 'every step ok again' 10 "$(grep -c "^ok$TAB" run2.out)"
db2=$(awk -F "$TAB" '$2 == "snapshot-db" { print $3 }' run2.out)
ok 'with a new database snapshot' test "$db2" != "$db1" -a -f "$db2.sha256"
same 'latest points to it' "${db2##*/}" "$(readlink "$BK/db/latest.db")"
status 'all snapshots verify' 0 sh -c "'$BIN/snapback' verify -d '$BK/db' all &&
    '$BIN/snapback' verify -d '$BK/gold' all"
same 'retain had nothing left to do' '0 deleted, 0 archived' \
    "$(awk -F "$TAB" '$2 == "retain" { print $3 }' run2.out)"
same 'nothing else of the data changed' '' \
    "$(find "$R/srv/data" "$R/var/lib" "$R/srv/archive" | sort | diff files.before - )"
same 'the export, done already, is not pseudonymized again' \
    "nothing new in $M/raw/exports" \
    "$(awk -F "$TAB" '$2 == "pseudonymize" { print $3 }' run2.out)"
checkpoint run2.out cp2
status 'the log verifies against both checkpoints, with k_0' 0 \
    "$BIN/auditlog" verify -k "$R/offhost/audit.k0" \
    -p "$R/offhost/audit.log.pub" -c cp1 -c cp2 "$LOG"
ok 'and grew' test "$(wc -l <"$LOG")" -gt "$nrec"
touch "$EXPORT"
status 'a newer export is pseudonymized again' 0 nightly
same 'saying so' "into $DEVENV/bronze: ${EXPORT##*/}" \
    "$(awk -F "$TAB" '$2 == "pseudonymize" { print $3 }' "$OUT")"
ok 'and no temporary is left in bronze' test "$(names "$DEVENV/bronze")" = \
    "${EXPORT##*/}"

# --- failures ----------------------------------------------------------------------------

touch "$EXPORT"
latest=$(readlink "$BK/db/latest.db")
status 'a run with a missing policy and key fails' 1 nightly \
    RETAIN_POLICY="$T/nothere.conf" PII_KEY="$T/nothere.key"
same 'naming the failed and the skipped steps last, on stderr' \
    'nightly: failed: retain pseudonymize (skipped: dev-job)' \
    "$(tail -n 1 "$ERR")"
like 'with what retain said' "*nightly: retain: retain: $T/nothere.conf:*" \
    "$(cat "$ERR")"
same 'the summary says the same' \
    "FAILED retain|FAILED pseudonymize|skipped dev-job" \
    "$(awk -F "$TAB" '$1 != "ok" && NF == 3 { printf "%s%s %s", sep, $1, $2; sep = "|" }' "$OUT")"
same 'the independent steps ran: snapshots, rotation, checks, verify' \
    'snapshot-db rotate-db snapshot-gold rotate-gold envcheck guard audit-verify' \
    "$(awk -F "$TAB" '$1 == "ok" { printf "%s%s", sep, $2; sep = " " }' "$OUT")"
ok 'a snapshot was made' test "$(readlink "$BK/db/latest.db")" != "$latest"
like 'the audit log records the failure' \
    '*type=nightly.end msg=failed%3Dretain%20pseudonymize%20skipped%3Ddev-job *' \
    "$(grep ' type=nightly\.end ' "$LOG" | tail -n 1)"
status 'and still verifies' 0 "$BIN/auditlog" verify -k "$R/offhost/audit.k0" "$LOG"

# A dev layer turned into a link into production: no dev step runs.
mv "$DEVENV/gold" dev-gold
ln -s "$M/gold" "$DEVENV/gold"
touch "$EXPORT"
status 'a dev layer linked into production fails the run' 1 nightly
like 'envcheck says which layer' "FAILED${TAB}envcheck${TAB}$DEVENV: gold*symlink into the master*" \
    "$(grep "${TAB}envcheck$TAB" "$OUT")"
same 'and the dev steps are skipped' 'skipped pseudonymize|skipped dev-job' \
    "$(awk -F "$TAB" '$1 == "skipped" { printf "%s%s %s", sep, $1, $2; sep = "|" }' "$OUT")"
same "production's gold is as it was" "$gold_before" "$(cat "$M/gold/plan_summary.csv")"
rm "$DEVENV/gold"
mv dev-gold "$DEVENV/gold"

status 'programs not found: a configuration error' 2 env PATH=/usr/bin:/bin \
    DATAKEEP_BIN="$T/nothere" AUDITLOG="$LOG" sh "$top/conf/nightly.sh"
like 'saying which' 'nightly: snapback: not found in PATH*' "$(cat "$ERR")"
status 'no audit log: a configuration error' 2 nightly AUDITLOG="$T/nothere.log"
same 'saying so, before anything is done' \
    "nightly: $T/nothere.log: no audit log (make it once with auditlog init)|" \
    "$(cat "$ERR")|$(cat "$OUT")"
status 'a relative path: a configuration error' 2 nightly BACKUPS=backups
same 'naming the variable' 'nightly: BACKUPS: not an absolute path: backups' \
    "$(cat "$ERR")"
