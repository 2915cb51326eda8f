#!/bin/sh
# 030-snaprotate: the rules, the protections, --pattern, removal, locking.
# SPDX-License-Identifier: ISC
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/tap.sh"

plan 149

SR=$BIN/snaprotate
TAB=$(printf '\t')
NL='
'
TZ=UTC
export TZ
unset AUDITLOG

# mkbk DIR STAMP...: a snapback directory of /srv/data/db.sqlite holding
# file snapshots at the given UTC stamps (YYYYmmdd_HHMMSS), empty, each
# with an empty manifest; latest.sqlite points to the last one given.
mkbk() {
	d=$1
	shift
	mkdir -p "$d"
	echo /srv/data/db.sqlite >"$d/.snapback"
	for st in "$@"; do
		: >"$d/db_$st.sqlite"
		: >"$d/db_$st.sqlite.sha256"
	done
	ln -sfn "db_$st.sqlite" "$d/latest.sqlite"
}

# decide DIR ARGS...: snaprotate -n -d DIR ARGS, one line per snapshot,
# "keep STAMP REASONS" or "remove STAMP", then the exit status if not 0.
decide() {
	d=$1
	shift
	"$SR" -n -d "$d" "$@" >"$OUT" 2>"$ERR"
	rc=$?
	sed -n "s/^keep${TAB}db_\\(.*\\)\\.sqlite${TAB}/keep \\1 /p
	    s/^remove${TAB}db_\\(.*\\)\\.sqlite${TAB}.*/remove \\1/p" "$OUT"
	[ $rc -eq 0 ] || echo "exit $rc: $(cat "$ERR")"
}

# The words of the input on one line, single spaces.
words() { tr '\t\n' '  ' | tr -s ' ' | sed 's/^ //; s/ $//'; }

# The snapshots left in a snapback directory, by stamp, on one line.
left() {
	LC_ALL=C ls "$1" | sed -n 's/^db_\(.*\)\.sqlite$/\1/p' |
	    tr '\n' ' ' | sed 's/ $//'
}

# --- usage -----------------------------------------------------------------

mkbk bk 20240101_000000 20240102_000000
before=$(names bk)
usage_line='usage: snaprotate [-nv] [-d DIR] [-w SECS] [--pattern PAT] [--now TIME]'
status 'an unknown option is a usage error' 2 "$SR" -d bk -x
same 'it is named, then the usage follows' \
    "snaprotate: -x: unknown option|$usage_line" \
    "$(sed -n 1p "$ERR")|$(sed -n 2p "$ERR")"
status 'an unknown long option is a usage error' 2 "$SR" -d bk --frob=2
same 'it is named without its value' 'snaprotate: --frob: unknown option' \
    "$(sed -n 1p "$ERR")"
status 'an ambiguous abbreviation is a usage error' 2 "$SR" -d bk --keep-w 3
same 'it is called ambiguous' 'snaprotate: --keep-w: ambiguous option' \
    "$(sed -n 1p "$ERR")"
status 'a long option without its value is a usage error' 2 \
    "$SR" -d bk --keep-daily
same 'the option is named' 'snaprotate: --keep-daily: needs a value' \
    "$(sed -n 1p "$ERR")"
status '-d without its value is a usage error' 2 "$SR" -d
same '-d is named' 'snaprotate: -d: needs a value' "$(sed -n 1p "$ERR")"
status 'a negative N is a usage error' 2 "$SR" -d bk --keep-daily -1
same 'the error names the option, the value and the range' \
    'snaprotate: --keep-daily: -1: want a number from 0 to 1000000, or unlimited' \
    "$(cat "$ERR")"
rcs=
for v in abc 1000001 ' 3' 3x +3 ''; do
	run "$SR" -d bk --keep-yearly "$v"
	rcs="$rcs $?"
done
same 'non-numeric, too large, signed or empty N are usage errors' \
    ' 2 2 2 2 2 2' "$rcs"
status 'a malformed duration is a usage error' 2 "$SR" -d bk --keep-within 5x
same 'the error says what a duration is' \
    'snaprotate: --keep-within: 5x: want a duration such as 7d, 2w, 1y6m or 36h (y m w d h min s, each number up to 1000000)' \
    "$(cat "$ERR")"
rcs=
for v in -1d 1d1y 1.5d 2000000d 7; do
	run "$SR" -d bk --keep-within-daily "$v"
	rcs="$rcs $?"
done
same 'negative, disordered, fractional, too large, unitless durations' \
    ' 2 2 2 2 2' "$rcs"
status 'a malformed size is a usage error' 2 "$SR" -d bk --max-size 10X
same 'the --max-size error' \
    'snaprotate: --max-size: 10X: want a size such as 500M or 20G' \
    "$(cat "$ERR")"
