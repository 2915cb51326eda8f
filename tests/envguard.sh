# envguard.sh - helpers shared by the envguard tests; source it after
# tap.sh, never run it.
# SPDX-License-Identifier: ISC

E=$BIN/envguard
PROBE=${HELPERS:-$(dirname "$BIN")/tests}/envguard-probe
TAB=$(printf '\t')
NL='
'
unset DATA_ENV ENVGUARD_PROTECT ENVGUARD_CONFIRM ENVGUARD_YES AUDITLOG

[ -x "$PROBE" ] || { echo "1..0 # skip no $PROBE (make check builds it)"; exit 0; }
# The kernel's Landlock ABI version, 0 without Landlock.
ABI=$("$PROBE" abi)

# A user other than root, to show that Landlock alone stops the writes:
# nobody via setpriv, or ourselves when not root.
if [ "$(id -u)" != 0 ]; then
	unpriv=self
elif command -v setpriv >/dev/null 2>&1 &&
    setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	unpriv=setpriv
	chmod go+rx "$TAP_ROOT" "$T"	# let nobody reach and list $T
else
	unpriv=
fi

# asuser CMD...: CMD as nobody (or as ourselves when not root).
asuser() {
	if [ "$unpriv" = setpriv ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		"$@"
	fi
}

# Everything in a tree, one line per entry, sorted: path, type, mode,
# owner, size, mtime, link target, and the SHA-256 of each file's content.
fingerprint() {
	(cd "$1" && find . -printf '%p|%y|%m|%U:%G|%s|%T@|%l\n' | LC_ALL=C sort &&
	    find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2)
}
