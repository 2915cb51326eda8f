#!/bin/sh
# 001-static: every program is statically linked and runs alone in an
# empty chroot.
# SPDX-License-Identifier: ISC
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/tap.sh"
version=$(sed -n 's/^#define DATAKEEP_VERSION[^"]*"\(.*\)"/\1/p' "$top/lib/err.h")

progs=$(ls "$BIN")
n=$(echo "$progs" | wc -w)
plan $((n * 3 + 1))
ok 'at least one program is built' test "$n" -gt 0
for p in $progs; do
	if [ "${DATAKEEP_SAN:-}" = 1 ]; then
		for t in "is statically linked" "is statically linked (file)" \
		    "-V runs in an empty chroot"; do
			skip "$p $t" 'the sanitizer build (make check SAN=1) is dynamic, for glibc'
		done
		continue
	fi
	# No program interpreter and no dynamic section: nothing to load.
	if readelf -lW "$BIN/$p" 2>/dev/null | grep -q 'INTERP'; then
		same "$p has no program interpreter" none interp
	elif readelf -dW "$BIN/$p" 2>/dev/null | grep -q 'NEEDED'; then
		same "$p needs no shared library" none needed
	else
		ok "$p is statically linked" readelf -h "$BIN/$p"
	fi
	if command -v file >/dev/null 2>&1; then
		run file -b "$BIN/$p"
		case $(cat "$OUT") in
		*"statically linked"*) ok "file says $p is statically linked" true ;;
		*) same "file says $p is statically linked" 'statically linked' "$(cat "$OUT")" ;;
		esac
	else
		skip "file says $p is statically linked" 'file(1) is not installed'
	fi
	if [ "$(id -u)" != 0 ]; then
		skip "$p -V runs in an empty chroot" 'chroot needs root'
	else
		mkdir -p "$T/root-$p"
		cp "$BIN/$p" "$T/root-$p/$p"
		run chroot "$T/root-$p" "/$p" -V
		same "$p -V runs in an empty chroot" "$p $version" "$(cat "$OUT")"
	fi
done
