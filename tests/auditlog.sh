# auditlog.sh - helpers shared by the auditlog tests; source it after
# tap.sh, never run it.
# SPDX-License-Identifier: ISC

A=$BIN/auditlog
unset AUDITLOG DATA_ENV
P=$(pwd -P)

# line N FILE: line N of FILE.
line() { sed -n "$1p" "$2"; }

# field KEY [N [FILE]]: the encoded value of KEY in line N (default the
# last) of FILE (default log).
field() {
	if [ -n "${2:-}" ]; then
		line "$2" "${3:-log}"
	else
		tail -n 1 "${3:-log}"
	fi | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# decode: percent-decode standard input.
decode() { perl -pe 's/%([0-9A-F]{2})/chr(hex($1))/ge'; }

# The encoding the format asks for, computed independently.
encode() {
	perl -0777 -pe 's/([^\x21-\x7e]|[%=])/sprintf("%%%02X", ord($1))/ge'
}

# Records of the log, and the last seq.
nrec() { wc -l <"${1:-log}" | tr -d ' '; }
lastseq() { field seq "" "${1:-log}"; }

# A state file's current slot: st KEY [STATEFILE].
st() {
	perl -e '
	    open(F, "<", $ARGV[1]) or die; binmode F; local $/; $d = <F>;
	    ($best, $bs) = (undef, -1);
	    for $o (0, 4096) {
		$s = substr($d, $o, 512); next unless length $s;
		next unless $s =~ /^dkaudit1 state\n/;
		($seq) = $s =~ /\nseq (\d+)\n/;
		($best, $bs) = ($s, $seq) if defined $seq && $seq > $bs;
	    }
	    exit 1 unless defined $best;
	    ($v) = $best =~ /\n\Q$ARGV[0]\E ([^\n]*)\n/; print "$v\n";
	' "$1" "${2:-log.state}"
}

# stset KEY VALUE [STATEFILE]: rewrite the current slot's KEY, with its
# checksum made right again: what an attacker can do.
stset() {
	perl -e '
	    use Digest::SHA qw(sha256_hex);
	    ($k, $v, $f) = @ARGV;
	    open(F, "+<", $f) or die; binmode F; local $/; $d = <F>;
	    ($best, $bo, $bs) = (undef, 0, -1);
	    for $o (0, 4096) {
		$s = substr($d, $o, 512); next unless length $s;
		next unless $s =~ /^dkaudit1 state\n/;
		($seq) = $s =~ /\nseq (\d+)\n/;
		($best, $bo, $bs) = ($s, $o, $seq) if $seq > $bs;
	    }
	    ($body) = $best =~ /^(.*?\n)sum /s;
	    $body =~ s/\n\Q$k\E [^\n]*\n/\n$k $v\n/ or die "no $k";
	    $slot = $body . "sum " . sha256_hex($body) . "\n";
	    $slot .= "\0" x (512 - length $slot);
	    seek(F, $bo, 0); print F $slot; close F;
	' "$1" "$2" "${3:-log.state}"
}

# forge SEQ TS BODY KEYHEX PREVMACHEX IDHEX: a record line keyed with
# KEYHEX as k_SEQ, BODY being "host=... type=... fields" after ts.
forge() {
	perl -e '
	    use Digest::SHA qw(hmac_sha256 hmac_sha256_hex);
	    ($seq, $ts, $body, $k, $prev, $id) = @ARGV;
	    $m = hmac_sha256("mac", pack("H*", $k));
	    $l = "dkaudit1 seq=$seq ts=$ts $body mac=";
	    $in = "dkaudit1" . pack("H*", $id) . pack("Q>", $seq) .
		pack("H*", $prev) . $l;
	    print $l, hmac_sha256_hex($in, $m), "\n";
	' "$@"
}

# chainhead FILE [HEADHEX]: the chain head after every line of FILE.
chainhead() {
	perl -e '
	    use Digest::SHA qw(sha256);
	    $h = pack("H*", $ARGV[1] || "00" x 32);
	    open(F, "<", $ARGV[0]) or die; binmode F;
	    while (<F>) { $h = sha256("dkaudit1 chain\n" . $h . $_); }
	    print unpack("H*", $h), "\n";
	' "$@"
}

# A user other than root for what root is exempt from (as snapback.sh).
if [ "$(id -u)" != 0 ]; then
	unpriv=self
elif command -v setpriv >/dev/null 2>&1 &&
    setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	unpriv=setpriv
	chmod go+x "$TAP_ROOT" "$T"
else
	unpriv=
fi
asuser() {
	if [ "$unpriv" = setpriv ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		"$@"
	fi
}
