#!/bin/sh
# sha256.sh - SHA-256 throughput: datakeep's SHA-NI and portable paths
# against sha256sum(1) and openssl dgst, on one file in the page cache.
# SPDX-License-Identifier: ISC
#
# Usage: BENCHBIN=build/bench [SIZE_MB=1024] [RUNS=3] sh bench/sha256.sh
# Prints seconds (best of RUNS) and MB/s (10^6 bytes) for each, then the
# ratios; exits 1 if the four digests differ or a tool fails.

set -eu

: "${BENCHBIN:?set BENCHBIN to the directory holding the sha256sum bench}"
SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-3}
ours=$BENCHBIN/sha256sum

case $SIZE_MB in
''|*[!0-9]*|0) echo "sha256.sh: SIZE_MB: not a positive integer" >&2; exit 2 ;;
esac
[ -x "$ours" ] || { echo "sha256.sh: $ours: not built" >&2; exit 2; }
for t in sha256sum openssl; do
	command -v "$t" >/dev/null 2>&1 ||
	    { echo "sha256.sh: $t: not found" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sha256-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
file=$tmp/data

# Random-ish and fast to make: AES-CTR keystream rather than /dev/urandom.
openssl enc -aes-128-ctr -nosalt -pbkdf2 -pass pass:datakeep \
    </dev/zero 2>/dev/null | head -c $((SIZE_MB * 1048576)) >"$file"
[ "$(wc -c <"$file")" -eq $((SIZE_MB * 1048576)) ] ||
    { echo "sha256.sh: could not write $SIZE_MB MiB to $tmp" >&2; exit 1; }
cat "$file" >/dev/null
cat "$file" >/dev/null

# time_best NAME CMD...: best wall time of RUNS runs of CMD "$file" into
# $secs, the digest (first field of its output) into $digest.
time_best() {
	name=$1
	shift
	secs=
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		t0=$(date +%s.%N)
		out=$("$@" "$file") ||
		    { echo "sha256.sh: $name failed" >&2; exit 1; }
		t1=$(date +%s.%N)
		secs=$(awk -v a="$t0" -v b="$t1" -v best="$secs" 'BEGIN {
			t = b - a
			if (best != "" && best + 0 < t)
				t = best
			printf "%.4f", t
		}')
		i=$((i + 1))
	done
	digest=${out%% *}
	digest=${digest#\*}
}

time_best sha-ni "$ours";		s_ni=$secs;	d_ni=$digest
time_best portable "$ours" -p;		s_pt=$secs;	d_pt=$digest
time_best sha256sum sha256sum;		s_cu=$secs;	d_cu=$digest
time_best openssl openssl dgst -sha256 -r; s_os=$secs;	d_os=$digest

grep -qw sha_ni /proc/cpuinfo 2>/dev/null ||
    echo "note: this CPU has no SHA extensions; 'sha-ni' runs the portable code"

awk -v mb="$SIZE_MB" -v ni="$s_ni" -v pt="$s_pt" -v cu="$s_cu" \
    -v os="$s_os" -v runs="$RUNS" '
function row(name, t) {
	printf "%-24s %9.3f %9.1f\n", name, t, mb * 1048576 / t / 1e6
}
function ratio(name, r) {
	printf "%-24s %9.2fx\n", name, r
}
BEGIN {
	printf "%d MiB in the page cache, best of %d runs\n", mb, runs
	printf "%-24s %9s %9s\n", "", "seconds", "MB/s"
	row("datakeep sha-ni", ni)
	row("datakeep portable (-p)", pt)
	row("sha256sum", cu)
	row("openssl dgst -sha256", os)
	ratio("sha-ni / sha256sum", cu / ni)
	ratio("sha-ni / openssl", os / ni)
	ratio("portable / sha256sum", cu / pt)
}'

if [ "$d_ni" = "$d_pt" ] && [ "$d_ni" = "$d_cu" ] && [ "$d_ni" = "$d_os" ]
then
	echo "digests agree: $d_ni"
else
	echo "sha256.sh: digests differ:" >&2
	printf '  %-10s %s\n' sha-ni "$d_ni" portable "$d_pt" \
	    sha256sum "$d_cu" openssl "$d_os" >&2
	exit 1
fi
