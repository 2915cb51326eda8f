# snapback.sh - helpers shared by the snapback tests; source it after
# tap.sh, never run it.
# SPDX-License-Identifier: ISC

B=$BIN/snapback
P=$(pwd -P)		# what snapback records: getcwd is physical
TAB=$(printf '\t')
NL='
'
D8='[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'
D6='[0-9][0-9][0-9][0-9][0-9][0-9]'
MT='2020-01-02 03:04:05.123456789'

# A user other than root for what root is exempt from: nobody via
# setpriv, or ourselves when not root.
if [ "$(id -u)" != 0 ]; then
	unpriv=self
elif command -v setpriv >/dev/null 2>&1 &&
    setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	unpriv=setpriv
	chmod go+x "$TAP_ROOT" "$T"	# let nobody reach $T
else
	unpriv=
fi

# Everything a user cares about in a tree, one record per entry, sorted:
# path, type, mode, owner, size (not for directories), mtime in ns, link
# target.  NUL-separated while sorting so hostile names stay whole.
listing() {
	(cd "$1" && find . \( -type d -printf '%P|%y|%m|%U:%G|-|%T@|\0' \) \
	    -o -printf '%P|%y|%m|%U:%G|%s|%T@|%l\0' | LC_ALL=C sort -z |
	    tr '\0' '\n')
}

# Overwrite one byte of a file in place.
flip() {
	printf '%s' "$2" | dd of="$1" bs=1 count=1 conv=notrunc 2>/dev/null
}

# asuser CMD...: run CMD as nobody when setpriv can ($unpriv = setpriv).
asuser() {
	if [ "$unpriv" = setpriv ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		"$@"
	fi
}

# userdir DIR: make DIR, owned by nobody when asuser uses setpriv.
userdir() {
	mkdir -p "$1"
	[ "$unpriv" != setpriv ] || chown -R 65534:65534 "$1"
}

# stray DIR RE: entries of DIR other than .snapback, .lock and names
# matching the extended regex RE; and manifests without their snapshot.
stray() {
	ls -A "$1" | grep -Ev "^(\\.snapback|\\.lock|$2)\$"
	for m in "$1"/*.sha256; do
		[ -e "$m" ] || continue
		[ -e "${m%.sha256}" ] || echo "manifest without snapshot: $m"
	done
}
