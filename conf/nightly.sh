#!/bin/sh
# nightly.sh - the nightly data-safety job of one server, made of the
# datakeep programs and POSIX sh.
# SPDX-License-Identifier: ISC
#
# Copy it to /etc/datakeep/nightly.sh, set the variables below, and run it
# from root's crontab at 02:00 (conf/crontab.example).  In order:
#
#   snapshot-db     snapback create of the production database file
#   rotate-db       snaprotate of its snapshots: --keep-last 7
#                   --keep-daily 14 --keep-weekly 8 --keep-monthly 12
#                   --min-free 10% (ROTATE)
#   snapshot-gold   snapback create of the production gold layer
#   rotate-gold     the same rotation for its snapshots
#   retain          retain -f RETAIN_POLICY: tokens, sessions, logs,
#                   records past their age (conf/retain.conf)
#   envcheck        envlink check of the dev environment
#   guard           a write into production from inside the guard
#                   (envguard run -r on MASTER, PROD_DATA, BACKUPS) must
#                   be refused: proof that the sandbox holds tonight
#   pseudonymize    pii-hash of each raw export that dev has not got yet
#                   (new or newer) into the dev bronze layer, under the
#                   guard
#   dev-job         DEV_JOB, the dev transformation, under the guard, in
#                   the dev environment (envlink env)
#   audit-verify    auditlog verify of the audit log, then a checkpoint
#                   printed last, for cron to mail off the host
#
# Everything is recorded in the audit log AUDITLOG: the programs append a
# record for every change they make (snapshots, removals, deletions,
# archives), `auditlog exec` records the start, end and exit status of
# the guarded steps, and nightly.start/nightly.end records frame the run.
# envcheck runs under the guard too, so that it judges the environment as
# the dev job sees it: as root outside it, every shared layer of the
# master is writable and check would always warn.
#
# When a step fails, the steps that do not depend on it still run, and
# the failures are reported together at the end: a failed rotation must
# not cost tonight's retention, nor a missing export the backups.  What
# depends on a failed step is skipped, and said so: no rotation after a
# failed snapshot (the old snapshots are all there is), no dev step when
# the environment is broken or the guard does not hold.  That is a choice
# for a job nobody watches; `set -e` would stop at the first failure.
#
# Output: one line per step on standard output, `ok|FAILED|skipped<TAB>
# STEP<TAB>what', then the checkpoint; what failed also goes to standard
# error, `nightly: STEP: message'.  Everything the programs said (-v) is
# kept in NIGHTLY_LOGS/nightly_YYYYmmdd_HHMMSS.log, which retain.conf
# expires after 90 days.
#
# Exit status: 0 every step succeeded; 1 a step failed (named on standard
# error); 2 the job cannot start (a program or the audit log missing, a
# relative path), and nothing was done.
#
# Each variable may also be given in the environment (the demo and the
# tests do); paths must be absolute.

: "${DATAKEEP_BIN:=}"			# the programs' directory; empty: PATH
: "${MASTER:=/srv/master}"		# production's data root: the layers
: "${PROD_DATA:=/srv/data}"		# production's database, logs, records
: "${DATABASE:=$PROD_DATA/simulation.db}" # the production database file
: "${BACKUPS:=/srv/backups}"		# snapshots: BACKUPS/db, BACKUPS/gold
: "${DEV_ENV:=/srv/envs/dev}"		# the dev environment (envlink init)
: "${AUDITLOG:=/var/log/datakeep/audit.log}"	# made by auditlog init
: "${PII_KEY:=/etc/datakeep/pii.key}"		# pii-hash genkey, mode 0600
: "${RETAIN_POLICY:=/etc/datakeep/retain.conf}"
: "${EXPORTS:=$MASTER/raw/exports}"	# the raw exports: *.csv
: "${PII_COLUMNS:=email:hmac:email ip:hmac:ip name:redact}"
: "${DEV_JOB:=}"			# a command line; empty: no dev job
: "${NIGHTLY_LOGS:=/var/log/datakeep/nightly}"
: "${ROTATE:=--keep-last 7 --keep-daily 14 --keep-weekly 8 --keep-monthly 12 --min-free 10%}"
: "${LOCK_WAIT:=600}"			# seconds to wait for a busy backup dir
: "${DATA_ENV:=prod}"			# the environment this job runs in
export AUDITLOG DATA_ENV

# --- helpers ------------------------------------------------------------------

TAB=$(printf '\t')
failed=
skipped=

if [ -n "$DATAKEEP_BIN" ]; then
	PATH=$DATAKEEP_BIN:$PATH
	export PATH
fi

die2() { echo "nightly: $*" >&2; exit 2; }

for p in snapback snaprotate retain pii-hash envlink envguard auditlog; do
	command -v "$p" >/dev/null 2>&1 ||
	    die2 "$p: not found in PATH${DATAKEEP_BIN:+ (DATAKEEP_BIN=$DATAKEEP_BIN)}"