rcs=
for v in 101% x% % -5 5q; do
	run "$SR" -d bk --min-free "$v"
	rcs="$rcs $?"
done
same '--min-free over 100%, or not a size or percentage' ' 2 2 2 2 2' "$rcs"
same 'the --min-free error' \
    'snaprotate: --min-free: 5q: want a size such as 500M or 20G, or a percentage from 0% to 100%' \
    "$(cat "$ERR")"
status 'a malformed --now is a usage error' 2 "$SR" -d bk --now yesterday
same 'the --now error' \
    'snaprotate: --now: yesterday: want YYYY-mm-ddTHH:MM:SSZ, YYYY-mm-dd, YYYYmmdd_HHMMSS or @SECONDS' \
    "$(cat "$ERR")"
status '-w above 86400 is a usage error' 2 "$SR" -d bk -w 86401
same 'the -w error' 'snaprotate: -w: 86401: want seconds from 0 to 86400' \
    "$(cat "$ERR")"
status 'an operand is a usage error' 2 "$SR" -d bk extra
same 'it is named' 'snaprotate: extra: unexpected operand' \
    "$(sed -n 1p "$ERR")"
status 'a policy of zeros is refused' 2 \
    "$SR" -d bk --keep-last 0 --keep-daily 0 --keep-within 0d --keep-within-weekly 0h
same 'the refusal says why' \
    'snaprotate: every rule given is zero: refusing a policy that keeps no snapshot (remove them by hand)' \
    "$(cat "$ERR")"
rcs=
for p in 'db_%m%d' 'a/%Y%m%d' '%Y%m%d%q' '%Y%m%d%Y' ''; do
	run "$SR" -d bk --pattern "$p"
	rcs="$rcs $?"
done
same 'patterns without %Y %m %d, with a slash, an unknown or repeated field, empty' \
    ' 2 2 2 2 2' "$rcs"
same 'the pattern error names the pattern and the fault' \
    'snaprotate: --pattern: : empty pattern' "$(cat "$ERR")"
run "$SR" -d bk --pattern 'x_%Y%m%d_%q'
same 'an unknown field is explained' \
    'snaprotate: --pattern: x_%Y%m%d_%q: unknown field (want %Y %m %d %H %M %S, %% or *)' \
    "$(cat "$ERR")"
same 'usage errors changed nothing and took no lock' "$before" "$(names bk)"
status '-h succeeds' 0 "$SR" -h
run "$SR" -x
tail -n +2 "$ERR" >"$TAP_ROOT/usage"
"$SR" -h >"$TAP_ROOT/help"
same '-h prints the usage of a usage error, on stdout' \
    "$(cat "$TAP_ROOT/usage")" "$(cat "$TAP_ROOT/help")"
same 'the usage has 7 lines' 7 "$(wc -l <"$TAP_ROOT/help")"
if command -v mandoc >/dev/null 2>&1; then
	synopsis=$(mandoc -T ascii "$top/man/snaprotate.1" | col -b |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | words)
	same "the usage is the man page's SYNOPSIS" "$synopsis" \
	    "$(sed 's/^usage: //' "$TAP_ROOT/help" | words)"
else
	skip "the usage is the man page's SYNOPSIS" 'mandoc is not installed'
fi
status '-V succeeds' 0 "$SR" -V
same '-V prints the version' 'snaprotate 0.1.0' "$(cat "$OUT")"

# --- a snapback directory ----------------------------------------------------

status 'a missing directory fails' 1 "$SR" -d nosuch
same 'the error names it' 'snaprotate: nosuch: No such file or directory' \
    "$(cat "$ERR")"
mkdir plain
: >plain/db_20240101_000000.sqlite
status 'a directory without .snapback fails' 1 "$SR" -d plain
same 'the error says what it is not, and what to use' \
    'snaprotate: plain: not a snapback directory (no .snapback); --pattern rotates other names' \
    "$(cat "$ERR")"
mkdir badrec
printf 'relative\n' >badrec/.snapback
status 'a malformed .snapback fails' 1 "$SR" -d badrec
same 'the error names the record' \
    'snaprotate: badrec/.snapback: Invalid argument' "$(cat "$ERR")"

mkbk nine 20240101_030000 20240102_030000 20240103_030000 20240104_030000 \
    20240105_030000 20240106_030000 20240107_030000 20240108_030000 \
    20240109_030000
before=$(names nine)
status 'without rules: -n keeps the last 7' 0 "$SR" -n -d nine
same '-n prints one line per snapshot, oldest first, then the totals' \
    "remove${TAB}db_20240101_030000.sqlite${TAB}0
