#!/bin/sh
# 080-envguard: usage, check (symlinks, "..", missing paths, bind mounts,
# hard links, hostile names) and confirm with and without a terminal.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"
. "$TESTS/envguard.sh"

plan 75

# --- usage -----------------------------------------------------------------

status 'no arguments is a usage error' 2 "$E"
like 'no arguments prints the usage' 'usage: envguard check*' \
    "$(sed -n 1p "$ERR")"
status 'an unknown command is a usage error' 2 "$E" frob
same 'an unknown command is named' 'envguard: frob: unknown command' \
    "$(sed -n 1p "$ERR")"
status 'an unknown option is a usage error' 2 "$E" check -x a
same 'an unknown option is named' 'envguard: -x: unknown option' \
    "$(sed -n 1p "$ERR")"
status 'an unknown long option of run is a usage error' 2 "$E" run --frob -- true
same 'it is named' 'envguard: --frob: unknown option' "$(sed -n 1p "$ERR")"
status '-p without a value is a usage error' 2 "$E" check -p
same 'it is named' 'envguard: -p: needs a value' "$(sed -n 1p "$ERR")"
rcs=
for args in 'check' 'run' 'run -r x' 'lock' 'unlock' 'confirm a b' \
    'lock -f x' 'unlock -i x' 'check -r x y' 'confirm -p a=b'; do
	# shellcheck disable=SC2086
	run "$E" $args
	rcs="$rcs $?"
done
same 'missing operands and foreign options are usage errors' \
    ' 2 2 2 2 2 2 2 2 2 2' "$rcs"
status 'a -p without = is a configuration error' 2 "$E" check -p prod x
same 'it says what is wanted' 'envguard: -p: prod: want ENV=PATH' \
    "$(cat "$ERR")"
status 'a bad ENVGUARD_PROTECT item is a configuration error' 2 \
    env ENVGUARD_PROTECT="prod=/srv:=/x" "$E" check x
same 'it names ENVGUARD_PROTECT and the item' \
    'envguard: ENVGUARD_PROTECT: =/x: want ENV=PATH' "$(cat "$ERR")"
status 'an environment name with a slash is refused' 2 "$E" check -p a/b=/x y
status '-h succeeds' 0 "$E" -h
same '-h prints the 5-line usage on stdout' 'usage: envguard check|5|' \
    "$(sed -n '1s/   .*//p' "$OUT")|$(wc -l <"$OUT")|$(cat "$ERR")"
status '-V succeeds' 0 "$E" -V
same '-V prints the version' 'envguard 0.1.0' "$(cat "$OUT")"
if command -v mandoc >/dev/null 2>&1; then
	man=$TESTS/../man/envguard.1
	syn=$(mandoc -T ascii "$man" | col -b |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -s ' \t\n' '   ' |
	    sed 's/^ //; s/ $//')
	use=$("$E" -h | sed 's/^usage: //' | tr -s ' \t\n' '   ' |
	    sed 's/^ //; s/ $//')
	same 'the man page SYNOPSIS equals the usage' "$use" "$syn"
	ok 'the man page is mandoc -T lint clean' mandoc -T lint -W warning "$man"
else
	skip 'the man page SYNOPSIS equals the usage' 'no mandoc'
	skip 'the man page is mandoc -T lint clean' 'no mandoc'
fi

# --- check -----------------------------------------------------------------

mkdir -p master/gold master2 dev/sub
echo data >master/gold/x
ln -s master link
ln -s link link2
ln -s ../master/gold/new dev/dangling
ln -s loop1 loop2
ln -s loop2 loop1
M=$(pwd -P)/master
PR="prod=$M"

status 'a path inside the tree is denied' 1 "$E" check -p "$PR" master/gold/x
same 'one deny line: PATH, ENV, TREE' "deny${TAB}master/gold/x${TAB}prod${TAB}$M" \
    "$(cat "$OUT")"
same 'check says nothing on stderr' '' "$(cat "$ERR")"
status 'the tree itself is denied' 1 "$E" check -p "$PR" master
status 'a name sharing its prefix is allowed' 0 "$E" check -p "$PR" master2/x \
    "$M"2 dev
