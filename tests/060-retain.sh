#!/bin/sh
# 060-retain: retain's usage, refusals, ages to the second, dry runs,
# --by name, --prune-dirs, locks, policies and their errors, AUDITLOG.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"
. "$TESTS/retain.sh"

plan 128

# --- usage ---------------------------------------------------------------------

status 'no arguments is a usage error' 2 "$R"
like 'it prints the usage on stderr' 'usage: retain *-f POLICY' \
    "$(sed -n 1p "$ERR")"
status '-h succeeds' 0 "$R" -h
same '-h prints the 6-line usage on stdout, nothing on stderr' \
    'usage: retain [-nv] [--now TIME] -f POLICY|6|' \
    "$(sed -n 1p "$OUT")|$(wc -l <"$OUT")|$(cat "$ERR")"
u=$(sed 's/^usage: //; s/^ *//' "$OUT" | tr -s ' \n' '  ')
like 'the usage names every option of both forms and records' \
    '*-f POLICY*--older-than AGE*--match GLOB*--by mtime|name*--archive DEST*--prune-dirs*--cross-fs*DIR ...*records*-F csv|tsv|jsonl*-N*-k FIELD*' \
    "$u"
status '-V succeeds' 0 "$R" -V
same '-V prints the version' 'retain 0.1.0' "$(cat "$OUT")"
mkdir d
old d/f
status 'an unknown option is a usage error' 2 "$R" -x d
same 'naming it' 'retain: -x: unknown option' "$(sed -n 1p "$ERR")"
status 'an unknown long option too' 2 "$R" --older-thn 1d d
same 'naming it' 'retain: --older-thn: unknown option' "$(sed -n 1p "$ERR")"
status '--older-than without a value' 2 "$R" --older-than
same 'says so' 'retain: --older-than: needs a value' "$(sed -n 1p "$ERR")"
status 'a bad age is a usage error' 2 "$R" --older-than 90x d
like 'naming the option and the forms' \
    'retain: --older-than: 90x: want an age such as 90d*' "$(cat "$ERR")"
status 'no DIR is a usage error' 2 "$R" --older-than 90d
status 'no --older-than is a usage error' 2 "$R" d
status '--by takes mtime or name only' 2 "$R" --older-than 1d --by ctime d
same 'saying so' 'retain: --by: ctime: want mtime or name' "$(cat "$ERR")"
status 'a bad --now is a usage error' 2 "$R" --now yesterday --older-than 1d d
status '--prune-dirs takes no value' 2 "$R" --older-than 1d --prune-dirs=1 d
echo '/x * 1d delete' >p.conf
status '-f with a DIR operand is a usage error' 2 "$R" -f p.conf d
status '-f with --older-than is a usage error' 2 "$R" -f p.conf \
    --older-than 1d
ok 'usage errors change nothing' test -f d/f

# --- refusals ----------------------------------------------------------------------

mkdir real
old real/f
ln -s real link
for dir in / // /etc /tmp /usr/ "" link link/ link// link/. real/../real; do
	run "$R" --older-than 1d "$dir"
	rcs="$rcs $?"
done
same 'every refused DIR is a usage error (2)' \
    ' 2 2 2 2 2 2 2 2 2 2 2' "$rcs"
status '/ is refused' 2 "$R" --older-than 1d /
same 'saying so' 'retain: /: the root directory is refused' "$(cat "$ERR")"
status '"" is refused' 2 "$R" --older-than 1d ''
same 'saying so' 'retain: DIR: an empty path is refused' "$(cat "$ERR")"
status 'a top-level system directory is refused' 2 "$R" --older-than 1d /var
same 'saying so' 'retain: /var: a top-level system directory is refused' \
    "$(cat "$ERR")"
status 'tmp relative to / is refused too' 2 sh -c \
    "cd / && exec '$R' --older-than 1d tmp"
status 'DIR as a symlink is refused' 2 "$R" --older-than 1d link
same 'saying so' \
    'retain: link: a symbolic link is refused (name the directory it points to)' \
    "$(cat "$ERR")"
status 'with a trailing slash too' 2 "$R" --older-than 1d link/
same 'saying so' \
    'retain: link/: a symbolic link is refused (name the directory it points to)' \
    "$(cat "$ERR")"
