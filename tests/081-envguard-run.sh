#!/bin/sh
# 081-envguard-run: envguard run -r PROD: every way of writing into PROD
# fails and PROD stays byte-identical, while writes elsewhere work; -w;
# bind mounts; descriptors; root's second tier; nesting past 16 domains.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"
. "$TESTS/envguard.sh"

if [ "$ABI" -lt 3 ]; then
	plan 3
	status 'without Landlock ABI 3, run refuses' 1 "$E" run -r . -- true
	like 'saying what is missing' 'envguard: Landlock*ABI 3*--best-effort*' \
	    "$(cat "$ERR")"
	status '--best-effort runs anyway' 0 "$E" run -r . --best-effort -- true
	exit
fi

plan 94

# PROD and DEV writable by anyone: what stops the writes is envguard.
mkdir -p prod/sub prod/empty dev/sub other
printf 'production data\n' >prod/a
printf 'more\n' >prod/sub/b
printf 'dev\n' >dev/x
ln -s ../prod/a dev/toprod
chmod -R a+rwX prod dev other
fingerprint prod >prod.before

# The ways of writing into PROD, each a probe that must fail.
writes='write prod/a
append prod/a
otrunc prod/a
truncate prod/a
create prod/new
create prod/sub/new
unlink prod/a
rmdir prod/empty
mkdir prod/newdir
rename prod/a prod/sub/a2
rename prod/a dev/a
rename dev/x prod/x
exchange prod/a dev/x
exchange prod/a prod/sub/b
link prod/a dev/link
link dev/x prod/link
symlink a prod/sym
mkfifo prod/fifo
rename prod prod2
rename prod dev/prod
write dev/toprod
truncate dev/toprod'

# matrix WHO RUNNER: each write under run -r prod, as WHO.
matrix() {
	who=$1; shift
	echo "$writes" | while read -r op a b; do
		"$@" "$E" run -r prod -- "$PROBE" "$op" "$a" $b >"$OUT" 2>"$ERR"
		rc=$?
		e=$(tr '\n' ' ' <"$ERR")
		if [ "$rc" -eq 1 ] && [ "$e" != "${e#probe: $op: }" ]; then
			echo "ok - $who: $op $a $b fails: $e"
		else
			echo "not ok - $who: $op $a $b: exit $rc: $e"
		fi
	done
}

if [ -n "$unpriv" ]; then
	res=$(matrix "${unpriv#set}" asuser)
	same 'as a user, every way of writing into PROD fails' '' \
	    "$(echo "$res" | grep -v '^ok')"
	diag "$res"
	fingerprint prod >prod.after
	ok 'and PROD is byte-identical' cmp prod.before prod.after
else
	skip 'as a user, every way of writing into PROD fails' 'no setpriv'
	skip 'and PROD is byte-identical' 'no setpriv'
fi
if [ "$(id -u)" = 0 ]; then
	res=$(matrix root)
	same 'as root, every way of writing into PROD fails' '' \
	    "$(echo "$res" | grep -v '^ok')"
	fingerprint prod >prod.after
	ok 'and PROD is byte-identical' cmp prod.before prod.after
else
	skip 'as root, every way of writing into PROD fails' 'not root'
	skip 'and PROD is byte-identical' 'not root'
fi

# Writes elsewhere work, in a sibling of PROD and below it.
for op in 'write dev/x' 'append dev/x' 'truncate dev/x' 'create dev/new' \
    'mkdir dev/newdir' 'mkfifo dev/fifo' 'symlink x dev/sym' \
    'rename dev/new dev/sub/new2' 'link dev/x dev/sub/xlink' \
    'exchange dev/x dev/sub/xlink' 'unlink dev/sub/xlink' \
    'rmdir dev/newdir' 'rename dev/sub/new2 other/new3'; do
	# shellcheck disable=SC2086
	status "as a user, elsewhere: $op" 0 asuser "$E" run -r prod -- "$PROBE" $op
done
ok 'a shell pipeline writes elsewhere' asuser "$E" run -r prod -- \
    sh -c 'cat prod/a >dev/copy && sort dev/copy >other/sorted'
