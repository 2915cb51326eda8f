#!/bin/sh
# 070-envlink-race: readers resolving a link during 1,000 switches and a
# layer during publishes never miss it; concurrent and killed switches
# leave a valid link and no temporary.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"
. "$TESTS/envlink.sh"

plan 16

NSWITCH=1000

# reader PATH: count in the background how often PATH resolves to a
# directory and how often not, until stopreader; the counts go to $R.
R=$TAP_ROOT/reader
reader() {
	rm -f "$TAP_ROOT/stop" "$R"
	(
		n_ok=0 n_bad=0
		while [ ! -e "$TAP_ROOT/stop" ]; do
			if [ -d "$1/" ]; then n_ok=$((n_ok + 1))
			else n_bad=$((n_bad + 1)); fi
		done
		echo "$n_ok $n_bad" >"$R"
	) &
	r_pid=$!
	sleep 0.1
}
stopreader() {
	: >"$TAP_ROOT/stop"
	wait "$r_pid"
	read -r reads misses <"$R"
}

mkdir -p rel/a rel/b rel/c
"$E" switch rel/cur a >/dev/null

# --- the reader race -------------------------------------------------------

reader rel/cur
i=0 fails=0
while [ "$i" -lt "$NSWITCH" ]; do
	if [ $((i % 2)) = 0 ]; then t=b; else t=a; fi
	"$E" switch rel/cur "$t" >/dev/null || fails=$((fails + 1))
	i=$((i + 1))
done
stopreader
diag "envlink switch: $reads reads, $misses misses during $NSWITCH switches"
same "all $NSWITCH switches succeed" 0 "$fails"
same 'a reader resolving LINK meanwhile never misses it' 0 "$misses"
ok 'the reader did read throughout' test "$reads" -ge "$NSWITCH"
same 'LINK and .LINK.prev end where they should' 'a b' \
    "$(readlink rel/cur) $(readlink rel/.cur.prev)"
same 'no temporary is left' '.cur.lock .cur.prev a b c cur' "$(names rel)"

# The same reader sees the gap of a link removed and made again, as
# busybox ln -sfn does it: the test can tell.
mkdir naive
reader naive/cur
i=0
while [ "$i" -lt 200 ]; do
	rm -f naive/cur && ln -s ../rel/a naive/cur
	i=$((i + 1))
done
stopreader
diag "rm + ln -s: $reads reads, $misses misses during 200 replacements"
ok 'the reader does see a link that vanishes (rm + ln -s)' test "$misses" -gt 0

# --- publish under a reader ----------------------------------------------------

mkdir -p pub/live pub/.live.new
: >pub/live/part-0.parquet
: >pub/.live.new/part-0.parquet
reader pub/live
i=0 fails=0
while [ "$i" -lt 200 ]; do
	"$E" publish pub/live pub/.live.new || fails=$((fails + 1))
	i=$((i + 1))
done
stopreader
diag "envlink publish: $reads reads, $misses misses during 200 exchanges"
same '200 publishes succeed' 0 "$fails"
same 'a reader of LIVE never misses it' 0 "$misses"

# --- concurrent switches -----------------------------------------------------

reader rel/cur
workers=
for w in 1 2 3 4 5 6; do
	(
		for t in a b c a b c a b c a b c a b c a b c a b c; do
			"$E" switch rel/cur "$t" >/dev/null 2>>"errs.$w"
			echo "$?" >>"rcs.$w"
		done
	) &
	workers="$workers $!"
done
for w in $workers; do wait "$w"; done
stopreader
cat rcs.* >rcs
cat errs.* >errs
codes=$(sort -u rcs | tr '\n' ' ')
diag "concurrent switches: exit codes $(sort rcs | uniq -c | tr '\n' ' ')"
ok 'concurrent switches succeed or are busy (3), nothing else' \
    test "$codes" = '0 ' -o "$codes" = '0 3 ' -o "$codes" = '3 0 '
same 'a busy one says so' '' \
    "$(grep -v '^envlink: rel/cur: busy (another run holds rel/.cur.lock)$' errs)"
case $(readlink rel/cur)/$(readlink rel/.cur.prev) in
a/[abc]|b/[abc]|c/[abc]) valid=yes ;;
*) valid=no ;;
esac
same 'LINK and .LINK.prev are valid links afterwards' yes "$valid"
same 'readers never missed LINK meanwhile' 0 "$misses"
same 'and no temporary is left' '.cur.lock .cur.prev a b c cur' "$(names rel)"

# --- killed switches ------------------------------------------------------------

reader rel/cur
i=0 seen=0
while [ "$i" -lt 100 ]; do
	"$E" switch rel/cur b >/dev/null 2>&1 &
	k=$!
	# Kill it at different points of its run.
	j=0
	while [ "$j" -lt $((i * 40)) ]; do j=$((j + 1)); done
	kill -9 "$k" 2>/dev/null
	wait "$k" 2>/dev/null
	n=$(ls -A rel | grep -c '^\.\.*cur\.\(prev\.\)*[A-Za-z0-9]\{6\}$')
	seen=$((seen + n))
	i=$((i + 1))
done
stopreader
diag "100 switches killed at different points left $seen temporaries" \
    "(each removed by the next run)"
same 'a reader never misses LINK while switches are killed' 0 "$misses"
status 'a switch after killed ones succeeds' 0 "$E" switch rel/cur c
same 'LINK is right and nothing the killed ones made is left' \
    'c .cur.lock .cur.prev a b c cur' "$(readlink rel/cur) $(names rel)"