status 'a path with .. is refused' 2 "$R" --older-than 1d real/../real
status 'a missing DIR is an error' 2 "$R" --older-than 1d nothere
same 'naming it' 'retain: nothere: No such file or directory' "$(cat "$ERR")"
status 'a file as DIR is an error' 2 "$R" --older-than 1d real/f
status 'one bad DIR among good ones changes nothing' 2 \
    "$R" --older-than 1d real link
ok 'nothing outside was touched by any of it' test -f real/f -a -f d/f
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	mkdir bindetc
	unshare -m sh -c "mount --bind /etc '$T/bindetc' || exit 9
	    exec '$R' --older-than 1d '$T/bindetc'" >"$OUT" 2>"$ERR"
	same 'a bind mount of /etc is refused by identity' \
	    "2|retain: $T/bindetc: refused: it is /etc, a top-level system directory" \
	    "$?|$(cat "$ERR")"
else
	skip 'a bind mount of /etc is refused by identity' 'needs root'
fi

# --- ages, exact to the second --------------------------------------------------

mkdir ages
touch -d "@$((NOW - 90 * DAY - 1))" ages/older
touch -d "@$((NOW - 90 * DAY))" ages/exact
touch -d "@$((NOW - 90 * DAY + 1))" ages/younger
status 'a run with --now' 0 "$R" --now "$NOWS" --older-than 90d ages
same 'deletes the file one second past 90 days, keeps the one at 90 days and the younger' \
    'exact younger' "$(names ages)"
same 'silently' '|' "$(cat "$OUT")|$(cat "$ERR")"

mkdir cal
touch -d '2024-03-01T23:59:59Z' cal/a
touch -d '2024-03-02T00:00:00Z' cal/b
status 'months are calendar months' 0 \
    "$R" --now 2024-03-31T00:00:00Z --older-than 1m cal
same '2024-03-31 minus 1m is 2024-03-02: a second before it goes' b \
    "$(names cal)"

mkdir hours
touch -d "@$((NOW - 36 * 3600 - 1))" hours/a
touch -d "@$((NOW - 36 * 3600 + 1))" hours/b
touch -d "@$((NOW - 30 * 60 - 1))" hours/c
run "$R" --now "@$NOW" --older-than 36h hours
same '36h is exact' 'b c' "$(names hours)"
run "$R" --now "@$NOW" --older-than 30min hours
same '30min is exact' '' "$(names hours)"

mkdir frac
now=$(date +%s)
touch -d "@$((now - 7853760))" frac/f	# 90.9 days
same 'find -mtime +90 keeps a file 90.9 days old' '' \
    "$(find frac -type f -mtime +90)"
status 'retain does not' 0 "$R" --older-than 90d frac
same 'it is gone' '' "$(names frac)"

mkdir future
touch -d "@$((NOW + 3600))" future/f
old future/g
status 'a file modified in the future is kept, exit 0' 0 \
    "$R" --now "@$NOW" --older-than 1s future
same 'with a warning naming its time' \
    'retain: future/f: modified in the future (2025-08-18T13:00:00Z); kept' \
    "$(cat "$ERR")"
same 'the rest goes' f "$(names future)"

# --- --match, --by name ------------------------------------------------------------

mkdir -p m/logs m/other
old m/a.log m/b.txt m/.hidden.log m/logs/c.log m/logs/d.txt m/other/e.log
status '--match on names' 0 "$R" --now "$NOWS" --older-than 1d \
    --match '*.log' m
same 'matches names anywhere, dot files too' \
    'b.txt logs logs/d.txt other' "$(listing m)"
old m/logs/c.log m/other/e.log
status '--match with a / matches the path below DIR' 0 \
    "$R" --now "$NOWS" --older-than 1d --match 'logs/*' m
same 'and only that path' 'b.txt logs other other/e.log' "$(listing m)"

mkdir byname
for n in 'app-2025-05-01.log' 'db_20250501_120000.sql' 'x20250501' \
    'r-2025-05-01T12:00:00Z.json' 'app-2025-08-18.log' 'nostamp.log' \
    'app-2099-01-01.log' 'x202505011'; do
	: >"byname/$n"
done
status '--by name' 0 "$R" -v --now "$NOWS" --older-than 90d --by name byname
same 'judges by the stamp in the name, each form' \
    'app-2025-08-18.log app-2099-01-01.log nostamp.log x202505011' \
    "$(names byname)"
same 'with -v, names without a stamp are said to be kept' \
    'retain: byname/nostamp.log: no timestamp in its name; kept' \
    "$(grep nostamp "$ERR")"