done
for v in MASTER PROD_DATA DATABASE BACKUPS DEV_ENV AUDITLOG PII_KEY \
    RETAIN_POLICY EXPORTS NIGHTLY_LOGS; do
	eval "val=\$$v"
	# shellcheck disable=SC2154
	case $val in /*) ;; *) die2 "$v: not an absolute path: $val" ;; esac
done
[ -f "$AUDITLOG" ] || die2 "$AUDITLOG: no audit log (make it once with auditlog init)"

W=${TMPDIR:-/tmp}/nightly.$$
mkdir -m 700 "$W" || die2 "$W: cannot make the work directory"
trap 'rm -rf "$W"' EXIT
trap 'exit 1' HUP INT TERM

START=$(date -u +%Y%m%d_%H%M%S)
RUNLOG=$NIGHTLY_LOGS/nightly_$START.log
if ! { mkdir -p "$NIGHTLY_LOGS" && : >>"$RUNLOG"; } 2>/dev/null; then
	echo "nightly: $RUNLOG: cannot write the run log; going on without it" >&2
	RUNLOG=/dev/null
fi

# run STEP CMD [ARG...]: run CMD, its output in $W/out and $W/err and in
# the run log; returns CMD's status.
run() {
	r_step=$1
	shift
	printf '\n== %s: %s\n' "$r_step" "$(printf '%s' "$*" | tr -s '\t\n ' '   ')" \
	    >>"$RUNLOG"
	"$@" >"$W/out" 2>"$W/err"
	r_rc=$?
	cat "$W/out" "$W/err" >>"$RUNLOG"
	[ "$r_rc" -eq 0 ] || printf '== %s: exit %d\n' "$r_step" "$r_rc" >>"$RUNLOG"
	return "$r_rc"
}

ok() { printf 'ok%s%s%s%s\n' "$TAB" "$1" "$TAB" "$2"; }

# fail STEP WHAT: report a failed step, with what it said on stderr.
fail() {
	printf 'FAILED%s%s%s%s\n' "$TAB" "$1" "$TAB" "$2"
	failed="$failed $1"
	if [ -s "$W/err" ]; then
		sed "s/^/nightly: $1: /" "$W/err" >&2
	else
		echo "nightly: $1: $2" >&2
	fi
}

skip() {
	printf 'skipped%s%s%s%s\n' "$TAB" "$1" "$TAB" "$2"
	skipped="$skipped $1"
}

# guard CMD [ARG...]: run CMD with production's trees read-only.
guard() { envguard run -r "$MASTER" -r "$PROD_DATA" -r "$BACKUPS" -- "$@"; }

# guarded TYPE CMD [ARG...]: the same, its start and end in the audit log.
guarded() {
	g_type=$1
	shift
	auditlog exec -t "$g_type" -- \
	    envguard run -r "$MASTER" -r "$PROD_DATA" -r "$BACKUPS" -- "$@"
}

# snapshot STEP SOURCE DIR: a snapshot, then the rotation of DIR.
snapshot() {
	s_name=$1 s_src=$2 s_dir=$3
	if run "snapshot-$s_name" snapback create -v -w "$LOCK_WAIT" -d "$s_dir" "$s_src"
	then
		ok "snapshot-$s_name" "$(cat "$W/out")"
	else
		fail "snapshot-$s_name" "no snapshot of $s_src"
		skip "rotate-$s_name" "no rotation without tonight's snapshot"
		return
	fi
	# ROTATE is split into its words on purpose.
	# shellcheck disable=SC2086
	if run "rotate-$s_name" snaprotate -v -w "$LOCK_WAIT" -d "$s_dir" $ROTATE
	then
		ok "rotate-$s_name" "$(awk -F "$TAB" '$1 == "total" {
		    print $2 ", " $3 ", " $4 " bytes freed" }' "$W/out")"
	else
		fail "rotate-$s_name" "rotation of $s_dir"
	fi
}

# --- the run ---------------------------------------------------------------------

echo "datakeep nightly, $(date -u +%Y-%m-%dT%H:%M:%SZ), $DATA_ENV on $(uname -n)"
echo "log: $RUNLOG"
if ! run start auditlog append -t nightly.start "log=$RUNLOG"; then
	sed 's/^/nightly: /' "$W/err" >&2
	echo "nightly: $AUDITLOG: cannot append to the audit log; nothing done" >&2
	exit 1
fi

snapshot db "$DATABASE" "$BACKUPS/db"
snapshot gold "$MASTER/gold" "$BACKUPS/gold"

if run retain retain -v -f "$RETAIN_POLICY"; then
	ok retain "$(awk -F "$TAB" '{ n[$1]++ } END {
	    printf "%d deleted, %d archived\n", n["delete"], n["archive"] }' "$W/out")"
else
	fail retain "policy $RETAIN_POLICY not fully applied"
fi

# A shared layer writable by the job's own user is no problem for a dev
# job that only ever runs under the guard: said, not failed.
envok=0
run envcheck guarded envcheck envlink check -v "$DEV_ENV"
rc=$?
problems=$(grep -v "^[^$TAB]*${TAB}warning: .* is writable by uid [0-9]*\$" "$W/out")
writable=$(sed -n "s/^\([^$TAB]*\)${TAB}warning: .* is writable by \(uid [0-9]*\)\$/\1 by \2/p" \
    "$W/out" | tr '\n' ' ')
if [ "$rc" -eq 0 ] || { [ "$rc" -eq 1 ] && [ -n "$writable" ] && [ -z "$problems" ]; }
then
	envok=1
	ok envcheck "$DEV_ENV: $(grep -c '^ok ' "$W/err") layers ok${writable:+, writable outside the guard: ${writable% }}"
else
	fail envcheck "$DEV_ENV: $(tr '\t\n' ' ;' <"$W/out")"
fi

# The probe tries to make a file in the master and says why it could not;
# it fails if it could, or if the refusal was for another reason.
probe='p=$1
if err=$( { : >"$p"; } 2>&1 ); then
	rm -f "$p"
	echo "a write into production was allowed: $p" >&2
	exit 1
fi
case $err in
*"Read-only file system"|*"Permission denied"|*"Operation not permitted") ;;
*) echo "$err" >&2; exit 1 ;;
esac
echo "write into $p refused: ${err##*: }"'
guardok=0
if ! run guard guard sh -c "$probe" probe "$MASTER/.nightly-guard-probe"
then
	fail guard "production is not read-only under envguard run"
else
	denied=$(cat "$W/out")
	if run guard auditlog append -t guard.denied "$denied"; then
		guardok=1
		ok guard "$denied"
	else
		fail guard "the denial could not be recorded"
	fi
fi

pii_script='key=$1 in=$2 out=$3
shift 3
tmp=${out%/*}/.${out##*/}.nightly
if pii-hash -k "$key" "$@" <"$in" >"$tmp"; then
	mv -f "$tmp" "$out"
