#!/bin/sh
# 082-envguard-lock: lock and unlock: write permission off and back exactly,
# the record, what changed since, -n, -v, -f, -i, mounts, hostile names.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"
. "$TESTS/envguard.sh"

plan 100

# Inode, type, mode and owner of everything in a tree, sorted by inode
# (no names: a hostile name must not split a line).
modes() {
	(cd "$1" && find . -printf '%i|%y|%m|%U\n' | LC_ALL=C sort -u)
}
# The same with the w bits taken off everything but symlinks.
unwritable() {
	while IFS='|' read -r i y m u; do
		[ "$y" = l ] || m=$(printf '%o' $((0$m & ~0222)))
		echo "$i|$y|$m|$u"
	done
}

# Names, types, sizes, times and content hashes: what lock must not touch.
contents() {
	(cd "$1" && find . -printf '%p|%y|%s|%T@|%l\n' | LC_ALL=C sort &&
	    find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2)
}

mkdir -p prod/sub prod/private prod/shared
printf 'one\n' >prod/a
printf 'two\n' >prod/sub/b
printf 'secret\n' >prod/private/key
printf 'run\n' >prod/sub/tool
printf 'outside\n' >outside
ln prod/a prod/sub/a-link
ln -s ../../outside prod/sub/out-link
mkfifo prod/fifo
odd="t${TAB}a${NL}b\\c$(printf '\377')"
printf 'odd\n' >"prod/$odd"
chmod 644 prod/a prod/sub/b
chmod 600 prod/private/key
chmod 700 prod/private
chmod 2775 prod/shared
chmod 4755 prod/sub/tool
chmod 640 prod/fifo
chmod 666 outside
before=$(modes prod)
contents prod >content.before

# --- lock ------------------------------------------------------------------

status 'lock' 0 "$E" lock prod
same 'is quiet' '' "$(cat "$OUT")$(cat "$ERR")"
same 'every file and directory lost exactly its w bits' \
    "$(echo "$before" | unwritable)" "$(modes prod)"
same 'set-id bits are kept' '2555|4555' \
    "$(stat -c %a prod/shared)|$(stat -c %a prod/sub/tool)"
same 'the symlink'"'"'s target outside is untouched' 666 "$(stat -c %a outside)"
ok 'the record is beside the tree' test -f .prod.envguard-lock
same 'mode 0600' 600 "$(stat -c %a .prod.envguard-lock)"
same 'it starts with its tag and the root'"'"'s inode' \
    "envguard-lock 1${NL}root${TAB}$(stat -c %i prod)" \
    "$(sed -n 1,2p .prod.envguard-lock)"
same 'one line per inode (hard links once, symlinks not at all)' \
    "$(find prod ! -type l -printf '%i\n' | sort -u | wc -l)" \
    "$(sed 1,2d .prod.envguard-lock | wc -l)"
same 'each: INO MODE FLAG SIZE MTIME PATH' "${TAB}0644${TAB}-${TAB}4${TAB}" \
    "$(grep "${TAB}a\$" .prod.envguard-lock | sed 's/^[0-9]*//; s/[0-9]*\.[0-9]\{9\}'"$TAB"'a$//')"
same 'the root is "."' "$(stat -c %i prod)${TAB}0755" \
    "$(grep "${TAB}\\.\$" .prod.envguard-lock | cut -f1,2)"
same 'a hostile name is escaped' 1 \
    "$(LC_ALL=C grep -c "${TAB}t\\\\ta\\\\nb\\\\\\\\c.\$" .prod.envguard-lock)"
contents prod >content.after
ok 'contents are untouched' cmp content.before content.after
ok 'no temporary file is left' test -z "$(find . -name '.*.??????')"
status 'locking again is refused' 1 "$E" lock prod
same 'saying why' 'envguard: prod: already locked (.prod.envguard-lock exists; unlock first)' \
    "$(cat "$ERR")"