same 'and a name dated in the future is warned about' \
    'retain: byname/app-2099-01-01.log: its name is dated in the future (2099-01-01T00:00:00Z); kept' \
    "$(grep 2099 "$ERR")"

# --- -n prints what the run then does ------------------------------------------

mkdir -p dry/a/b dry/c dry/empty
old dry/a/b/1 dry/a/2 dry/c/3 dry/4
touch -d "@$NOW" dry/c/new
ln -s nowhere dry/a/link
touch -h -d "@$OLD" dry/a/link
before=$(state dry)
status 'a dry run' 0 "$R" -n --now "$NOWS" --older-than 30d --prune-dirs dry
cp "$OUT" dry.out
same 'changes nothing, leaves no quarantine or lock file' "$before" \
    "$(state dry)"
status 'the real run with -v' 0 "$R" -v --now "$NOWS" --older-than 30d \
    --prune-dirs dry
cp "$OUT" real.out
ok 'prints exactly the lines of the dry run' cmp dry.out real.out
same 'which are' "delete	dry/4
delete	dry/a
delete	dry/a/2
delete	dry/a/b
delete	dry/a/b/1
delete	dry/a/link
delete	dry/c/3" "$(LC_ALL=C sort real.out)"
same 'directories this run emptied are pruned, an empty one it found and the DIR stay' \
    'c c/new empty' "$(listing dry)"
old dry/c/old2
status 'without -v the run is silent' 0 "$R" --now "$NOWS" --older-than 30d dry
same 'no output at all' '|' "$(cat "$OUT")|$(cat "$ERR")"

# --- locks --------------------------------------------------------------------------

mkdir lk
old lk/a lk/b
hold lk
status 'another process holding the lock of DIR: exit 3' 3 \
    "$R" --older-than 1d lk
same 'saying so' \
    'retain: lk: busy (another retain, or another process holding a lock on it, is working there)' \
    "$(cat "$ERR")"
same 'nothing changed' 'a b' "$(names lk)"
status 'a dry run does not wait for the lock' 0 "$R" -n --older-than 1d lk
release
hold -s lk/a
status 'a file another process holds an flock on is skipped' 0 \
    "$R" -v --older-than 1d lk
same 'it stays, the other goes' a "$(names lk)"
same '-v says why' 'retain: lk/a: locked by another process; kept' \
    "$(cat "$ERR")"
release
mkdir -p lk/sub
old lk/sub/x
hold lk/sub
status 'a locked directory is not entered' 0 "$R" -v --older-than 1d lk
same 'what is below it stays' 'sub sub/x' "$(listing lk)"
same '-v says why' \
    'retain: lk/sub: locked by another process; not entered' "$(cat "$ERR")"
release
status 'the lock lives on the directory: no lock file is left' 0 \
    "$R" --older-than 1d --prune-dirs lk
same 'DIR is empty afterwards' '' "$(listing lk)"

# --- hard links, permissions, immutable entries -----------------------------------

mkdir hl outside
echo keep >outside/data
ln outside/data hl/link
touch -d "@$OLD" outside/data
status 'a hard link inside DIR' 0 "$R" --older-than 1d hl
same 'is removed; the outside name keeps the data' 'keep|1' \
    "$(cat outside/data)|$(stat -c %h outside/data)"

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 755 "$TAP_ROOT" "$T"
	mkdir -p perm/mine perm/root perm/closed
	old perm/a perm/mine/b perm/root/c perm/closed/d
	chown -R 65534:65534 perm
	chown 0:0 perm/root perm/closed
	chmod 700 perm/closed
	status 'as a user who cannot write or read everywhere: exit 1' 1 \
	    setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$R" --older-than 1d perm
	same 'each entry it could not touch is reported' \
	    'retain: perm/closed: Permission denied
retain: perm/root/c: Permission denied' "$(LC_ALL=C sort "$ERR")"
	same 'and the walk went on past them' \
	    'closed closed/d mine root root/c' "$(listing perm)"
else
	skip 'permission denied entries are reported' 'needs root and setpriv'
	skip 'naming each' 'needs root and setpriv'
	skip 'the walk goes on' 'needs root and setpriv'
fi

mkdir imm
old imm/a imm/b
if chattr +i imm/a 2>/dev/null; then
	status 'an immutable file: exit 1' 1 "$R" --older-than 1d imm
	same 'is reported' 'retain: imm/a: Operation not permitted' \
	    "$(cat "$ERR")"
	same 'and kept; the rest goes' a "$(names imm)"
	chattr -i imm/a