else
	rc=$?
	rm -f "$tmp"
	exit $rc
fi'
piiok=0
if [ "$envok" -eq 0 ] || [ "$guardok" -eq 0 ]; then
	skip pseudonymize "the dev environment or the guard failed"
elif [ ! -d "$EXPORTS" ]; then
	echo "$EXPORTS: no such directory" >"$W/err"
	fail pseudonymize "no exports"
else
	done_=
	bad=
	for src in "$EXPORTS"/*.csv; do
		[ -f "$src" ] || continue
		out=$DEV_ENV/bronze/${src##*/}
		# Done already unless the export is newer than dev's copy.
		[ -f "$out" ] && [ -z "$(find "$src" -prune -newer "$out")" ] &&
		    continue
		# PII_COLUMNS is split into its words on purpose.
		# shellcheck disable=SC2086
		if run pseudonymize guarded pseudonymize sh -c "$pii_script" \
		    pii "$PII_KEY" "$src" "$out" $PII_COLUMNS; then
			done_="$done_ ${src##*/}"
		else
			bad="$bad ${src##*/}"
			cp "$W/err" "$W/pii.err"
		fi
	done
	if [ -n "$bad" ]; then
		cp "$W/pii.err" "$W/err"
		fail pseudonymize "failed:$bad${done_:+; done:$done_}"
	else
		piiok=1
		if [ -n "$done_" ]; then
			ok pseudonymize "into $DEV_ENV/bronze:$done_"
		else
			ok pseudonymize "nothing new in $EXPORTS"
		fi
	fi
fi

if [ -z "$DEV_JOB" ]; then
	ok dev-job "none (DEV_JOB is empty)"
elif [ "$piiok" -eq 0 ]; then
	skip dev-job "its input was not made tonight"
else
	# In a shell of its own, so that DATA_ENV=dev stays with the job.
	# DEV_JOB is split into its words on purpose.
	# shellcheck disable=SC2086
	if run dev-job sh -c 'eval "$(envlink env "$1")" && cd "$DATA_ROOT" &&
	    shift && exec auditlog exec -t dev-job -- "$@"' dev "$DEV_ENV" \
	    envguard run -r "$MASTER" -r "$PROD_DATA" -r "$BACKUPS" -- $DEV_JOB
	then
		ok dev-job "$DEV_JOB"
	else
		fail dev-job "$DEV_JOB"
	fi
fi

if [ -n "$failed" ]; then
	run end auditlog append -t nightly.end "failed=${failed# }${skipped:+ skipped=${skipped# }}"
else
	run end auditlog append -t nightly.end ok
fi

set -- "$AUDITLOG".[0-9]*_[0-9]*
[ -f "$1" ] || shift $#
if run audit-verify auditlog verify "$@" "$AUDITLOG"; then
	ok audit-verify "$(cat "$W/out")"
else
	fail audit-verify "$(head -n 1 "$W/out")"
fi
if run checkpoint auditlog checkpoint; then
	echo "checkpoint:"
	cat "$W/out"
else
	fail checkpoint "no checkpoint"
fi

if [ -n "$failed" ]; then
	echo "nightly: failed:$failed${skipped:+ (skipped:$skipped)}" >&2
	exit 1
fi
exit 0