# As the owner, the locked tree cannot be written.
if [ "$unpriv" = setpriv ]; then
	mkdir -p own/d
	echo x >own/d/f
	chown -R 65534:65534 own
	ok 'the owner locks their tree' asuser "$E" lock own/d
	status 'and then cannot write a file in it' 1 asuser "$PROBE" write own/d/f
	status 'nor make one' 1 asuser "$PROBE" create own/d/g
	ok 'the owner unlocks it' asuser "$E" unlock own/d
	status 'and writes again' 0 asuser "$PROBE" write own/d/f
	chmod a-w own
	status 'a directory that cannot take the record: lock fails' 1 asuser \
	    "$E" lock own/d
	like 'naming the record' 'envguard: own/.d.envguard-lock: *' "$(cat "$ERR")"
	same 'and nothing changed' '755|644' \
	    "$(stat -c %a own/d)|$(stat -c %a own/d/f)"
	ok 'no temporary file is left there' test -z "$(ls -A own | grep -v '^d$')"
	chmod u+w own
else
	for d in 'the owner locks their tree' 'and then cannot write a file in it' \
	    'nor make one' 'the owner unlocks it' 'and writes again' \
	    'a directory that cannot take the record: lock fails' \
	    'naming the record' 'and nothing changed' \
	    'no temporary file is left there'; do
		skip "$d" 'needs root and setpriv'
	done
fi

# --- unlock ----------------------------------------------------------------

status 'unlock' 0 "$E" unlock prod
same 'with nothing changed it reports nothing' '' "$(cat "$OUT")$(cat "$ERR")"
same 'every mode is back exactly' "$before" "$(modes prod)"
ok 'the record is gone' test ! -e .prod.envguard-lock
contents prod >content.after
ok 'contents are untouched' cmp content.before content.after
status 'unlocking an unlocked tree fails' 1 "$E" unlock prod
same 'saying so' 'envguard: prod: not locked by envguard (no .prod.envguard-lock; -f makes it writable by its owner)' \
    "$(cat "$ERR")"

# What changed since: root can still change a locked tree.
ok 'lock again' "$E" lock prod
printf 'new\n' >prod/new
rm prod/sub/b
mv prod/private/key prod/key2
chmod 400 prod/a
printf 'changed\n' >>"prod/$odd"
status 'unlock after changes' 0 "$E" unlock prod
same 'reports them, in walk order' \
    "$(printf 'mode\tprod/a\t0444\t0400
moved\tprod/key2\tprod/private/key
new\tprod/new
modified\tprod/t\\ta\\nb\\\\c\377
gone\tprod/sub/b')" "$(cat "$OUT")"
same 'and restores the recorded modes anyway' '644|600|644' \
    "$(stat -c %a prod/a)|$(stat -c %a prod/key2)|$(stat -c %a prod/new)"
mv prod/key2 prod/private/key
printf 'two\n' >prod/sub/b
rm prod/new
contents prod >content.before

# -n and -v.
before=$(modes prod)
status 'lock -n' 0 "$E" lock -n prod
cp "$ERR" lock-n.err
same 'changes nothing' "$before" "$(modes prod)"
ok 'and writes no record' test ! -e .prod.envguard-lock
like 'but says what it would do' "write .prod.envguard-lock${NL}chmod 0444 prod/a${NL}*" \
    "$(cat lock-n.err)"
same 'one line per change' "$(find prod ! -type l -perm /222 -printf '%i\n' |
    sort -u | wc -l)" "$(grep -c '^chmod ' lock-n.err)"
like 'the last line is the root' '*chmod 0555 prod' "$(cat lock-n.err)"
status 'lock -v' 0 "$E" lock -v prod
cp "$ERR" lock-v.err
ok 'says what -n said' cmp lock-n.err lock-v.err
status 'unlock -n' 0 "$E" unlock -n prod
cp "$ERR" unlock-n.err
ok 'changes nothing' test -e .prod.envguard-lock -a "$(stat -c %a prod/a)" = 444
like 'says what it would do' "chmod 0755 prod${NL}*${NL}remove .prod.envguard-lock" \
    "$(cat unlock-n.err)"