remove${TAB}db_20240102_030000.sqlite${TAB}0
keep${TAB}db_20240103_030000.sqlite${TAB}last#7
keep${TAB}db_20240104_030000.sqlite${TAB}last#6
keep${TAB}db_20240105_030000.sqlite${TAB}last#5
keep${TAB}db_20240106_030000.sqlite${TAB}last#4
keep${TAB}db_20240107_030000.sqlite${TAB}last#3
keep${TAB}db_20240108_030000.sqlite${TAB}last#2
keep${TAB}db_20240109_030000.sqlite${TAB}last#1,latest,newest
total${TAB}keep 7${TAB}remove 2${TAB}0" "$(cat "$OUT")"
same '-n says nothing on stderr' '' "$(cat "$ERR")"
same '-n changes nothing and takes no lock' "$before" "$(names nine)"
cp "$OUT" "$TAP_ROOT/dry"
cp -a nine nine2
status 'the same run for real' 0 "$SR" -d nine
same 'it is silent' '' "$(cat "$OUT")$(cat "$ERR")"
same 'the 7 newest snapshots and their manifests are left, and the latest link' \
    '.lock .snapback db_20240103_030000.sqlite db_20240103_030000.sqlite.sha256 db_20240104_030000.sqlite db_20240104_030000.sqlite.sha256 db_20240105_030000.sqlite db_20240105_030000.sqlite.sha256 db_20240106_030000.sqlite db_20240106_030000.sqlite.sha256 db_20240107_030000.sqlite db_20240107_030000.sqlite.sha256 db_20240108_030000.sqlite db_20240108_030000.sqlite.sha256 db_20240109_030000.sqlite db_20240109_030000.sqlite.sha256 latest.sqlite' \
    "$(names nine)"
status 'a second run has nothing to do' 0 "$SR" -v -d nine
same '-v prints the same lines as -n for what it does' \
    "$(grep -v '^remove' "$TAP_ROOT/dry" | sed 's/remove 2.*/remove 0\t0/')" \
    "$(cat "$OUT")"
status '-v for real' 0 "$SR" -v -d nine2
same '-v prints what -n predicted' "$(cat "$TAP_ROOT/dry")" "$(cat "$OUT")"
status '--keep-daily=N is accepted, as --keep-daily N' 0 \
    "$SR" -n -d nine --keep-daily=2
same 'and keeps 2' 2 "$(grep -c '^keep' "$OUT")"

# --- the rules: distinct periods, not calendar spans -------------------------

mkbk gaps 20240101_120000 20240105_120000 20240119_090000 20240120_080000 \
    20240120_120000
same '--keep-daily 3 keeps the newest of the 3 newest days that have snapshots' \
    "remove 20240101_120000
keep 20240105_120000 daily#3
keep 20240119_090000 daily#2
remove 20240120_080000
keep 20240120_120000 daily#1,latest,newest" \
    "$(decide gaps --keep-daily 3)"
same '--keep-last 3 keeps the 3 newest, whatever their days' \
    "remove 20240101_120000
remove 20240105_120000
keep 20240119_090000 last#3
keep 20240120_080000 last#2
keep 20240120_120000 last#1,latest,newest" \
    "$(decide gaps --keep-last 3)"
same 'N larger than the snapshots keeps them all' \
    "keep 20240101_120000 last#5
keep 20240105_120000 last#4
keep 20240119_090000 last#3
keep 20240120_080000 last#2
keep 20240120_120000 last#1,latest,newest" \
    "$(decide gaps --keep-last 50)"

# --- overlapping counters: the worked example of the man page ---------------

mkbk ex 20231115_030000 20231130_030000 20231231_030000 20240131_030000 \
    20240210_030000 20240218_030000 20240225_030000 20240226_030000 \
    20240227_030000 20240228_030000 20240228_150000 20240229_030000 \
    20240301_030000 20240301_150000
run "$SR" -n -d ex --keep-last 2 --keep-daily 4 --keep-weekly 3 \
    --keep-monthly 6 --keep-yearly 2
