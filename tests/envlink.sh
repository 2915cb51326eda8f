# envlink.sh - helpers shared by the envlink tests; source it after tap.sh,
# never run it.
# SPDX-License-Identifier: ISC

E=$BIN/envlink
P=$(pwd -P)		# what envlink records: getcwd is physical
TAB=$(printf '\t')
NL='
'
LAYERS='bronze dashboard gold models predictions raw reports results silver'
ISOLATED='bronze silver gold models predictions results reports dashboard'

# Root writes everywhere: read-only needs a read-only mount, made in a
# private mount namespace (unshare -m), which needs root.
if [ "$(id -u)" = 0 ]; then
	ROOT=1
	if ! unshare -m true 2>/dev/null; then
		echo '1..0 # SKIP unshare -m does not work here, and root needs it'
		exit 0
	fi
else
	ROOT=0
fi

# ro DIR CMD [ARG...]: run CMD with the tree DIR read-only for the caller:
# as root bind-mounted read-only in a private mount namespace, otherwise
# with its write permissions removed for the time of the command.
ro() {
	ro_dir=$1; shift
	if [ "$ROOT" = 1 ]; then
		unshare -m sh -c 'mount --bind "$1" "$1" &&
		    mount -o remount,bind,ro "$1" && shift && exec "$@"' \
		    sh "$ro_dir" "$@"
	else
		chmod -R a-w "$ro_dir"
		"$@"
		ro_rc=$?
		chmod -R u+w "$ro_dir"
		return "$ro_rc"
	fi
}

# inns CMD [ARG...]: run CMD in a private mount namespace (root only).
inns() { unshare -m "$@"; }

# norename2 ERRNO CMD [ARG...]: run CMD with renameat2(2) failing with
# ERRNO (22 EINVAL, 38 ENOSYS), as on a filesystem or kernel without it:
# a seccomp filter installed by perl, which prove needs anyway.
norename2() {
	nr_errno=$1; shift
	perl -MPOSIX -e '
	my %nr = (x86_64 => [316, 157, 0xc000003e],
	    aarch64 => [276, 167, 0xc00000b7]);
	my $n = $nr{(POSIX::uname())[4]} or exit 77;
	my ($rn, $prctl, $arch) = @$n;
	my $errno = shift @ARGV;
	my $f = pack("SCCL" x 6,
	    0x20, 0, 0, 4,			# load the architecture
	    0x15, 0, 3, $arch,			# another one: allow
	    0x20, 0, 0, 0,			# load the syscall number
	    0x15, 0, 1, $rn,			# not renameat2: allow
	    0x06, 0, 0, 0x00050000 | $errno,	# fail with errno
	    0x06, 0, 0, 0x7fff0000);		# allow
	my $prog = pack("S x6 Q", 6, unpack("Q", pack("p", $f)));
	syscall($prctl, 38, 1, 0, 0, 0) == 0 or exit 77;
	syscall($prctl, 22, 2, $prog, 0, 0) == 0 or exit 77;
	exec @ARGV or exit 127;
	' "$nr_errno" "$@"
}
# Whether norename2 works here (exit 77 says it cannot).
norename2 22 true 2>/dev/null
NORENAME2=$?

# Everything a user cares about in a tree, one record per entry, sorted:
# path, type, mode, size (not for directories), content hash, link target.
listing() {
	(cd "$1" && find . -mindepth 1 \( -type f -printf '%P|f|%m|%s|' \
	    -exec sh -c 'sha256sum <"$1" | cut -c1-16' sh {} \; \) -o \
	    \( -type d -printf '%P|d|%m|-|-\n' \) -o \
	    -printf '%P|%y|%m|-|-|%l\n' | LC_ALL=C sort)
}

# A layers file of the default layers, as conf/layers.conf has them.
deflayers() {
	printf '%s shared\n' raw
	for l in $ISOLATED; do printf '%s isolated\n' "$l"; done
}

# The record init writes: NAME MASTER-ENCODED, layers from deflayers or
# from the file named by $3.
record() {
	printf 'envlink 1\nname %s\nmaster %s\n' "$1" "$2"
	if [ -n "${3:-}" ]; then sed 's/^/layer /' "$3"
	else deflayers | sed 's/^/layer /'; fi
}

# holdlock FILE: hold an exclusive flock on FILE in the background, as
# another run would, until droplock.
holdlock() {
	rm -f "$TAP_ROOT/lockpid"
	flock "$1" sh -c 'echo $$ >"$1"; exec sleep 60' sh "$TAP_ROOT/lockpid" &
	hl_pid=$!
	while [ ! -s "$TAP_ROOT/lockpid" ]; do sleep 0.05; done
}
droplock() {
	kill "$(cat "$TAP_ROOT/lockpid")" 2>/dev/null
	wait "$hl_pid" 2>/dev/null
}
