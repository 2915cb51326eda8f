#!/bin/sh
# 030-snaprotate-restic: snaprotate decides as restic forget does, on
# random timestamp sets and random policies.
# SPDX-License-Identifier: ISC
#
# The reference is the restic installed here (Debian bookworm ships 0.14):
# each timestamp becomes a snapshot of a throwaway repository (`restic
# backup --time`, one host per set) and `restic forget --dry-run --json`
# says what it keeps.  restic 0.14 differs from 0.16 and snaprotate in one
# documented way: a counter still unspent after the oldest snapshot does
# not keep the oldest.  So with a restic older than 0.16, what snaprotate
# keeps for the reason `oldest` alone is left out of the comparison (a
# fixed set shows the difference itself); the protections `latest` and
# `newest`, which restic does not have, are left out likewise, so the
# comparison shows that they are never the only reason here.  `unlimited`
# is given to restic 0.14 as 1000000, which its integers mean the same
# way.  Both run with TZ=UTC.  forget runs with --no-lock so that several
# dry runs can share the repository.
. "$(dirname "$0")/tap.sh"

SETS=${SNAPROTATE_RESTIC_SETS:-3}
POLICIES=6
NSNAP=20
SR=$BIN/snaprotate
N=$((SETS * POLICIES + 4))
plan $N

if ! command -v restic >/dev/null 2>&1; then
	i=0
	while [ $i -lt $N ]; do
		i=$((i + 1))
		skip "differential test against restic $i" \
		    'restic is not installed (apt-get install restic)'
	done
	exit 0
fi
if ! perl -MJSON::PP -e 1 2>/dev/null; then
	i=0
	while [ $i -lt $N ]; do
		i=$((i + 1))
		skip "differential test against restic $i" \
		    "perl's JSON::PP is missing"
	done
	exit 0
fi

TZ=UTC
RESTIC_PASSWORD=datakeep-test
RESTIC_REPOSITORY=$T/repo
RESTIC_CACHE_DIR=$T/cache
export TZ RESTIC_PASSWORD RESTIC_REPOSITORY RESTIC_CACHE_DIR
diag "$(restic version)"
# Whether this restic keeps the oldest snapshot for an unspent counter.
case $(restic version | awk '{ print $2 }') in
0.[0-9].*|0.1[0-5].*) keeps_oldest=0 ;;
*) keeps_oldest=1 ;;
esac
seed=${SNAPROTATE_RESTIC_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
diag "seed $seed (SNAPROTATE_RESTIC_SEED=$seed repeats this run)"

ok 'restic init makes a throwaway repository' restic init -q
echo data >"$T/file"

# Timestamp sets: NSNAP unique times from mid-2021 to 2024, some in
# clusters within one hour or one day, some around the turn of a year
# (ISO weeks) and at month ends, as "YYYY-mm-dd HH:MM:SS".
s=1
while [ $s -le $SETS ]; do
	perl -MPOSIX=strftime -e '
		my ($seed, $n) = @ARGV;
		srand($seed);
		my ($lo, $hi) = (1622505600, 1735689599); # 2021-06-01 .. 2024-12-31
		my (%seen, @prev);
		while (@prev < $n) {
			my $r = rand();
			my $t;
			if ($r < 0.15 && @prev) {	# the same hour as one before
				$t = $prev[int(rand(@prev))] + int(rand(3600)) - 1800;
			} elsif ($r < 0.3 && @prev) {	# the same day, roughly
				$t = $prev[int(rand(@prev))] + int(rand(86400)) - 43200;
			} elsif ($r < 0.4) {		# late December, early January
				$t = POSIX::mktime(0, 0, 12, 26 + int(rand(10)), 11,
				    121 + int(rand(3))) + int(rand(86400)) - 43200;
			} else {
				$t = $lo + int(rand($hi - $lo));
			}
			next if $seen{$t}++;
			push @prev, $t;
			print strftime("%Y-%m-%d %H:%M:%S\n", gmtime($t));
		}' $((seed * 10 + s)) $NSNAP >"$T/set$s" || exit 1
	s=$((s + 1))
done

# The fixed set: three snapshots of one day.
printf '%s\n' '2024-05-01 08:00:00' '2024-05-01 12:00:00' \
    '2024-05-01 18:00:00' >"$T/setfixed"

# One backup per timestamp, two at a time (restic's key derivation is what
# takes the time).
for s in fixed $(seq 1 $SETS); do
	sed "s/^/s$s /" "$T/set$s"
done | (cd "$T" && xargs -P 2 -n 3 sh -c \
    'exec restic backup -q --host "$0" --time "$1 $2" file') >"$T/backup.log" 2>&1
ok 'restic made every snapshot' \
    test "$(restic snapshots --json | perl -MJSON::PP -e '
	local $/; print scalar @{decode_json(<STDIN>)}')" -eq $((SETS * NSNAP + 3))
[ -s "$T/backup.log" ] && diag "$(cat "$T/backup.log")"

# policy SEED: random --keep-* options, at least one of them nonzero.
policy() {
	awk -v seed="$1" 'BEGIN {
		srand(seed)
		split("last hourly daily weekly monthly yearly", k, " ")
		split("hourly daily weekly monthly yearly", w, " ")
		while (out == "") {
			for (i = 1; i <= 6; i++) {
				if (rand() < 0.35) {
					v = 1 + int(rand() * 6)
					if (rand() < 0.1) v = "unlimited"
					out = out " --keep-" k[i] " " v
				}
			}
			if (rand() < 0.2)
				out = out " --keep-within " dur()
			for (i = 1; i <= 5; i++)
				if (rand() < 0.15)
					out = out " --keep-within-" w[i] " " dur()
		}
		print substr(out, 2)
	}
	function dur(  r) {
		r = rand()
		if (r < 0.25) return (1 + int(rand() * 72)) "h"
		if (r < 0.5) return (1 + int(rand() * 60)) "d"
		if (r < 0.75) return (1 + int(rand() * 18)) "m"
		return (1 + int(rand() * 2)) "y" int(rand() * 12) "m" \
		    int(rand() * 30) "d" int(rand() * 24) "h"
	}'
}