same 'and prints nothing' '' "$(cat "$OUT")"
status 'through a symlink to the tree: denied' 1 "$E" check -p "$PR" link/gold
status 'through a chain of symlinks: denied' 1 "$E" check -p "$PR" link2/gold/x
status 'through ..: denied' 1 "$E" check -p "$PR" dev/sub/../../master/gold/x
status 'a missing path in the tree: denied' 1 "$E" check -p "$PR" \
    master/new/deeper/file
status 'a missing path then .. into the tree: denied' 1 "$E" check -p "$PR" \
    dev/missing/../../master/new
status 'a dangling symlink into the tree: denied' 1 "$E" check -p "$PR" \
    dev/dangling
status 'a missing path elsewhere: allowed' 0 "$E" check -p "$PR" dev/missing/x
status 'absolute paths from another directory' 1 sh -c \
    "cd / && exec '$E' check -p '$PR' '$M/gold' '$(pwd)/dev'"
same 'only the path in the tree is listed' "deny${TAB}$M/gold${TAB}prod${TAB}$M" \
    "$(cat "$OUT")"
status 'a symlink loop is an error' 1 "$E" check -p "$PR" loop1/x
like 'naming the path' 'envguard: loop1/x: *[Ss]ymbolic link*' "$(cat "$ERR")"
status 'several paths: one line per denied one, in order' 1 "$E" check \
    -p "$PR" -p "backup=$(pwd -P)/dev/sub" master/x dev/y dev/sub/z link
same 'the lines' "deny${TAB}master/x${TAB}prod${TAB}$M${NL}deny${TAB}dev/sub/z${TAB}backup${TAB}$(pwd -P)/dev/sub${NL}deny${TAB}link${TAB}prod${TAB}$M" \
    "$(cat "$OUT")"
status 'ENVGUARD_PROTECT is read' 1 env ENVGUARD_PROTECT="x=/nonexistent:$PR" \
    "$E" check master/gold
status 'the current environment may write its own trees' 0 env DATA_ENV=prod \
    "$E" check -p "$PR" master/gold
status 'but not those of another' 1 env DATA_ENV=prod "$E" check -p "$PR" \
    -p "backup=$(pwd -P)/dev" dev/x
status 'a protected tree that does not exist yet still protects' 1 "$E" check \
    -p "prod=$(pwd -P)/future/tree" future/tree/x
status 'beside it is allowed' 0 "$E" check -p "prod=$(pwd -P)/future/tree" \
    future/tree2 future/x

# A hard link out of the tree: a warning, not a denial.
ln master/gold/x dev/hl
status 'a file with two links on the tree'"'"'s filesystem: exit 0' 0 "$E" check \
    -p "$PR" dev/hl
same 'with a warn line' "warn${TAB}dev/hl${TAB}prod${TAB}$M${TAB}2 hard links" \
    "$(cat "$OUT")"

# Hostile names stay one field of one line.
mkdir "master/a${TAB}b${NL}c\\d"
status 'a hostile name in the tree is denied' 1 "$E" check -p "$PR" \
    "master/a${TAB}b${NL}c\\d/x"
same 'escaped in its line' "deny${TAB}master/a\\tb\\nc\\\\d/x${TAB}prod${TAB}$M" \
    "$(cat "$OUT")"

# A bind mount of part of the tree is in the tree.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 &&
    unshare -m true 2>/dev/null; then
	mkdir elsewhere
	status 'a path on a bind mount of part of the tree: denied' 1 \
	    unshare -m sh -c "mount --bind master/gold elsewhere &&
	    exec '$E' check -p '$PR' elsewhere/x elsewhere dev"
	same 'both paths on it, not dev' "deny${TAB}elsewhere/x${TAB}prod${TAB}$M${NL}deny${TAB}elsewhere${TAB}prod${TAB}$M" \
	    "$(cat "$OUT")"
else
	skip 'a path on a bind mount of part of the tree: denied' 'needs root and unshare'
	skip 'both paths on it, not dev' 'needs root and unshare'
fi

# --- confirm ---------------------------------------------------------------