man_example=$(sed -n '/^\$ snaprotate -n -d \/srv\/backups\/db --keep-last 2/,/^total/p' \
    "$top/man/snaprotate.1" | sed '1,2d' | tr -s ' ' |
    sed '/^keep db_20240301_150000/{N;s/\n //;}' | sed 's/ [0-9]*$/ 0/;
    s/^total keep 11 remove 3 0/total keep 11 remove 3 0/')
same "the man page's worked example, reasons and all" "$man_example" \
    "$(tr '\t' ' ' <"$OUT")"
same 'overlapping counters: one snapshot serves several rules' \
    'keep db_20240301_150000.sqlite last#1,daily#1,weekly#1,monthly#1,yearly#1,latest,newest' \
    "$(grep 20240301_150000 "$OUT" | tr '\t' ' ')"
same 'the worked example of --keep-within and --keep-within-X' \
    "remove 20231115_030000
remove 20231130_030000
remove 20231231_030000
remove 20240131_030000
keep 20240210_030000 within-weekly#4
keep 20240218_030000 within-weekly#3
keep 20240225_030000 within-daily#6,within-weekly#2
keep 20240226_030000 within-daily#5
keep 20240227_030000 within-daily#4
remove 20240228_030000
keep 20240228_150000 within-daily#3
keep 20240229_030000 within,within-daily#2
keep 20240301_030000 within
keep 20240301_150000 within,within-daily#1,within-weekly#1,latest,newest" \
    "$(decide ex --keep-within 2d --keep-within-daily 7d --keep-within-weekly 1m)"

# --- ISO weeks ----------------------------------------------------------------

mkbk iso 20241229_120000 20241230_120000 20250101_120000
same '2024-12-30 is in 2025-W01: a weekly rule keeps 2025-01-01 and 2024-12-29' \
    "keep 20241229_120000 weekly#2
remove 20241230_120000
keep 20250101_120000 weekly#1,latest,newest" \
    "$(decide iso --keep-weekly 2)"
same 'while a yearly rule keeps 2024-12-30 for 2024' \
    "remove 20241229_120000
keep 20241230_120000 yearly#2
keep 20250101_120000 yearly#1,latest,newest" \
    "$(decide iso --keep-yearly 2)"
mkbk w53 20201227_120000 20201231_120000 20210101_120000 20210103_120000 \
    20210104_120000
same '2020 has a week 53 (Dec 28 to Jan 3); 2021-W01 starts on Jan 4' \
    "keep 20201227_120000 weekly#3
remove 20201231_120000
remove 20210101_120000
keep 20210103_120000 weekly#2
keep 20210104_120000 weekly#1,latest,newest" \
    "$(decide w53 --keep-weekly unlimited)"

# --- month ends and leap days in --keep-within ---------------------------------

mkbk mend 20240229_120000 20240302_120000 20240302_120001 20240331_120000
same '2024-03-31 minus 1m is 2024-03-02: only what is strictly newer is kept' \
    "remove 20240229_120000
remove 20240302_120000
keep 20240302_120001 within
keep 20240331_120000 within,latest,newest" \
    "$(decide mend --keep-within 1m)"
mkbk leap 20230301_120000 20230301_120001 20240229_120000
same '2024-02-29 minus 1y is 2023-03-01' \
    "remove 20230301_120000
keep 20230301_120001 within
keep 20240229_120000 within,latest,newest" \
    "$(decide leap --keep-within 1y)"
same '52w1d is 365 calendar days back, here as 1y' \
    "remove 20230301_120000
keep 20230301_120001 within
keep 20240229_120000 within,latest,newest" \
    "$(decide leap --keep-within 52w1d)"
same 'h, min and s are exact' \
    "remove 20230301_120000
remove 20230301_120001
keep 20240229_120000 within,latest,newest" \
    "$(decide leap --keep-within 8759h59min59s)"

# --- local time: a DST day in Berlin ------------------------------------------

if [ -f /usr/share/zoneinfo/Europe/Berlin ]; then
	BERLIN=Europe/Berlin
else
	BERLIN=CET-1CEST,M3.5.0,M10.5.0/3
	diag 'no /usr/share/zoneinfo/Europe/Berlin: using its POSIX rule'
fi
# 2024-03-31 has 23 hours in Berlin.  In UTC: 22:30 and 23:30 on March 30,
# 21:30 and 22:30 on March 31; in Berlin: March 30 23:30, March 31 00:30
# and 23:30, April 1 00:30.
mkbk dst 20240330_223000 20240330_233000 20240331_213000 20240331_223000
same 'TZ=Europe/Berlin: days are Berlin days' \
    "keep 20240330_223000 daily#3
remove 20240330_233000
keep 20240331_213000 daily#2
keep 20240331_223000 daily#1,latest,newest" \
    "$(TZ=$BERLIN decide dst --keep-daily 3)"
same 'TZ=UTC: days are UTC days (and the counter left keeps the oldest)' \
    "keep 20240330_223000 oldest
keep 20240330_233000 daily#2
remove 20240331_213000
keep 20240331_223000 daily#1,latest,newest" \
    "$(decide dst --keep-daily 3)"
# 2024-10-27 02:30 happens twice in Berlin (00:30 and 01:30 UTC): one hour,
# as a person reads the clock, as restic reads it.
mkbk fall 20241026_231000 20241027_003000 20241027_013000
same "TZ=Europe/Berlin: the repeated hour is one hour" \
    "keep 20241026_231000 hourly#2
remove 20241027_003000
keep 20241027_013000 hourly#1,latest,newest" \
    "$(TZ=$BERLIN decide fall --keep-hourly 5)"
same 'TZ=UTC: three hours' \
    "keep 20241026_231000 hourly#3
keep 20241027_003000 hourly#2
keep 20241027_013000 hourly#1,latest,newest" \
    "$(decide fall --keep-hourly 5)"
# 2024-03-31 12:00 CEST (10:00 UTC) minus 1d is 2024-03-30 12:00 CET
# (11:00 UTC) in Berlin, 23 hours before; in UTC, 24 hours before.
mkbk dstw 20240330_103000 20240331_100000
same 'TZ=Europe/Berlin: --keep-within 1d is a calendar day of 23 hours' \
    "remove 20240330_103000
keep 20240331_100000 within,latest,newest" \
    "$(TZ=$BERLIN decide dstw --keep-within 1d)"
same 'TZ=UTC: --keep-within 1d is 24 hours' \
    "keep 20240330_103000 within
keep 20240331_100000 within,latest,newest" \
    "$(decide dstw --keep-within 1d)"
same 'a POSIX TZ rule works as the zoneinfo file does' \
    "$(TZ=$BERLIN decide dst --keep-daily 3)" \
    "$(TZ=CET-1CEST,M3.5.0,M10.5.0/3 decide dst --keep-daily 3)"

# --- snapshots in the future -------------------------------------------------

mkbk fut 20240529_120000 20240530_120000 20240531_120000 20240701_120000
NOW=--now=2024-06-01T00:00:00Z
same 'a future snapshot does not move the window: it ends at the newest past one' \
    "remove 20240529_120000
remove 20240530_120000
keep 20240531_120000 within,newest
keep 20240701_120000 within,latest,newest" \
    "$(decide fut "$NOW" --keep-within 1d)"
same 'the newest snapshot not in the future is protected too' \
    "remove 20240529_120000
remove 20240530_120000
keep 20240531_120000 newest
keep 20240701_120000 last#1,latest,newest" \
    "$(decide fut "$NOW" --keep-last 1)"
same 'the counters take a future snapshot like any other' \
    "remove 20240529_120000
remove 20240530_120000
keep 20240531_120000 daily#2,newest
keep 20240701_120000 daily#1,latest,newest" \
    "$(decide fut "$NOW" --keep-daily 2)"
same 'when every snapshot is in the future, the windows hold them all' \
    "keep 20240529_120000 within-daily#4
keep 20240530_120000 within-daily#3
keep 20240531_120000 within-daily#2
keep 20240701_120000 within-daily#1,latest,newest" \
    "$(decide fut --now 2024-01-01 --keep-within-daily 1d)"
same 'a snapshot at --now exactly is not in the future' \
    "remove 20240529_120000
keep 20240530_120000 within
keep 20240531_120000 within,newest
keep 20240701_120000 within,latest,newest" \
    "$(decide fut --now 20240531_120000 --keep-within 1d1s)"

# --- counters with counts left keep the oldest ----------------------------------

mkbk left 20240105_080000 20240105_120000 20240105_200000
same 'three snapshots of one day and --keep-daily 5: the newest and the oldest' \
    "keep 20240105_080000 oldest
remove 20240105_120000
keep 20240105_200000 daily#1,latest,newest" \
    "$(decide left --keep-daily 5)"
same 'the reason oldest is given once, whatever the rules that keep it' \
    "keep 20240105_080000 oldest
remove 20240105_120000
keep 20240105_200000 daily#1,monthly#1,yearly#1,latest,newest" \
    "$(decide left --keep-daily 5 --keep-monthly 2 --keep-yearly 9)"
same 'unlimited never runs out, so it keeps the oldest too' \
    "keep 20240105_080000 oldest
remove 20240105_120000
keep 20240105_200000 daily#1,latest,newest" \
    "$(decide left --keep-daily 1 --keep-daily unlimited)"
same 'a spent counter does not' \
    "remove 20240105_080000
remove 20240105_120000
keep 20240105_200000 daily#1,latest,newest" \
    "$(decide left --keep-daily 1)"
same '--keep-within-X does not keep the oldest (as restic)' \
    "remove 20240105_080000
remove 20240105_120000
keep 20240105_200000 within-daily#1,latest,newest" \
    "$(decide left --keep-within-daily 30d)"

# --- protections ---------------------------------------------------------------

mkbk prot 20240101_000000 20240102_000000 20240103_000000
ln -sfn db_20240101_000000.sqlite prot/latest.sqlite
same 'the snapshot latest points to is kept, and says why' \
    "keep 20240101_000000 latest
remove 20240102_000000
keep 20240103_000000 last#1,newest" \
    "$(decide prot --keep-last 1)"
status 'for real' 0 "$SR" -d prot --keep-last 1
same 'the latest snapshot and the newest are left' \
    '20240101_000000 20240103_000000' "$(left prot)"
same 'the latest link is untouched' db_20240101_000000.sqlite \
    "$(readlink prot/latest.sqlite)"
rm prot/latest.sqlite
ln -s ../elsewhere/db_20240101_000000.sqlite prot/latest.sqlite
same 'a latest link that is not a plain name protects nothing' \
    "remove 20240101_000000
keep 20240103_000000 last#1,newest" \
    "$(decide prot --keep-last 1)"
echo data >prot/db_20240103_000000.sqlite
bytes=$(($(stat -c %b prot/db_20240103_000000.sqlite) * 512))
same 'a --max-size no policy can meet keeps the protected ones and fails' \
    "remove 20240101_000000
keep 20240103_000000 last#1,newest
exit 1: snaprotate: prot: cannot meet --max-size 0: the protected snapshots alone take $bytes bytes" \
    "$(decide prot --keep-last 5 --max-size 0)"

# --- equal times -----------------------------------------------------------------

mkdir eq
: >eq/db_20240101_a.sql
: >eq/db_20240101_b.sql
: >eq/db_20240102_a.sql
status 'equal times: --pattern with a *' 0 \
    "$SR" -n -d eq --pattern 'db_%Y%m%d_*.sql' --keep-last 2
same 'of equal times, the later name counts as the newer' \
    "remove${TAB}db_20240101_a.sql${TAB}0
keep${TAB}db_20240101_b.sql${TAB}last#2
keep${TAB}db_20240102_a.sql${TAB}last#1,newest
total${TAB}keep 2${TAB}remove 1${TAB}0" "$(cat "$OUT")"

# --- --pattern on foreign names -------------------------------------------------

mkdir pg
echo outside >outside.txt
for n in db_20240101_000000.sql.gz db_20240102_000000.sql.gz \
    db_20240103_000000.sql.gz notes.txt db_latest.sql.gz \
    db_2024010_000000.sql.gz db_20241301_000000.sql.gz \
    .db_20240106_000000.sql.gz DB_20240101_000000.sql.gz \
    db_20240101_000000.sql.gz.bak db_20240101_000000.sql.gzip; do
	echo "$n" >"pg/$n"
done
mkdir pg/db_20240104_000000.sql.gz pg/db_20240104_000000.sql.gz/sub
echo tree >pg/db_20240104_000000.sql.gz/sub/f
ln -s ../outside.txt pg/db_20231231_000000.sql.gz
ln -s db_20240103_000000.sql.gz pg/db_20240105_000000.sql.gz
mkdir pg/.db_20240101_000000.sql.gz.AbC123 pg/.notes.txt.AbC123
echo trash >pg/.db_20240101_000000.sql.gz.AbC123/f
before=$(names pg)
PAT='db_%Y%m%d_%H%M%S.sql.gz'
status '--pattern -n' 0 "$SR" -n -d pg --pattern "$PAT" --keep-last 2
same 'only the matching names are snapshots, symlinks as themselves' \
    "remove db_20231231_000000.sql.gz
remove db_20240101_000000.sql.gz
remove db_20240102_000000.sql.gz
remove db_20240103_000000.sql.gz
keep db_20240104_000000.sql.gz last#2
keep db_20240105_000000.sql.gz last#1,newest
total keep 2 remove 4" \
    "$(cut -f 1-3 "$OUT" | sed 's/\t[0-9]*$//' | tr '\t' ' ')"
same '-n changed nothing, trash included' "$before" "$(names pg)"
status '--pattern -v for real' 0 "$SR" -v -d pg --pattern "$PAT" --keep-last 2
same 'the leftover trash is named on stderr' \
    'remove leftover pg/.db_20240101_000000.sql.gz.AbC123' "$(cat "$ERR")"
same 'matching names are removed, nothing else, and trash of a matching name' \
    '.db_20240106_000000.sql.gz .lock .notes.txt.AbC123 DB_20240101_000000.sql.gz db_20240101_000000.sql.gz.bak db_20240101_000000.sql.gzip db_20240104_000000.sql.gz db_20240105_000000.sql.gz db_2024010_000000.sql.gz db_20241301_000000.sql.gz db_latest.sql.gz notes.txt' \
    "$(names pg)"
same 'a removed symlink was not followed' outside "$(cat outside.txt)"
same 'the kept tree is whole' tree "$(cat pg/db_20240104_000000.sql.gz/sub/f)"
same 'the kept symlink dangles, as it should: its target was removed' \
    db_20240103_000000.sql.gz "$(readlink pg/db_20240105_000000.sql.gz)"

mkdir pat
for n in nightly-2024-01-01.tar nightly-2024-01-02.tar nightly-2024-02-01.tar \
    app-web-20240101.log app-db-20240102.log 'x%_20240101' 'x%_20240102'; do
	: >"pat/$n"
done
run "$SR" -n -d pat --pattern 'nightly-%Y-%m-%d.tar' --keep-monthly 5
same 'a date-only pattern' \
    "keep nightly-2024-01-01.tar oldest
keep nightly-2024-01-02.tar monthly#2
keep nightly-2024-02-01.tar monthly#1,newest" \
    "$(grep -v '^total' "$OUT" | cut -f 1-3 | tr '\t' ' ' | grep -v '^remove')"
run "$SR" -n -d pat --pattern 'app-*-%Y%m%d.log' --keep-last 1
same 'a * inside a pattern' \
    "remove app-web-20240101.log
keep app-db-20240102.log last#1,newest" \
    "$(grep -v '^total' "$OUT" | cut -f 1-3 | tr '\t' ' ' |
    sed 's/^\(remove [^ ]*\) .*/\1/')"