# What restic keeps, as snapshot names db_YYYYmmdd_HHMMSS, sorted.
restic_keeps() {
	# shellcheck disable=SC2046
	restic forget --no-lock -q --dry-run --json --host "$1" $(echo "$2" |
	    sed 's/unlimited/1000000/g') | perl -MJSON::PP -e '
		local $/;
		for my $g (@{decode_json(<STDIN>)}) {
			for my $s (@{$g->{keep}}) {
				my $t = $s->{time};
				$t =~ s/^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d).*/db_$1$2$3_$4$5$6/;
				print "$t\n";
			}
		}' | LC_ALL=C sort
}

# What snaprotate keeps for a reason restic 0.14 has too.
snaprotate_keeps() {
	# shellcheck disable=SC2086
	"$SR" -n -d "$1" --pattern 'db_%Y%m%d_%H%M%S' $2 |
	    awk -F '\t' -v ko=$keeps_oldest '$1 == "keep" {
		n = split($3, r, ","); own = 0
		for (i = 1; i <= n; i++)
			if ((r[i] != "oldest" || ko) && r[i] != "latest" &&
			    r[i] != "newest")
				own = 1
		if (own) print $2
	    }' | LC_ALL=C sort
}

for s in fixed $(seq 1 $SETS); do
	mkdir "$T/d$s"
	sed 's/[-:]//g; s/ /_/; s/^/db_/' "$T/set$s" |
	    (cd "$T/d$s" && xargs touch)
done

# --- the documented difference ----------------------------------------------

TAB=$(printf '\t')
run "$SR" -n -d "$T/dfixed" --pattern 'db_%Y%m%d_%H%M%S' --keep-daily 3
same 'an unspent counter keeps the oldest of three snapshots of one day' \
    "keep${TAB}db_20240501_080000${TAB}oldest
remove${TAB}db_20240501_120000${TAB}0
keep${TAB}db_20240501_180000${TAB}daily#1,newest
total${TAB}keep 2${TAB}remove 1${TAB}0" "$(cat "$OUT")"
if [ $keeps_oldest = 1 ]; then
	want='db_20240501_080000
db_20240501_180000'
else
	want=db_20240501_180000
fi
same "restic $(restic version | awk '{ print $2 }') keeps $(echo $want)" \
    "$want" "$(restic_keeps sfixed '--keep-daily 3')"

# --- random sets and policies -----------------------------------------------

# The forgets of one set run in parallel, two at a time.
for s in $(seq 1 $SETS); do
	for p in $(seq 1 $POLICIES); do
		policy $((seed * 100 + s * 10 + p)) >"$T/pol$s.$p"
		echo "$s $p"
	done
done >"$T/jobs"
restic_job() {
	restic_keeps "s$1" "$(cat "$T/pol$1.$2")" >"$T/want$1.$2"
}
while read -r s p; do
	restic_job "$s" "$p" &
	read -r s p && restic_job "$s" "$p"
	wait
done <"$T/jobs"
for s in $(seq 1 $SETS); do
	for p in $(seq 1 $POLICIES); do
		pol=$(cat "$T/pol$s.$p")
		want=$(cat "$T/want$s.$p")
		got=$(snaprotate_keeps "$T/d$s" "$pol")
		same "set $s, $pol: snaprotate keeps what restic keeps" \
		    "$want" "$got"
		[ "$want" = "$got" ] || diag "timestamps:" "$(cat "$T/set$s")"
	done
done