status 'unlock -v' 0 "$E" unlock -v prod
cp "$ERR" unlock-v.err
ok 'says what -n said' cmp unlock-n.err unlock-v.err
same 'modes back' "$before" "$(modes prod)"

# -f without a record: u+w.
chmod 444 prod/a
chmod 555 prod/sub
status 'unlock -f without a record' 0 "$E" unlock -f prod
same 'adds u+w where missing' '644|755|644' \
    "$(stat -c %a prod/a)|$(stat -c %a prod/sub)|$(stat -c %a prod/sub/b)"

# A record for another tree.
ok 'lock' "$E" lock prod
mv prod prod.old
mkdir prod
status 'a record for another inode is refused' 1 "$E" unlock prod
like 'saying so' 'envguard: .prod.envguard-lock: the record is for another tree*' \
    "$(cat "$ERR")"
rmdir prod
mv prod.old prod
ok 'the right tree unlocks' "$E" unlock prod

# A damaged record changes nothing.
ok 'lock' "$E" lock prod
cp .prod.envguard-lock rec.save
sed -i '3s/^[0-9]*/x/' .prod.envguard-lock
status 'a damaged record is refused' 1 "$E" unlock prod
same 'naming the line' 'envguard: .prod.envguard-lock: line 3: not an envguard lock record' \
    "$(cat "$ERR")"
same 'and nothing is changed' 444 "$(stat -c %a prod/a)"
cp rec.save .prod.envguard-lock
ok 'the good record unlocks' "$E" unlock prod

# Operands.
status 'lock / is refused' 1 "$E" lock /
status 'lock . is refused' 1 "$E" lock .
ln -s prod plink
status 'lock of a symlink is refused' 1 "$E" lock plink
same 'saying what to do' 'envguard: plink: a symbolic link; lock what it points to' \
    "$(cat "$ERR")"
status 'a single file can be locked' 0 "$E" lock outside
same 'with its record beside it' '444|1' \
    "$(stat -c %a outside)|$(test -f .outside.envguard-lock && echo 1)"
ok 'and unlocked' "$E" unlock outside
same 'mode back' 666 "$(stat -c %a outside)"
status 'a trailing slash names the same tree' 0 "$E" lock prod/
ok 'record beside it' test -f .prod.envguard-lock
ok 'unlock' "$E" unlock prod//

# Root only: another filesystem below is not entered; immutable.
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	status 'a mount point below is left alone' 0 unshare -m sh -c \
	    "mount -t tmpfs none prod/shared && touch prod/shared/x &&
	    '$E' lock prod && stat -c %a prod/shared/x && '$E' unlock prod"
	same 'with a warning' 'envguard: prod/shared: another filesystem: not locked' \
	    "$(cat "$ERR")"
	same 'and the file on it kept its mode' 644 "$(cat "$OUT")"
else
	skip 'a mount point below is left alone' 'needs root and unshare'
	skip 'with a warning' 'needs root and unshare'
	skip 'and the file on it kept its mode' 'needs root and unshare'
fi
if [ "$(id -u)" = 0 ] && command -v lsattr >/dev/null 2>&1 &&
    "$PROBE" create imm.probe && chattr +i imm.probe 2>/dev/null; then
	chattr -i imm.probe
	chattr +i prod/sub/b
	status 'lock -i' 0 "$E" lock -i prod
	like 'sets the immutable attribute' '*i*' "$(lsattr -d prod/a | cut -d' ' -f1)"
	status 'which stops even root' 1 "$PROBE" append prod/a
	like 'the record says which it set' "*${TAB}i${TAB}*${TAB}a${NL}*" \
	    "$(cat .prod.envguard-lock)"
	same 'and which was immutable before (left alone)' 'I' \
	    "$(grep "${TAB}sub/b\$" .prod.envguard-lock | cut -f3)"
	status 'unlock' 0 "$E" unlock prod
	same 'clears what lock set' '-' "$(lsattr -d prod/a | cut -c5)"
	same 'and keeps what was there' 'i' "$(lsattr -d prod/sub/b | cut -c5)"
	chattr -i prod/sub/b
	same 'modes back' "$before" "$(modes prod)"