same 'reading PROD works' 'production data' "$(cat other/sorted)"
status 'the exit status is CMD'"'"'s' 7 "$E" run -r prod -- sh -c 'exit 7'
status 'a missing CMD: 127' 127 "$E" run -r prod -- ./no-such-cmd
status 'a CMD that cannot be executed: 126' 126 "$E" run -r prod -- ./dev/x
status 'CMD'"'"'s own options are its own' 0 "$E" run -r prod -- sh -c \
    'test "$1" = -r' sh -r
ok 'run without --: CMD starts at the first operand' "$E" run -r prod \
    "$PROBE" write dev/x

# The side effect: nothing new directly in a directory above PROD.
status 'a new entry beside PROD fails' 1 asuser "$E" run -r prod -- \
    "$PROBE" create newfile
ok 'and nothing was made' test ! -e newfile

# Protected trees by environment.
status 'ENVGUARD_PROTECT: another environment'"'"'s tree is read-only' 1 env \
    DATA_ENV=dev ENVGUARD_PROTECT="prod=$T/prod" "$E" run -- \
    "$PROBE" write prod/a
status 'the current environment'"'"'s own tree is writable' 0 asuser env \
    DATA_ENV=staging ENVGUARD_PROTECT="prod=$T/prod:staging=$T/other" \
    "$E" run -- "$PROBE" create other/mine
status '-p and -r together' 1 asuser "$E" run -p "prod=$T/prod" -r other -- \
    "$PROBE" create other/x
status 'nested trees: the inner one adds nothing' 1 asuser "$E" run -r prod \
    -r prod/sub -- "$PROBE" create prod/x
status 'a missing protected tree is refused' 1 "$E" run -r nosuch -- true
same 'naming it' 'envguard: nosuch: protected tree (-r): No such file or directory' \
    "$(cat "$ERR")"
status 'with DATA_ENV unset every configured tree is protected' 1 env \
    ENVGUARD_PROTECT="a=$T/prod:b=$T/other" "$E" run -- "$PROBE" create other/y

# Descriptors.
(
	exec 5>>prod/a
	"$E" run -r prod -- "$PROBE" fdwrite 5 >"$OUT" 2>"$ERR"
	echo $? >rc.fd
)
same 'an inherited descriptor into PROD is closed' '1|probe: fdwrite: Bad file descriptor' \
    "$(cat rc.fd)|$(cat "$ERR")"
status 'standard output into PROD is refused' 1 sh -c \
    "'$E' run -r prod -- true >>prod/a"
same 'saying which and where' \
    "envguard: $(pwd -P)/prod/a: standard output is open for writing on it, in the protected tree $(pwd -P)/prod (-r)" \
    "$(cat "$ERR")"
status 'standard input from PROD is fine' 0 sh -c \
    "'$E' run -r prod -- cat <prod/a >/dev/null"
fingerprint prod >prod.after
ok 'PROD is still byte-identical' cmp prod.before prod.after

# A directory above PROD that the user cannot list: its other entries
# get no rule, and the user is told.
if [ "$unpriv" = setpriv ]; then
	mkdir -p hidden/prod3 hidden/sib
	chmod 777 hidden/sib
	chmod 733 hidden
	status 'an ancestor that cannot be listed: CMD still runs' 0 asuser \
	    "$E" run -r hidden/prod3 -- true
	same 'with a warning' "envguard: $(pwd -P)/hidden: cannot list it, so all of it but the way to the protected trees is read-only for CMD: Permission denied" \
	    "$(cat "$ERR")"
	status 'and its other entries are read-only' 1 asuser "$E" run \
	    -r hidden/prod3 -- "$PROBE" create hidden/sib/x
	status 'while without envguard they are not' 0 asuser \
	    "$PROBE" create hidden/sib/x
else
	for d in 'an ancestor that cannot be listed: CMD still runs' \
	    'with a warning' 'and its other entries are read-only' \
	    'while without envguard they are not'; do
		skip "$d" 'needs root and setpriv'
	done
fi

# -v: the rules and their side effects.
status '-v' 0 "$E" run -v -r prod -- true
like 'names the ABI' "landlock ABI $ABI*" "$(cat "$ERR")"
like 'allows the siblings' "*${NL}allow all $(pwd -P)/dev${NL}*" "$(cat "$ERR")"
like 'protects PROD' "*${NL}protect $(pwd -P)/prod (-r)${NL}*" "$(cat "$ERR")"
like 'names the side effect on its directory' \
    "*${NL}effect $(pwd -P): no entry can be made, removed or renamed directly in it${NL}*" \
    "$(cat "$ERR")"
