#!/bin/sh
# 060-retain-race: helpers race retain: directories swapped for symlinks
# to outside, files replaced between judgement and removal, a second
# retain on the same tree.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"
. "$TESTS/retain.sh"

plan 9

# mkfiles DIR N PREFIX [MTIME]: N empty files DIR/PREFIXi, dated MTIME.
mkfiles() {
	perl -e '
		my ($dir, $n, $p, $t) = @ARGV;
		for my $i (0 .. $n - 1) {
			my $f = "$dir/$p$i";
			open(F, ">", $f) or die "$f: $!"; close F;
			utime($t, $t, $f) if defined $t;
		}' "$@"
}

# --- directories swapped for symlinks to outside ---------------------------------

# Ten directories of old files; outside, old files too.  In each of
# several rounds a helper keeps swapping each directory (and one below
# it) for a symlink to outside and back while retain runs over the tree.
mkdir -p outside/in
mkfiles outside 100 o "$OLD"
mkfiles outside/in 100 i "$OLD"
before=$(state outside)
round=0 bad=0 swaps=0
while [ $round -lt 5 ]; do
	i=0
	while [ $i -lt 10 ]; do
		mkdir -p "tree/d$i/sub"
		mkfiles "tree/d$i" 100 f "$OLD"
		mkfiles "tree/d$i/sub" 50 g "$OLD"
		i=$((i + 1))
	done
	perl -e '
		my ($tree, $out) = @ARGV;
		my ($n, $stop) = (0, 0);
		# Stop between swaps, never leaving a symlink in place.
		$SIG{TERM} = sub { $stop = 1 };
		until ($stop) {
			for my $i (0 .. 9) {
				for my $x ("$tree/d$i", "$tree/d$i/sub") {
					rename($x, "$x.x") or next;
					symlink($x =~ /sub$/ ? "$out/in" : $out,
					    $x) and $n++;
					unlink($x);
					rename("$x.x", $x);
				}
			}
		}
		print "$n\n";
	' tree "$P/outside" >swaps &
	helper=$!
	sleep 0.1
	"$R" --older-than 1d tree >/dev/null 2>>errs
	[ $? -le 1 ] || bad=$((bad + 1))
	kill $helper
	wait $helper
	swaps=$((swaps + $(cat swaps)))
	[ -z "$(find tree -type l)" ] || bad=$((bad + 100))
	round=$((round + 1))
done
diag "5 runs while a helper made $swaps swaps; $(grep -c . errs) messages"
[ ! -s errs ] || diag "$(sed 's/^retain: [^:]*: //' errs | sort | uniq -c)"
ok 'the helper swapped directories for symlinks many times' \
    test "$swaps" -gt 1000
same 'outside the tree nothing changed' "$before" "$(state outside)"
same 'no run crashed or failed otherwise' 0 "$bad"
"$R" --older-than 1d tree >/dev/null 2>&1
same 'once the helper is gone, a run removes every old file of the tree' \
    '' "$(find tree -type f)"

# --- files replaced between judgement and removal -----------------------------------

# 2,000 old files; a helper replaces each, once, by a new file renamed
# over it (as an application saving atomically does) while retain runs.
# Whatever the interleaving, every name must end up holding the new
# file: retain may delete an old one before it is replaced, never a new
# one.
mkdir -p rep pool
mkfiles rep 2000 f "$OLD"
perl -e 'for (0 .. 1999) { open(F, ">", "pool/n$_") or die; print F "new\n";
    close F }'
races=0 lost=0 round=0
while [ $round -lt 3 ]; do
	perl -e '
		my @i = (0 .. 1999);
		for (my $k = $#i; $k > 0; $k--) {	# shuffled
			my $j = int rand($k + 1); @i[$k, $j] = @i[$j, $k];
		}
		for (@i) { rename("pool/n$_", "rep/f$_") or die "$_: $!" }
	' &
	helper=$!
	"$R" --older-than 1d rep >/dev/null 2>errs
	wait $helper
	races=$((races + $(grep -c 'changed since it was judged' errs)))
	n=$(grep -lx new rep/f* 2>/dev/null | wc -l)
	[ "$n" -eq 2000 ] || lost=$((lost + 2000 - n))
	# Old again for the next round, and new files in the pool.
	touch -d "@$OLD" rep/f*
	perl -e 'for (0 .. 1999) { open(F, ">", "pool/n$_") or die;
	    print F "new\n"; close F }'
	round=$((round + 1))
done
diag "replaced files seen changed after judgement and put back: $races"
same 'no new file was ever deleted (every name holds its new file)' 0 "$lost"
same 'no quarantine is left' '' "$(find . -name '.retain-quarantine.*')"

# --- a second retain on the same tree ------------------------------------------------

mkdir big
i=0
while [ $i -lt 4 ]; do
	mkdir "big/$i"
	mkfiles "big/$i" 2000 f "$OLD"
	i=$((i + 1))
done
"$R" --older-than 1d big >/dev/null 2>first.err &
first=$!
# Its quarantine appears with its first removal, once it holds the lock
# (polling with flock(1) instead could take the lock from under it).
i=0
while [ -z "$(ls -A big | grep retain-quarantine)" ] && [ $i -lt 2000 ]; do
	i=$((i + 1))
done
if [ -n "$(ls -A big | grep retain-quarantine)" ]; then
	status 'a second retain on the same tree exits 3' 3 \
	    "$R" --older-than 1d big
	same 'saying so' \
	    'retain: big: busy (another retain, or another process holding a lock on it, is working there)' \
	    "$(cat "$ERR")"
else
	skip 'a second retain on the same tree exits 3' 'the first was done too soon'
	skip 'saying so' 'the first was done too soon'
fi
wait $first
same 'the first finishes its work' '0|' "$?|$(find big -type f | head -1)"