run "$SR" -n -d pat --pattern 'x%%_%Y%m%d' --keep-last 1
same '%% is a percent sign' "x%_20240101 x%_20240102" \
    "$(grep -v '^total' "$OUT" | cut -f 2 | tr '\n' ' ' | sed 's/ $//')"

# Hostile names: tab, newline, backslash, space, invalid UTF-8.
mkdir hostile
: >"hostile/a${TAB}b_20240101.dat"
: >"hostile/new${NL}line_20240102.dat"
: >'hostile/back\slash_20240103.dat'
: >'hostile/sp ace_20240104.dat'
: >"hostile/$(printf '\377')_20240105.dat"
: >hostile/keep_20240106.dat
status 'hostile names' 0 "$SR" -n -d hostile --pattern '*_%Y%m%d.dat' --keep-last 1
same 'they stay one field of one line: tab, newline, backslash escaped' \
    "remove${TAB}a\\tb_20240101.dat${TAB}0
remove${TAB}new\\nline_20240102.dat${TAB}0
remove${TAB}back\\\\slash_20240103.dat${TAB}0
remove${TAB}sp ace_20240104.dat${TAB}0
remove${TAB}$(printf '\377')_20240105.dat${TAB}0
keep${TAB}keep_20240106.dat${TAB}last#1,newest
total${TAB}keep 1${TAB}remove 5${TAB}0" "$(cat "$OUT")"
status 'hostile names are removed' 0 "$SR" -d hostile --pattern '*_%Y%m%d.dat' \
    --keep-last 1