like 'and on /' "*${NL}effect /: no entry*" "$(cat "$ERR")"
like 'ends with exec' "*${NL}close descriptors above 2${NL}exec true" \
    "$(cat "$ERR")"
same 'and -v says nothing on stdout' '' "$(cat "$OUT")"
status 'nothing to protect: CMD just runs' 0 "$E" run -v -- true
like 'and -v says so' '*protect nothing*' "$(cat "$ERR")"

# -w: only the -w trees and a few devices are writable.
status '-w: the -w tree is writable' 0 asuser "$E" run -w dev -- \
    "$PROBE" create dev/w1
status '-w: a sibling is not' 1 asuser "$E" run -w dev -- \
    "$PROBE" create other/w1
status '-w: nor PROD' 1 asuser "$E" run -w dev -- "$PROBE" write prod/a
status '-w: /dev/null is' 0 asuser "$E" run -w dev -- "$PROBE" write /dev/null
status '-w: the same for a shell' 0 asuser "$E" run -w dev -- sh -c \
    'echo x >/dev/null && echo y >dev/w2'
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	status '-w: /dev/shm is not' 1 asuser "$E" run -w dev -- \
	    "$PROBE" create /dev/shm/envguard-test.$$
	rm -f /dev/shm/envguard-test.$$
else
	skip '-w: /dev/shm is not' 'no writable /dev/shm'
fi
mkdir dev/prodin
chmod a+rwx dev/prodin
status '-w with a protected tree inside: that tree is read-only' 1 asuser \
    "$E" run -w dev -r dev/prodin -- "$PROBE" create dev/prodin/x
status 'and the rest of the -w tree writable' 0 asuser "$E" run -w dev \
    -r dev/prodin -- "$PROBE" create dev/sub/w3
status 'a -w tree inside a protected tree is a usage error' 2 "$E" run \
    -r prod -w prod/sub -- true
same 'naming both' "envguard: -w prod/sub: inside the protected tree $(pwd -P)/prod (-r)" \
    "$(cat "$ERR")"
status 'a missing -w tree is refused' 1 "$E" run -w nosuch -- true

# As root: the second tier stops what Landlock cannot.
if [ "$(id -u)" = 0 ]; then
	for op in chmod chown utime setxattr; do
		status "as root, $op on PROD fails" 1 "$E" run -r prod -- \
		    "$PROBE" "$op" prod/a
	done
	status 'as root, touch -d on PROD fails' 1 "$E" run -r prod -- \
	    touch -d 2001-01-01 prod/a
	status 'as root, chown -R on PROD fails' 1 "$E" run -r prod -- \
	    chown -R 65534 prod
	status 'as root, chattr +i on PROD fails' 1 "$E" run -r prod -- \
	    sh -c 'command -v chattr >/dev/null || exit 1; chattr +i prod/a'
	status 'as root, remounting PROD read-write fails' 1 "$E" run -r prod -- \
	    sh -c 'mount -o remount,bind,rw "$1" || exit 1' sh "$T/prod"
	status 'as root, umount of PROD fails' 1 "$E" run -r prod -- \
	    sh -c 'umount "$1" || exit 1' sh "$T/prod"
	status 'the mounts stay in run'"'"'s namespace' 0 sh -c \
	    "! grep -q ' $(pwd -P)/prod ' /proc/self/mountinfo"
	status 'as root, chmod elsewhere still works' 0 "$E" run -r prod -- \
	    "$PROBE" chmod dev/x
	run "$E" run -r prod -- grep CapBnd /proc/self/status
	capbnd=$(sed 's/.*:[[:space:]]*//' "$OUT")
	same 'CAP_SYS_ADMIN and CAP_LINUX_IMMUTABLE are gone' 0 \
	    "$(( (0x$capbnd >> 21 & 1) + (0x$capbnd >> 9 & 1) ))"
	run "$E" run -r prod -- grep NoNewPrivs /proc/self/status
	same 'no_new_privs is set' 'NoNewPrivs:	1' "$(cat "$OUT")"
	fingerprint prod >prod.after
	ok 'PROD is byte-identical after all that' cmp prod.before prod.after
