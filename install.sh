#!/bin/sh
# install.sh - get datakeep's build dependencies, build, and install.
# SPDX-License-Identifier: ISC
#
# usage: install.sh [--prefix DIR] [--destdir DIR] [--mandir DIR]
#        install.sh --deps-only
#
# Dependencies: musl-gcc (Debian: musl-tools, installed with apt-get when
# missing and run as root) and BearSSL 0.6 compiled with musl-gcc into
# build/deps.  The BearSSL source comes from BEARSSL_SRC=/path/to/tarball,
# or from the distribution's source package through a private deb-src list
# (the system's apt sources are never edited).  The result is cached in
# build/deps/bearssl, or in BEARSSL_DIR (`make check SAN=1` builds a
# glibc BearSSL into build/deps/bearssl-glibc with CC=gcc).

set -eu

PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
MANDIR=${MANDIR:-}
depsonly=0

die() { echo "install.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case $1 in
	--prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; PREFIX=$2; shift 2 ;;
	--destdir) [ $# -ge 2 ] || die "--destdir needs a directory"; DESTDIR=$2; shift 2 ;;
	--mandir) [ $# -ge 2 ] || die "--mandir needs a directory"; MANDIR=$2; shift 2 ;;
	--deps-only) depsonly=1; shift ;;
	-h|--help) sed -n '4,6p' "$0" | sed 's/^# //'; exit 0 ;;
	*) echo "usage: install.sh [--prefix DIR] [--destdir DIR] [--mandir DIR]" >&2
	   echo "       install.sh --deps-only" >&2; exit 2 ;;
	esac
done
[ -n "$MANDIR" ] || MANDIR=$PREFIX/share/man

top=$(cd "$(dirname "$0")" && pwd)
deps=$top/build/deps
CC=${CC:-musl-gcc}
bearssl=${BEARSSL_DIR:-$deps/bearssl}

need_musl() {
	command -v "$CC" >/dev/null 2>&1 && return 0
	[ "$CC" = musl-gcc ] || die "$CC: compiler not found"
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "install.sh: installing musl-tools with apt-get" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q musl-tools >&2 ||
		{ apt-get update -q >&2 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q musl-tools >&2; } ||
		die "musl-tools: apt-get install failed"
	else
		die "musl-gcc not found: install musl-tools (Debian) or musl-dev (Alpine)"
	fi
}

# Write deb-src entries for the repositories the system already uses,
# into a private directory, so the system's sources stay untouched.
private_sources() {
	dir=$1
	mkdir -p "$dir/sources.list.d" "$dir/lists/partial" "$dir/cache/archives/partial"
	: > "$dir/sources.list"
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >> "$dir/sources.list"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		sed 's/^Types:.*/Types: deb-src/' "$f" > "$dir/sources.list.d/$(basename "$f")"
	done
}

fetch_bearssl() {
	work=$bearssl-src
	rm -rf "$work"
	mkdir -p "$work"
	if [ -n "${BEARSSL_SRC:-}" ]; then
		[ -f "$BEARSSL_SRC" ] || die "$BEARSSL_SRC: no such file"
		tar -xf "$BEARSSL_SRC" -C "$work" || die "$BEARSSL_SRC: cannot unpack"
	else
		command -v apt-get >/dev/null 2>&1 ||
		    die "BearSSL: set BEARSSL_SRC=/path/to/bearssl-0.6.tar.gz (no apt-get here)"
		apt=$deps/apt
		private_sources "$apt"
		set -- -o Dir::Etc::SourceList="$apt/sources.list" \
		    -o Dir::Etc::SourceParts="$apt/sources.list.d" \
		    -o Dir::State::Lists="$apt/lists" \
		    -o Dir::Cache="$apt/cache" \
		    -o Dir::Cache::archives="$apt/cache/archives" \
		    -o Debug::NoLocking=1 -o APT::Sandbox::User=root
		echo "install.sh: fetching the BearSSL source package" >&2
		apt-get "$@" -q update >&2 || die "BearSSL: apt-get update of the deb-src list failed"
		(cd "$work" && apt-get "$@" -q --download-only source bearssl >&2) ||
		    die "BearSSL: apt-get source bearssl failed; set BEARSSL_SRC=/path/to/bearssl-0.6.tar.gz"
		orig=$(ls "$work"/bearssl_*.orig.tar.* 2>/dev/null | head -n 1)
		[ -n "$orig" ] || die "BearSSL: no .orig tarball in the source package"
		tar -xf "$orig" -C "$work" || die "$orig: cannot unpack"
	fi
	src=$(dirname "$(ls -d "$work"/*/src/hash 2>/dev/null | head -n 1)")
	src=${src%/src}
	[ -f "$src/inc/bearssl.h" ] || die "BearSSL: no inc/bearssl.h in the unpacked source"
	echo "install.sh: building BearSSL with $CC" >&2
	make -C "$src" -j2 CONF=Unix CC="$CC" LD="$CC" LDDLL="$CC" \
	    CFLAGS="-W -Wall -Os -fPIC" lib >/dev/null ||
	    die "BearSSL: build failed"
	rm -rf "$bearssl.new"
	mkdir -p "$bearssl.new/lib" "$bearssl.new/inc"
	cp "$src/build/libbearssl.a" "$bearssl.new/lib/"
	cp "$src"/inc/*.h "$bearssl.new/inc/"
	rm -rf "$bearssl"
	mv "$bearssl.new" "$bearssl"
	rm -rf "$work"
}

need_musl
if [ ! -f "$bearssl/lib/libbearssl.a" ]; then
	mkdir -p "$deps"
	fetch_bearssl
fi
[ "$depsonly" = 1 ] && exit 0

make --no-print-directory -C "$top" CC="$CC" all
make --no-print-directory -C "$top" CC="$CC" PREFIX="$PREFIX" DESTDIR="$DESTDIR" MANDIR="$MANDIR" install