same 'only the newest is left' '.lock keep_20240106.dat' "$(names hostile)"

# A directory whose trash name could not hold its whole name.
long=$(printf '%0239d' 0 | tr 0 x)_20240101
mkdir longn "longn/$long" longn/keep_20240102
: >"longn/$long/f"
status 'a directory name too long for a whole trash name: exit 1' 1 \
    "$SR" -d longn --pattern '*_%Y%m%d' --keep-last 1
# musl's words; glibc's for the sanitizer build (make check SAN=1).
toolong='Filename too long'
[ "${DATAKEEP_SAN:-}" = 1 ] && toolong='File name too long'
same 'the error names it' "snaprotate: longn/$long: $toolong" \
    "$(cat "$ERR")"
same 'and it is left whole' f "$(ls "longn/$long")"

status '--pattern on a missing directory fails' 1 \
    "$SR" -d nosuch --pattern "$PAT"
same 'naming it' 'snaprotate: nosuch: No such file or directory' "$(cat "$ERR")"
status 'a directory with nothing matching is no error' 0 \
    "$SR" -v -d pat --pattern 'none-%Y%m%d'
same 'the totals say so' "total${TAB}keep 0${TAB}remove 0${TAB}0" \
    "$(cat "$OUT")"

# --- real snapshots: trees with hard links, leftovers -------------------------

