# retain.sh - helpers shared by the retain tests; source it after tap.sh,
# never run it.
# SPDX-License-Identifier: ISC

R=$BIN/retain
unset AUDITLOG DATA_ENV
P=$(pwd -P)
DAY=86400
NOW=1755518400			# 2025-08-18T12:00:00Z, the tests' --now
NOWS=2025-08-18T12:00:00Z
OLD=$((NOW - 400 * DAY))	# old for every age used, by NOW and by now

# old FILE...: make the files (if need be) and date them OLD.
old() {
	for f; do
		[ -e "$f" ] || : >"$f"
		touch -d "@$OLD" "$f"
	done
}

# listing DIR: the paths below DIR, sorted, on one line.
listing() {
	(cd "$1" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort |
	    tr '\n' ' ' | sed 's/ $//')
}

# state DIR: every entry with its type, size, mtime and inode, sorted.
state() { find "$1" -printf '%P %y %s %T@ %i\n' | LC_ALL=C sort; }

# waitfor_lock FILE: until another process holds an flock on FILE.
waitfor_lock() {
	i_=0
	while flock -n "$1" true 2>/dev/null && [ $i_ -lt 200 ]; do
		sleep 0.05
		i_=$((i_ + 1))
	done
}

# af KEY [N]: the encoded value of KEY in record N (default the last)
# of audit.log; needs auditlog.sh.
af() { field "$1" "${2:-}" audit.log; }

# hold [-s] PATH: an flock on PATH (exclusive, or shared with -s), taken
# with flock(1) on a descriptor of a background process that keeps it
# until release.
hold() {
	m_=-x
	if [ "$1" = -s ]; then
		m_=-s
		shift
	fi
	(flock "$m_" 9 && exec sleep 60 >/dev/null 2>&1) 9<"$1" &
	holder=$!
	waitfor_lock "$1"
}
release() {
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
}