else
	for d in 'as root, chmod on PROD fails' 'as root, chown on PROD fails' \
	    'as root, utime on PROD fails' 'as root, setxattr on PROD fails' \
	    'as root, touch -d on PROD fails' 'as root, chown -R on PROD fails' \
	    'as root, chattr +i on PROD fails' \
	    'as root, remounting PROD read-write fails' \
	    'as root, umount of PROD fails' 'the mounts stay in run'"'"'s namespace' \
	    'as root, chmod elsewhere still works' \
	    'CAP_SYS_ADMIN and CAP_LINUX_IMMUTABLE are gone' \
	    'no_new_privs is set' 'PROD is byte-identical after all that'; do
		skip "$d" 'not root'
	done
fi

# Bind mounts of PROD are refused: a rule on one would allow PROD.
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	mkdir -p mnt/b
	status 'a bind mount of part of PROD is refused' 1 unshare -m sh -c \
	    "mount --bind prod/sub mnt/b && exec '$E' run -r prod -- \
	    '$PROBE' write mnt/b/b"
	same 'naming it' "envguard: $(pwd -P)/mnt/b: a mount showing the protected tree $(pwd -P)/prod (-r), or part of it, outside it; unmount it, or protect it too" \
	    "$(cat "$ERR")"
	status 'a bind mount of a directory above PROD is refused' 1 unshare -m \
	    sh -c "mount --bind '$T' mnt/b && exec '$E' run -r prod -- true"
	status 'protecting the bind mount too is accepted' 0 unshare -m sh -c \
	    "mount --bind prod/sub mnt/b && exec '$E' run -r prod -r mnt/b -- \
	    true"
	status 'a bind mount of something else is no reason to refuse' 0 \
	    unshare -m sh -c "mount --bind dev/sub mnt/b && exec '$E' run \
	    -r prod -- true"
	fingerprint prod >prod.after
	ok 'PROD is byte-identical' cmp prod.before prod.after
else
	for d in 'a bind mount of part of PROD is refused' 'naming it' \
	    'a bind mount of a directory above PROD is refused' \
	    'protecting the bind mount too is accepted' \
	    'a bind mount of something else is no reason to refuse' \
	    'PROD is byte-identical'; do
		skip "$d" 'needs root and unshare'
	done
fi

# Nesting: the kernel stacks at most 16 Landlock domains.
chain=true
i=0
while [ $i -lt 17 ]; do
	chain="$E run -r prod -- $chain"
	i=$((i + 1))
done
# shellcheck disable=SC2086
status 'run nested 17 deep fails' 1 asuser $chain
same 'saying why' 'envguard: Landlock: CMD would run in more than 16 nested Landlock domains, the kernel'"'"'s limit (too many nested envguard runs or other sandboxes)' \
    "$(cat "$ERR")"
status 'nested twice it works, and still protects' 1 asuser "$E" run -r prod \
    -- "$E" run -r other -- "$PROBE" write prod/a
status 'both trees' 1 asuser "$E" run -r prod -- "$E" run -r other -- \
    "$PROBE" create other/nested
status 'while writes elsewhere work' 0 asuser "$E" run -r prod -- "$E" run \
    -r other -- "$PROBE" write dev/x
if [ "$(id -u)" = 0 ]; then
	status 'nested as root: no warning, the trees are read-only mounts' 0 \
	    "$E" run -r prod -- "$E" run -r prod -- true
	same 'nothing on stderr' '' "$(cat "$ERR")"
	status 'nested as root with a new tree: a warning' 0 \
	    "$E" run -r prod -- "$E" run -r other -- true
	same 'that chmod and the like are not stopped' \
	    'envguard: no CAP_SYS_ADMIN: chmod, chown, utimes, xattrs and chattr in the protected trees are not stopped' \
	    "$(cat "$ERR")"
else
	skip 'nested as root: no warning, the trees are read-only mounts' 'not root'
	skip 'nothing on stderr' 'not root'
	skip 'nested as root with a new tree: a warning' 'not root'
	skip 'that chmod and the like are not stopped' 'not root'
fi

fingerprint prod >prod.after
ok 'in the end PROD is byte-identical' cmp prod.before prod.after
ok 'no temporary files anywhere' test -z "$(find . -name '.*.??????' -o -name '*.envguard-lock')"