SB=$BIN/snapback
mkdir src
echo one >src/one
echo two >src/two
head -c 100000 /dev/urandom >src/big
ok 'snapback create 1' "$SB" create -d tb src
sleep 1
echo changed >src/two
ok 'snapback create 2' "$SB" create -d tb src
sleep 1
echo again >src/one
ok 'snapback create 3' "$SB" create -d tb src
third=$(basename "$(cat "$OUT")")
# A snapshot without a manifest, as a killed snapback leaves it.
mkdir tb/src_20200101_000000
echo partial >tb/src_20200101_000000/one
status 'the tree snapshots, -n' 0 "$SR" -n -d tb --keep-last 1
same '-n lists the complete snapshots only' 3 "$(grep -vc '^total' "$OUT")"
ok '-n left the incomplete one alone' test -d tb/src_20200101_000000
status 'the tree snapshots, -v' 0 "$SR" -v -d tb --keep-last 1
same 'the incomplete one is removed as a leftover, said on stderr' \
    'remove leftover tb/src_20200101_000000' "$(cat "$ERR")"
same '-v lines: two removed, the newest kept' \
    "remove remove keep total" "$(cut -f 1 "$OUT" | tr '\n' ' ' | sed 's/ $//')"
same 'what is left: the newest, its manifest, latest, .snapback, .lock' \
    ".lock .snapback latest $third $third.sha256" "$(names tb)"