else
	for d in 'lock -i' 'sets the immutable attribute' 'which stops even root' \
	    'the record says which it set' 'and which was immutable before (left alone)' \
	    'unlock' 'clears what lock set' 'and keeps what was there' \
	    'modes back'; do
		skip "$d" 'needs root, lsattr and a filesystem with chattr +i'
	done
fi
if [ "$unpriv" = setpriv ]; then
	status 'lock -i as a user is refused' 1 asuser "$E" lock -i own/d
	same 'saying it needs root' 'envguard: -i: setting the immutable attribute needs root (CAP_LINUX_IMMUTABLE)' \
	    "$(cat "$ERR")"
else
	skip 'lock -i as a user is refused' 'needs root and setpriv'
	skip 'saying it needs root' 'needs root and setpriv'
fi

# The audit log: one record per tree locked or unlocked, or nothing done.
before=$(modes prod)
status 'AUDITLOG that cannot be appended to: lock fails' 1 env \
    AUDITLOG="$T/nolog" "$E" lock prod
same 'before changing anything' "envguard: $T/nolog: No such file or directory; nothing changed" \
    "$(cat "$ERR")"
same 'modes untouched' "$before" "$(modes prod)"
ok 'no record' test ! -e .prod.envguard-lock
if [ -x "$BIN/auditlog" ] &&
    "$BIN/auditlog" init -f audit.log -o audit.key >/dev/null 2>&1; then
	status 'lock with AUDITLOG' 0 env AUDITLOG="$T/audit.log" "$E" lock prod
	like 'one lock record' \
	    "* prog=envguard type=lock path=prod record=.prod.envguard-lock changed=* result=ok mac=*" \
	    "$(tail -n 1 audit.log)"
	status 'unlock with AUDITLOG' 0 env AUDITLOG="$T/audit.log" "$E" unlock prod
	like 'one unlock record' \
	    "* prog=envguard type=unlock path=prod record=.prod.envguard-lock changed=* reported=0 result=ok mac=*" \
	    "$(tail -n 1 audit.log)"
	same 'counting the same changes both ways, one per inode' \
	    "$(sed -n 's/.* type=lock .* changed=\([0-9]*\) .*/\1/p' audit.log)|$(find prod ! -type l -printf '%i\n' | sort -u | wc -l)" \
	    "$(sed -n 's/.* type=unlock .* changed=\([0-9]*\) .*/\1/p' audit.log)|$(find prod ! -type l -printf '%i\n' | sort -u | wc -l)"
	ok 'and the log verifies' "$BIN/auditlog" verify -k audit.key audit.log
	status 'lock -n writes no record' 0 env AUDITLOG="$T/audit.log" \
	    "$E" lock -n prod
	same 'still three records' 3 "$(grep -c '^dkaudit1 ' audit.log)"
else
	for d in 'lock with AUDITLOG' 'one lock record' 'unlock with AUDITLOG' \
	    'one unlock record' 'counting the same changes both ways, one per inode' \
	    'and the log verifies' 'lock -n writes no record' \
	    'still three records'; do
		skip "$d" 'no auditlog'
	done
fi
contents prod >content.after
ok 'in the end the contents are untouched' cmp content.before content.after
ok 'no record or temporary file is left' \
    test -z "$(find . -name '.*.??????' -o -name '.*.envguard-lock')"