status 'confirm outside a confirmed environment: 0' 0 env DATA_ENV=dev \
    setsid "$E" confirm
same 'silently' '' "$(cat "$OUT")$(cat "$ERR")"
status 'confirm without an environment: 0' 0 setsid "$E" confirm
status 'confirm in prod without a terminal: 1' 1 env DATA_ENV=prod \
    setsid "$E" confirm </dev/null
same 'saying why and how to bypass' \
    'envguard: prod: confirmation needed, but there is no terminal (ENVGUARD_YES=prod confirms without one)' \
    "$(cat "$ERR")"
status '-e names the environment' 1 setsid "$E" confirm -e production </dev/null
status 'ENVGUARD_CONFIRM replaces the list' 0 env DATA_ENV=prod \
    ENVGUARD_CONFIRM='staging live' setsid "$E" confirm </dev/null
status 'ENVGUARD_YES naming another environment does not help' 1 env \
    DATA_ENV=prod ENVGUARD_YES='staging' setsid "$E" confirm </dev/null
status 'ENVGUARD_YES naming it lets it through' 0 env DATA_ENV=prod \
    ENVGUARD_YES='staging prod' setsid "$E" confirm </dev/null
if [ -x "$BIN/auditlog" ] &&
    "$BIN/auditlog" init -f audit.log -o audit.key >/dev/null 2>&1; then
	status 'with AUDITLOG set the bypass goes to the audit log' 0 env \
	    DATA_ENV=prod ENVGUARD_YES=prod AUDITLOG="$T/audit.log" \
	    setsid "$E" confirm </dev/null
	like 'as a confirm-bypass record' \
	    '* env=prod *prog=envguard type=confirm-bypass environment=prod by=ENVGUARD_YES mac=*' \
	    "$(tail -n 1 audit.log)"
	ok 'and the log verifies' "$BIN/auditlog" verify -k audit.key audit.log
else
	skip 'with AUDITLOG set the bypass goes to the audit log' 'no auditlog'
	skip 'as a confirm-bypass record' 'no auditlog'
	skip 'and the log verifies' 'no auditlog'
fi
status 'a log that cannot take the record: no bypass' 1 env DATA_ENV=prod \
    ENVGUARD_YES=prod AUDITLOG="$T/nolog" setsid "$E" confirm </dev/null
same 'saying why' "envguard: $T/nolog: No such file or directory; not confirmed" \
    "$(cat "$ERR")"

# With a terminal: script(1) runs confirm on a pty and types for it.
if command -v script >/dev/null 2>&1 &&
    script -qec true /dev/null </dev/null >/dev/null 2>&1; then
	onpty() {	# onpty ANSWER ARG...: confirm on a pty, ANSWER typed
		a=$1; shift
		printf '%s\n' "$a" | env DATA_ENV=prod script -qec \
		    "'$E' confirm $*" /dev/null
	}
	status 'on a terminal, typing the name confirms' 0 onpty prod
	like 'the question is asked on the terminal' \
	    '*This is the prod environment.  Type its name to go on:*' \
	    "$(cat "$OUT")"
	status 'the message is shown' 0 onpty prod "'drop the gold tables'"
	like 'before the question' '*drop the gold tables*Type its name*' \
	    "$(tr -d '\r' <"$OUT" | tr '\n' ' ')"
	status 'another word does not' 1 onpty production
	like 'not confirmed' '*envguard: prod: not confirmed*' "$(cat "$OUT")"
	status 'nor the name with a blank after it' 1 onpty 'prod '
	status 'nor an empty line' 1 onpty ''
	status 'ENVGUARD_YES does not answer for a terminal' 1 env \
	    ENVGUARD_YES=prod sh -c "printf 'no\n' | DATA_ENV=prod script -qec \
	    '$E confirm' /dev/null"
else
	for d in 'on a terminal, typing the name confirms' \
	    'the question is asked on the terminal' 'the message is shown' \
	    'before the question' 'another word does not' 'not confirmed' \
	    'nor the name with a blank after it' 'nor an empty line' \
	    'ENVGUARD_YES does not answer for a terminal'; do
		skip "$d" 'no script(1) to make a pty'
	done
fi
