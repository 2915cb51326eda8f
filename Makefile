# datakeep - small static programs that keep the data of one server safe.
# SPDX-License-Identifier: ISC

CC = musl-gcc
LDFLAGS = -static
CFLAGS = -std=c99 -O2 -Wall -Wextra
CPPFLAGS = -D_DEFAULT_SOURCE -I. -I$(DEPS)/bearssl/inc
AR = ar
PREFIX = /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
DESTDIR =

DEPS = build/deps
BEARSSL = $(DEPS)/bearssl/lib/libbearssl.a

PROGS = snapback snaprotate envlink envguard pii-hash auditlog retain
LIBMODS = atomic conf csv err hash hmac lock manifest snapdir time walk mountinfo audit sign stamp json quarantine tree
TESTMODS = atomic conf csv hash hmac lock manifest snapdir time walk mountinfo audit sign stamp json quarantine tree
BENCHES = sha256sum rusage readloop
TESTHELPERS = envguard-probe

MAN1 = man/snapback.1 man/snaprotate.1 man/envlink.1 man/envguard.1 man/auditlog.1 man/pii-hash.1 man/retain.1
MAN5 = man/datakeep-formats.5
MAN7 = man/datakeep.7

BINS = $(PROGS:%=build/bin/%)
LIBOBJS = $(LIBMODS:%=build/lib/%.o)
LIBA = build/lib/libdatakeep.a
CTESTS = $(TESTMODS:%=build/tests/lib-%)
HELPERBINS = $(TESTHELPERS:%=build/tests/%)
BENCHBINS = $(BENCHES:%=build/bench/%)

all: $(BINS)

deps: $(BEARSSL)

$(BEARSSL):
	CC="$(CC)" ./install.sh --deps-only

build/lib/%.o: lib/%.c lib/%.h | $(BEARSSL)
	@mkdir -p build/lib
	$(CC) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

$(LIBA): $(LIBOBJS)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJS)

build/bin/%: bin/%.c $(LIBA) $(BEARSSL) lib/*.h
	@mkdir -p build/bin
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< $(LIBA) $(BEARSSL)

# A program that outgrew one file lives in bin/NAME/.
SNAPBACK_SRC = bin/snapback/main.c bin/snapback/copy.c bin/snapback/verify.c
build/bin/snapback: $(SNAPBACK_SRC) bin/snapback/snapback.h $(LIBA) $(BEARSSL) lib/*.h
	@mkdir -p build/bin
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $(SNAPBACK_SRC) $(LIBA) $(BEARSSL)

SNAPROTATE_SRC = bin/snaprotate/main.c bin/snaprotate/pattern.c bin/snaprotate/policy.c bin/snaprotate/space.c
build/bin/snaprotate: $(SNAPROTATE_SRC) bin/snaprotate/snaprotate.h $(LIBA) $(BEARSSL) lib/*.h
	@mkdir -p build/bin
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $(SNAPROTATE_SRC) $(LIBA) $(BEARSSL)

ENVLINK_SRC = bin/envlink/main.c bin/envlink/envdir.c bin/envlink/record.c bin/envlink/util.c
build/bin/envlink: $(ENVLINK_SRC) bin/envlink/envlink.h $(LIBA) $(BEARSSL) lib/*.h
	@mkdir -p build/bin
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $(ENVLINK_SRC) $(LIBA) $(BEARSSL)

ENVGUARD_SRC = bin/envguard/main.c bin/envguard/lock.c bin/envguard/resolve.c bin/envguard/run.c
build/bin/envguard: $(ENVGUARD_SRC) bin/envguard/envguard.h $(LIBA) $(BEARSSL) lib/*.h
	@mkdir -p build/bin
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $(ENVGUARD_SRC) $(LIBA) $(BEARSSL)

PII_HASH_SRC = bin/pii-hash/main.c bin/pii-hash/jsonl.c bin/pii-hash/out.c bin/pii-hash/table.c bin/pii-hash/value.c
build/bin/pii-hash: $(PII_HASH_SRC) bin/pii-hash/pii-hash.h $(LIBA) $(BEARSSL) lib/*.h
	@mkdir -p build/bin
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $(PII_HASH_SRC) $(LIBA) $(BEARSSL)

AUDITLOG_SRC = bin/auditlog/main.c bin/auditlog/exec.c bin/auditlog/verify.c bin/auditlog/note.c
build/bin/auditlog: $(AUDITLOG_SRC) bin/auditlog/auditlog.h $(LIBA) $(BEARSSL) lib/*.h
	@mkdir -p build/bin
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $(AUDITLOG_SRC) $(LIBA) $(BEARSSL)

RETAIN_SRC = bin/retain/main.c bin/retain/policy.c bin/retain/files.c bin/retain/archive.c bin/retain/records.c
build/bin/retain: $(RETAIN_SRC) bin/retain/retain.h $(LIBA) $(BEARSSL) lib/*.h
	@mkdir -p build/bin
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $(RETAIN_SRC) $(LIBA) $(BEARSSL)

build/tests/lib-%: tests/lib-%.c tests/tap.h $(LIBA) $(BEARSSL) lib/*.h
	@mkdir -p build/tests
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< $(LIBA) $(BEARSSL)

# Helpers the shell tests run; not tests themselves.
build/tests/envguard-probe: tests/envguard-probe.c
	@mkdir -p build/tests
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ tests/envguard-probe.c

build/bench/%: bench/%.c $(LIBA) $(BEARSSL) lib/*.h
	@mkdir -p build/bench
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< $(LIBA) $(BEARSSL)

check: all $(CTESTS) $(HELPERBINS) lint-man
	BIN=$$(pwd)/build/bin prove --exec '' $(CTESTS) tests/[0-9]*.sh

bench: all $(BENCHBINS)
	@for b in bench/*.sh; do echo "== $$b"; BIN=$$(pwd)/build/bin BENCHBIN=$$(pwd)/build/bench sh $$b || exit 1; done

# The manual pages must be mandoc -T lint clean, warnings included;
# mandoc comes from apt-get when it is missing and we are root.
lint-man:
	@command -v mandoc >/dev/null 2>&1 || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "make: installing mandoc with apt-get" >&2; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q mandoc >&2 || \
		{ apt-get update -q >&2 && \
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q mandoc >&2; }; \
	else \
		echo "make: mandoc not found: install mandoc (Debian and Alpine: mandoc)" >&2; \
		exit 1; \
	fi
	mandoc -T lint -W warning man/*.[157]

# The tour: a sample server generated under build/demo (wiped first), the
# nightly job run on it, and a report (demo/demo.sh).
demo: all
	sh demo/demo.sh

install: all
	@set -e; \
	inst() { mkdir -p "$$3"; t="$$3/.$$(basename $$1).inst.$$$$"; \
		cp "$$1" "$$t"; chmod $$2 "$$t"; mv -f "$$t" "$$3/$$(basename $$1)"; \
		echo "installed $$3/$$(basename $$1)"; }; \
	for p in $(BINS); do inst $$p 755 "$(DESTDIR)$(BINDIR)"; done; \
	for m in $(MAN1); do inst $$m 644 "$(DESTDIR)$(MANDIR)/man1"; done; \
	for m in $(MAN5); do inst $$m 644 "$(DESTDIR)$(MANDIR)/man5"; done; \
	for m in $(MAN7); do inst $$m 644 "$(DESTDIR)$(MANDIR)/man7"; done

clean:
	rm -rf build/bin build/lib build/tests build/bench

distclean:
	rm -rf build

.PHONY: all deps check bench install clean distclean
.PHONY: demo lint-man
