#!/bin/sh
# 070-envlink-audit: envlink appends one audit record per change to
# AUDITLOG, and changes nothing when it cannot.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"
. "$TESTS/envlink.sh"

A=$BIN/auditlog
unset AUDITLOG
if [ ! -x "$A" ]; then
	echo "1..0 # SKIP no auditlog built"
	exit 0
fi

plan 29

# The records envlink wrote, without the fields that vary (ts, host,
# env, user, uid, pid, mac).
records() {
	grep ' prog=envlink ' log | sed 's/^dkaudit1 seq=[0-9]* //;
	    s/ts=[^ ]* host=[^ ]* env=[^ ]* user=[^ ]* uid=[^ ]* pid=[^ ]* //;
	    s/ mac=.*//; s/^prog=envlink //'
}

mkdir -p m/raw rel/a rel/b pub/live pub/new
run "$A" init -f log
sed -n 1p "$OUT" >k0

# --- a log that cannot be appended to: nothing changes ----------------------

export AUDITLOG="$P/nolog"
status 'init with an AUDITLOG that is not a log fails' 1 "$E" init m dev
same 'saying so, before changing anything' \
    "envlink: $P/nolog: No such file or directory; nothing changed" \
    "$(cat "$ERR")"
ok 'ENVDIR is not made' test ! -e dev
status 'switch fails too' 1 "$E" switch rel/cur a
same 'and makes no link and no lock file' 'a b' "$(names rel)"
status 'publish fails too' 1 "$E" publish pub/live pub/new
same 'and makes no lock file' 'live new' "$(names pub)"
status 'a dry run opens no log' 0 "$E" init -n m dev
unset AUDITLOG
run "$E" init m dev
export AUDITLOG="$P/nolog"
status 'repair fails too' 1 "$E" repair dev
status 'check changes nothing and needs no log' 1 "$E" check dev
status 'env needs no log' 0 "$E" env dev
same 'nothing reached the real log' '' "$(records)"
unset AUDITLOG
rm -r dev

# --- one record per change -------------------------------------------------------

export AUDITLOG="$P/log"
status 'init with AUDITLOG' 0 "$E" init m dev
same 'one record per change: ENVDIR, each layer, the record' \
    "type=mkdir path=$P/dev
type=link path=$P/dev/raw target=$P/m/raw
$(for l in $ISOLATED; do echo "type=mkdir path=$P/dev/$l"; done)
type=record path=$P/dev/.envlink name=dev master=$P/m" "$(records)"
n=$(records | wc -l)
status 'init again changes nothing' 0 "$E" init m dev
same 'and records nothing' "$n" "$(records | wc -l)"

rm dev/raw
rmdir dev/gold && ln -s ../m/raw dev/gold
ln -s /nowhere dev/.silver.AbC123
status 'repair with AUDITLOG' 1 "$E" repair dev
same 'records each repair and the leftover removed' \
    "type=remove path=$P/dev/.silver.AbC123 why=leftover
type=link path=$P/dev/raw target=$P/m/raw
type=mkdir path=$P/dev/gold was=../m/raw" "$(records | tail -n 3)"
status 'switch with AUDITLOG' 0 "$E" switch rel/cur a
status 'switch again' 0 "$E" switch rel/cur b
same 'records each switch, with the previous target when there was one' \
    "type=switch link=$P/rel/cur target=a
type=switch link=$P/rel/cur target=b previous=a" "$(records | tail -n 2)"
status 'publish with AUDITLOG' 0 "$E" publish pub/live pub/new
same 'records the exchange' "type=publish live=$P/pub/live new=$P/pub/new" \
    "$(records | tail -n 1)"
n=$(records | wc -l)
status 'a dry run' 0 "$E" switch -n rel/cur a
status 'and a refused switch' 1 "$E" switch rel/cur nosuch
same 'record nothing' "$n" "$(records | wc -l)"
status 'the log verifies with its key' 0 "$A" verify -k k0 log
unset AUDITLOG

# Hostile names are recorded byte for byte (percent-encoded).
HD="d e${NL}v"
mkdir -p "$HD"
AUDITLOG=$P/log "$E" switch "$HD/cur" ../rel/a >/dev/null
got=$(grep ' type=switch ' log | tail -n 1 | tr ' ' '\n' |
    sed -n 's/^link=//p' | perl -pe 's/%([0-9A-F]{2})/chr(hex($1))/ge')
same 'a hostile path is recorded exactly' "$P/$HD/cur" "$got"
status 'and the log still verifies' 0 "$A" verify -k k0 log