ok 'the newest snapshot verifies: the hard links it shared survive' \
    "$SB" verify -d tb all
ok 'and holds the source' diff -r src "tb/$third"
run "$SB" list -d tb
same 'snapback list agrees' "$third" "$(cut -f 1 "$OUT")"

# --- the lock ------------------------------------------------------------------

mkbk lk 20240101_000000 20240102_000000 20240103_000000
if command -v flock >/dev/null 2>&1; then
	: >lk/.lock
	flock lk/.lock sleep 4 &
	holder=$!
	# Until the holder has it.
	n=0
	while flock -n lk/.lock true && [ $n -lt 100 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	status 'a held lock: exit 3' 3 "$SR" -d lk --keep-last 1
	same 'busy, naming the lock' \
	    'snaprotate: lk: busy (another run holds lk/.lock)' "$(cat "$ERR")"
	status 'a held lock: -n needs no lock' 0 "$SR" -n -d lk --keep-last 1
	t0=$(date +%s)
	status 'a held lock: -w 1 waits, then exits 3' 3 \
	    "$SR" -w 1 -d lk --keep-last 1
	t1=$(date +%s)
	ok 'it waited about a second' test $((t1 - t0)) -ge 1 -a $((t1 - t0)) -le 3
	status 'a held lock: -w 10 waits until it is free' 0 \
	    "$SR" -w 10 -d lk --keep-last 1
	same 'and removes' 20240103_000000 "$(left lk)"
	wait $holder
else
	for i in 1 2 3 4 5 6 7 8; do
		skip "lock test $i" 'flock(1) is not installed'
	done
fi

# --- AUDITLOG ------------------------------------------------------------------

mkbk au 20240101_000000 20240102_000000 20240103_000000 20240104_000000
status 'AUDITLOG that is no log: nothing removed' 1 \
    env AUDITLOG="$T/audit.log" "$SR" -d au --keep-last 1
same 'saying so, every snapshot kept' \
    "snaprotate: $T/audit.log: No such file or directory; nothing changed|9" \
    "$(cat "$ERR")|$(ls au | wc -l)"
"$BIN/auditlog" init -f "$T/audit.log" -o "$T/audit.k0" >/dev/null
status 'AUDITLOG set, -n' 0 env AUDITLOG="$T/audit.log" "$SR" -n -d au \
    --keep-last 1
status 'AUDITLOG set: three removals' 0 env AUDITLOG="$T/audit.log" \
    "$SR" -d au --keep-last 1
same 'a dry run records nothing; one record per removal' \
    "remove db_20240101_000000.sqlite $T/au|remove db_20240102_000000.sqlite $T/au|remove db_20240103_000000.sqlite $T/au" \
    "$(sed 1d "$T/audit.log" | sed 's/.* type=\([^ ]*\) name=\([^ ]*\) dir=\([^ ]*\) .*/\1 \2 \3/' |
    tr '\n' '|' | sed 's/|$//')"

# --- a directory that cannot be written -------------------------------------------

. "$top/tests/snapback.sh"
if [ -n "$unpriv" ]; then
	userdir ro
	mkbk ro 20240101_000000 20240102_000000
	: >ro/.lock
	[ "$unpriv" != setpriv ] || chown -R 65534:65534 ro
	chmod 555 ro
	before=$(names ro)
	status 'a read-only directory: exit 1' 1 asuser "$SR" -d ro --keep-last 1
	same 'naming what could not be removed' \
	    'snaprotate: ro/db_20240101_000000.sqlite: Permission denied' \
	    "$(cat "$ERR")"
	same 'nothing changed' "$before" "$(names ro)"
	chmod 755 ro
	mkdir rolock
	mkbk rolock 20240101_000000 20240102_000000
	chmod 555 rolock
	status 'no lock file and a read-only directory: exit 1' 1 \
	    asuser "$SR" -d rolock --keep-last 1
	same 'naming the lock' 'snaprotate: rolock/.lock: Permission denied' \
	    "$(cat "$ERR")"
	chmod 755 rolock
else
	for i in 1 2 3 4 5; do
		skip "read-only directory test $i" 'no unprivileged user to run as'
	done
fi

# --- no temporaries left anywhere ----------------------------------------------------

same 'no temporaries or trash left in any directory rotated' '' \
    "$(for d in nine nine2 prot pg hostile tb lk au; do
	ls -A "$d" | grep '^\.' | grep -vx -e .lock -e .snapback \
	    -e .db_20240106_000000.sql.gz -e .notes.txt.AbC123 | sed "s|^|$d/|"
    done)"