else
	skip 'an immutable file: exit 1' 'chattr +i does not work here'
	skip 'is reported' 'chattr +i does not work here'
	skip 'and kept' 'chattr +i does not work here'
fi

# --- a policy --------------------------------------------------------------------------

mkdir -p srv/tokens srv/sessions srv/logs/app srv/audit arch
touch -d "@$((NOW - 13 * 3600))" srv/tokens/t1
touch -d "@$((NOW - 11 * 3600))" srv/tokens/t2
touch -d "@$((NOW - 38 * DAY))" srv/sessions/s1
touch -d "@$((NOW - 36 * DAY))" srv/sessions/s2
touch -d "@$((NOW - 91 * DAY))" srv/logs/app/a.log srv/logs/app/a.txt \
    srv/logs/top.log
touch -d "@$((NOW - 8 * 365 * DAY))" srv/audit/tx1 srv/logs/app/ancient.log
touch -d "@$((NOW - 6 * 365 * DAY))" srv/audit/tx2
cat >policy <<EOF
# DIR			PATTERN		AGE	ACTION
$P/srv/tokens		*		12h	delete
$P/srv/sessions		*		37d	delete	# 30 days and a week
$P/srv/logs		app/*.log	90d	delete	prune-dirs
$P/srv/logs/		*.txt		90d	delete	prune-dirs
$P/srv/audit		tx*		7y	archive	$P/arch
$P/srv			*		10y	delete
EOF
status 'a policy, dry' 0 "$R" -n --now "$NOWS" -f policy
cp "$OUT" pol.out
status 'the policy' 0 "$R" -v --now "$NOWS" -f policy
cp "$OUT" real.out
ok 'did what the dry run said' cmp pol.out real.out
same 'each line with its own age and action' \
    "archive	$P/srv/audit/tx1	$P/arch/tx1
delete	$P/srv/logs/app
delete	$P/srv/logs/app/a.log
delete	$P/srv/logs/app/a.txt
delete	$P/srv/logs/app/ancient.log
delete	$P/srv/sessions/s1
delete	$P/srv/tokens/t1" "$(LC_ALL=C sort real.out)"
same 'the first matching line wins; a DIR nested in another is its own' \
    'audit audit/tx2 logs logs/top.log sessions sessions/s2 tokens tokens/t2' \
    "$(listing srv)"

perr() {	# perr DESCRIPTION WANT LINE...: a policy that must be refused
	d=$1 w=$2
	shift 2
	printf '%s\n' "$P/srv/tokens * 1s delete" "$@" >bad.conf
	run "$R" --now "$NOWS" -f bad.conf
	rc=$?
	same "$d" "2|retain: bad.conf:2: $w" "$rc|$(cat "$ERR")"
}
perr 'a relative DIR' 'DIR: srv: a relative path is refused in a policy' \
    'srv * 1d delete'
perr 'too few fields' \
    'want DIR PATTERN AGE delete|archive DEST [by=mtime|by=name] [prune-dirs] [cross-fs]' \
    "$P/srv * 1d"
perr 'a bad age' \
    '1q: want an age such as 90d, 36h, 7y or 1y6m (y m w d h min s, each number up to 1000000)' \
    "$P/srv * 1q delete"
perr 'an unknown action' 'remove: want delete or archive' \
    "$P/srv * 1d remove"
perr 'archive without DEST' 'archive: the DEST directory is missing' \
    "$P/srv * 1d archive"
perr 'a relative DEST' 'archive: arch: a relative path is refused in a policy' \
    "$P/srv * 1d archive arch"
perr 'a missing DEST' "$P/nowhere: No such file or directory" \
    "$P/srv * 1d archive $P/nowhere"
perr 'DEST the DIR itself' "$P/srv: the archive is the directory itself" \
    "$P/srv * 1d archive $P/srv"
perr 'an unknown option' 'by=ctime: want by=mtime, by=name, prune-dirs or cross-fs' \
    "$P/srv * 1d delete by=ctime"
perr 'a pattern with a leading /' \
    '/x/*: a pattern is relative to DIR: no leading '"'/'" "$P/srv /x/* 1d delete"
perr 'a pattern with ..' \
    '../*: "." and ".." have no place in a pattern' "$P/srv ../* 1d delete"
perr 'a missing DIR' "$P/nothere: No such file or directory" \
    "$P/nothere * 1d delete"
perr 'a DIR that is a symlink' \
    "$P/link: a symbolic link is refused (name the directory it points to)" \
    "$P/link * 1d delete"
printf '%s\n' "$P/srv/tokens * 1s delete" "$P/srv * 1d delete" \
    "$P/srv/ * 1d delete cross-fs" >bad.conf
run "$R" -f bad.conf
same 'the same DIR named again with other options is an error on its line' \
    "2|retain: bad.conf:3: $P/srv: prune-dirs and cross-fs differ from line 2, which names the same directory" \
    "$?|$(cat "$ERR")"
awk 'BEGIN { printf "/x * 1d delete #"; for (i = 0; i < 5000; i++) printf "x"; print "" }' >long.conf
status 'a line too long' 2 "$R" -f long.conf
same 'names the line' "retain: long.conf:1: line too long" "$(cat "$ERR")"
status 'a missing policy' 2 "$R" -f nothere.conf
same 'is named' 'retain: nothere.conf: No such file or directory' \
    "$(cat "$ERR")"
same 'no policy error changed anything (t2 stays below tokens)' \
    'tokens/t2' "$(listing srv | tr ' ' '\n' | grep tokens/)"
printf '# nothing\n\n' >empty.conf
status 'an empty policy does nothing, successfully' 0 "$R" -f empty.conf

# --- the shipped example -------------------------------------------------------------

# Every absolute path of the example moves below ex/; its DIRs and DESTs
# are made there.
sed "s|^\(/[^ 	]*\)|$P/ex\1|; s|\(archive[ 	]*\)/|\1$P/ex/|" \
    "$TESTS/../conf/retain.conf" >example.conf
awk '!/^#/ && NF >= 4 { print $1; if ($4 == "archive") print $5 }' \
    example.conf | while read -r d; do mkdir -p "$d"; done
touch -d "@$((NOW - 13 * 3600))" ex/var/lib/app/tokens/t
touch -d "@$((NOW - 8 * 365 * DAY))" ex/srv/data/audit/a \
    ex/srv/data/transactions/tx-2017-01-01.csv
touch -d "@$((NOW - 11 * 365 * DAY))" ex/srv/archive/audit/older
: >ex/srv/data/transactions/tx-2024-01-01.csv
status 'conf/retain.conf, moved below the test directory, is valid' 0 \
    "$R" -v --now "$NOWS" -f example.conf
same 'and does what it says' \
    "archive	$P/ex/srv/data/audit/a	$P/ex/srv/archive/audit/a
archive	$P/ex/srv/data/transactions/tx-2017-01-01.csv	$P/ex/srv/archive/transactions/tx-2017-01-01.csv
delete	$P/ex/srv/archive/audit/older
delete	$P/ex/var/lib/app/tokens/t" "$(LC_ALL=C sort "$OUT")"
same 'an archive is walked by its own line, not by the one filling it' \
    'audit audit/a transactions transactions/tx-2017-01-01.csv' \
    "$(listing ex/srv/archive)"

# --- AUDITLOG ---------------------------------------------------------------------

. "$TESTS/auditlog.sh"
mkdir au
old au/x au/y
ln -s x au/l
touch -h -d "@$OLD" au/l
AUDITLOG=$P/audit.log
export AUDITLOG
status 'with an AUDITLOG that is no log: exit 1' 1 "$R" --older-than 1d au
same 'saying so, before anything changed' \
    "retain: $P/audit.log: No such file or directory; nothing changed|l x y" \
    "$(cat "$ERR")|$(names au)"
status 'a dry run opens no log' 0 "$R" -n --older-than 1d au
"$A" init -o k0 >/dev/null
status 'with a log' 0 "$R" --older-than 1d au
got=$(for i in 2 3 4; do
	printf '%s %s\n' "$(af type $i)" "$(af path $i | decode)"
done | LC_ALL=C sort | tr '\n' '|')
same 'one delete record per file, with its absolute path' \
    "delete $P/au/l|delete $P/au/x|delete $P/au/y|" "$got"
same 'by retain, and nothing else' 'retain|4' "$(af prog)|$(nrec audit.log)"
ok 'the log verifies' "$A" verify -k k0
unset AUDITLOG

# --- nothing left behind ------------------------------------------------------------

same 'no quarantine is left anywhere' '' \
    "$(find . -name '.retain-quarantine*' | head -3)"
