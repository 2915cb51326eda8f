# tap.sh - TAP helpers for the shell tests; source it, never run it.
# SPDX-License-Identifier: ISC
#
# Each test gets its own directory $T (the current directory on return),
# removed on exit.  status and run keep the last command's stdout and
# stderr in files named by $OUT and $ERR.

: "${BIN:?BIN must name the directory of the built programs}"
# The tests' own directory, for their helpers, before leaving it.
TESTS=$(cd "$(dirname "$0")" && pwd) || exit 1
TAP_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/datakeep-test.XXXXXX") || exit 1
T=$TAP_ROOT/w
OUT=$TAP_ROOT/stdout
ERR=$TAP_ROOT/stderr
mkdir "$T" && cd "$T" || exit 1
tap_n=0
tap_failed=0
tap_planned=

tap_cleanup() {
	rc=$?
	cd / || :
	chmod -R u+rwx "$TAP_ROOT" 2>/dev/null
	rm -rf "$TAP_ROOT"
	if [ -n "$tap_planned" ] && [ "$tap_n" -ne "$tap_planned" ]; then
		echo "# planned $tap_planned tests, ran $tap_n"
		[ "$rc" -ne 0 ] || rc=1
	fi
	[ "$tap_failed" -eq 0 ] || [ "$rc" -ne 0 ] || rc=1
	exit "$rc"
}
trap tap_cleanup EXIT
trap 'exit 1' HUP INT TERM

plan() { tap_planned=$1; echo "1..$1"; }

diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

tap_result() {	# tap_result PASSED DESCRIPTION
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 1 ]; then
		echo "ok $tap_n - $2"
	else
		tap_failed=$((tap_failed + 1))
		echo "not ok $tap_n - $2"
	fi
}

# ok DESCRIPTION COMMAND [ARG...]: passes if the command exits 0.
ok() {
	d=$1; shift
	if "$@" >"$OUT" 2>"$ERR"; then tap_result 1 "$d"; else
		rc=$?; tap_result 0 "$d"; diag "exit $rc: $*"; sed 's/^/# stderr: /' "$ERR"
	fi
}

# status DESCRIPTION CODE COMMAND [ARG...]: passes if the command exits CODE.
status() {
	d=$1; want=$2; shift 2
	"$@" >"$OUT" 2>"$ERR"
	rc=$?
	if [ "$rc" -eq "$want" ]; then tap_result 1 "$d"; else
		tap_result 0 "$d"; diag "exit $rc, want $want: $*"
		sed 's/^/# stderr: /' "$ERR"
	fi
}

# run COMMAND [ARG...]: run without counting a test (output in $OUT, $ERR).
run() { "$@" >"$OUT" 2>"$ERR"; }

# same DESCRIPTION EXPECTED ACTUAL: passes if the two strings are equal.
same() {
	if [ "$2" = "$3" ]; then tap_result 1 "$1"; else
		tap_result 0 "$1"
		diag "want:" "$2" "got:" "$3"
	fi
}

# skip DESCRIPTION REASON: a test that cannot run here, and why.
skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # skip $2"
}

# like DESCRIPTION PATTERN STRING: passes if STRING matches the case PATTERN.
like() {
	case $3 in
	$2) tap_result 1 "$1" ;;
	*) tap_result 0 "$1"; diag "want pattern:" "$2" "got:" "$3" ;;
	esac
}

# The entries of a directory, on one line, separated by spaces (LC_ALL=C order).
names() { LC_ALL=C ls -A "$1" | tr '\n' ' ' | sed 's/ $//'; }

# Helpers for assertions.
mode_of() { stat -c %a "$1"; }
inode_of() { stat -c %i "$1"; }
