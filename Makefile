# datakeep - small static programs that keep the data of one server safe.
# SPDX-License-Identifier: ISC

CC = musl-gcc
LDFLAGS = -static
CFLAGS = -std=c99 -O2 -Wall -Wextra
CPPFLAGS = -D_DEFAULT_SOURCE -I. -I$(BEARSSLDIR)/inc
AR = ar
PREFIX = /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
DESTDIR =

DEPS = build/deps
BEARSSLDIR = $(DEPS)/bearssl

# make check SAN=1: the programs and tests built with gcc for glibc, with
# AddressSanitizer and UndefinedBehaviorSanitizer (neither runs on musl),
# into build/san, BearSSL into build/deps/bearssl-glibc; the static musl
# build in build/ is not touched.
SAN =
B = build
ifeq ($(SAN),1)
B = build/san
CC = gcc
LDFLAGS =
CFLAGS += -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
BEARSSLDIR = $(DEPS)/bearssl-glibc
endif
BEARSSL = $(BEARSSLDIR)/lib/libbearssl.a
GLIBC_BEARSSL = $(DEPS)/bearssl-glibc/lib/libbearssl.a

# Fuzz targets (fuzz/README): LLVMFuzzerTestOneInput in fuzz/NAME.c, with
# the program files it needs (FUZZSRC_NAME, none with a main).  make check
# replays each over its seeds in tests/corpus/NAME (fuzz/replay.c, built
# like the tests); make fuzz runs each under libFuzzer for FUZZ_SECONDS.
FUZZ_TARGETS = csv jsonl piihash auditverify manifest conf duration stamp \
	pattern
FUZZ_SECONDS = 60
REPLAYS = $(FUZZ_TARGETS:%=$(B)/tests/fuzz-%)

# make lint is part of make check (not of SAN=1: the same sources);
# build/lint.ok records that the sources as they are passed.
CHECKLINT = build/lint.ok
ifeq ($(SAN),1)
CHECKLINT =
# A sanitizer's report fails make check, even from a process whose exit
# status no test looks at: reports go to files in $(B)/sanlog, which must
# stay empty (and which other users' processes of the tests can write).
# Exit statuses of their own, not the programs' 1.  What
# the programs hold until they exit is no leak: tests/lsan.supp.
SANLOG = $(CURDIR)/$(B)/sanlog
SANENV = ASAN_OPTIONS=log_path=$(SANLOG)/asan:exitcode=86:detect_leaks=1 \
	LSAN_OPTIONS=exitcode=88:print_suppressions=0:suppressions=$(CURDIR)/tests/lsan.supp \
	UBSAN_OPTIONS=log_path=$(SANLOG)/ubsan:print_stacktrace=1:halt_on_error=1:exitcode=87
endif

PROGS = snapback snaprotate envlink envguard pii-hash auditlog retain
LIBMODS = atomic conf csv err hash hmac lock manifest snapdir time walk mountinfo audit sign stamp json quarantine tree
TESTMODS = atomic conf csv hash hmac lock manifest snapdir time walk mountinfo audit sign stamp json quarantine tree
BENCHES = sha256sum rusage readloop
TESTHELPERS = envguard-probe

MAN1 = man/snapback.1 man/snaprotate.1 man/envlink.1 man/envguard.1 man/auditlog.1 man/pii-hash.1 man/retain.1
MAN5 = man/datakeep-formats.5
MAN7 = man/datakeep.7

BINS = $(PROGS:%=$(B)/bin/%)
LIBOBJS = $(LIBMODS:%=$(B)/lib/%.o)
LIBA = $(B)/lib/libdatakeep.a
CTESTS = $(TESTMODS:%=$(B)/tests/lib-%)
HELPERBINS = $(TESTHELPERS:%=$(B)/tests/%)
BENCHBINS = $(BENCHES:%=build/bench/%)

all: $(BINS)

deps: $(BEARSSL)

$(DEPS)/bearssl/lib/libbearssl.a:
	CC="$(CC)" ./install.sh --deps-only

# For the sanitizer build and the fuzz targets.
$(GLIBC_BEARSSL):
	CC=gcc BEARSSL_DIR="$$(pwd)/$(DEPS)/bearssl-glibc" ./install.sh --deps-only

$(B)/lib/%.o: lib/%.c lib/%.h | $(BEARSSL)
	@mkdir -p $(B)/lib
	$(CC) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

$(LIBA): $(LIBOBJS)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJS)

$(B)/bin/%: bin/%.c $(LIBA) $(BEARSSL) lib/*.h
	@mkdir -p $(B)/bin
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< $(LIBA) $(BEARSSL)

# A program that outgrew one file lives in bin/NAME/.
SNAPBACK_SRC = bin/snapback/main.c bin/snapback/copy.c bin/snapback/verify.c
$(B)/bin/snapback: $(SNAPBACK_SRC) bin/snapback/snapback.h $(LIBA) $(BEARSSL) lib/*.h
	@mkdir -p $(B)/bin
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $(SNAPBACK_SRC) $(LIBA) $(BEARSSL)

SNAPROTATE_SRC = bin/snaprotate/main.c bin/snaprotate/pattern.c bin/snaprotate/policy.c bin/snaprotate/space.c
$(B)/bin/snaprotate: $(SNAPROTATE_SRC) bin/snaprotate/snaprotate.h $(LIBA) $(BEARSSL) lib/*.h
	@mkdir -p $(B)/bin
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $(SNAPROTATE_SRC) $(LIBA) $(BEARSSL)

ENVLINK_SRC = bin/envlink/main.c bin/envlink/envdir.c bin/envlink/record.c bin/envlink/util.c
$(B)/bin/envlink: $(ENVLINK_SRC) bin/envlink/envlink.h $(LIBA) $(BEARSSL) lib/*.h
	@mkdir -p $(B)/bin
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $(ENVLINK_SRC) $(LIBA) $(BEARSSL)

ENVGUARD_SRC = bin/envguard/main.c bin/envguard/lock.c bin/envguard/resolve.c bin/envguard/run.c
$(B)/bin/envguard: $(ENVGUARD_SRC) bin/envguard/envguard.h $(LIBA) $(BEARSSL) lib/*.h
	@mkdir -p $(B)/bin
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $(ENVGUARD_SRC) $(LIBA) $(BEARSSL)

PII_HASH_SRC = bin/pii-hash/main.c bin/pii-hash/jsonl.c bin/pii-hash/out.c bin/pii-hash/table.c bin/pii-hash/value.c
$(B)/bin/pii-hash: $(PII_HASH_SRC) bin/pii-hash/pii-hash.h $(LIBA) $(BEARSSL) lib/*.h
	@mkdir -p $(B)/bin
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $(PII_HASH_SRC) $(LIBA) $(BEARSSL)

AUDITLOG_SRC = bin/auditlog/main.c bin/auditlog/exec.c bin/auditlog/verify.c bin/auditlog/note.c
$(B)/bin/auditlog: $(AUDITLOG_SRC) bin/auditlog/auditlog.h $(LIBA) $(BEARSSL) lib/*.h
	@mkdir -p $(B)/bin
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $(AUDITLOG_SRC) $(LIBA) $(BEARSSL)

RETAIN_SRC = bin/retain/main.c bin/retain/policy.c bin/retain/files.c bin/retain/archive.c bin/retain/records.c
$(B)/bin/retain: $(RETAIN_SRC) bin/retain/retain.h $(LIBA) $(BEARSSL) lib/*.h
	@mkdir -p $(B)/bin
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $(RETAIN_SRC) $(LIBA) $(BEARSSL)

$(B)/tests/lib-%: tests/lib-%.c tests/tap.h $(LIBA) $(BEARSSL) lib/*.h
	@mkdir -p $(B)/tests
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< $(LIBA) $(BEARSSL)

# Helpers the shell tests run; not tests themselves.
$(B)/tests/envguard-probe: tests/envguard-probe.c
	@mkdir -p $(B)/tests
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ tests/envguard-probe.c

build/bench/%: bench/%.c $(LIBA) $(BEARSSL) lib/*.h
	@mkdir -p build/bench
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< $(LIBA) $(BEARSSL)

check: all $(CTESTS) $(HELPERBINS) $(REPLAYS) lint-man $(CHECKLINT)
	@rm -rf $(B)/sanlog && mkdir -p $(B)/sanlog && chmod 1777 $(B)/sanlog
	BIN=$$(pwd)/$(B)/bin DATAKEEP_SAN=$(SAN) $(SANENV) prove --exec '' \
	    $(CTESTS) $(REPLAYS) tests/[0-9]*.sh
	@if [ -n "$$(ls -A $(B)/sanlog)" ]; then cat $(B)/sanlog/*; \
	    echo "make: sanitizer reports above (in $(B)/sanlog)" >&2; exit 1; fi

bench: all $(BENCHBINS)
	@for b in bench/*.sh; do echo "== $$b"; BIN=$$(pwd)/$(B)/bin BENCHBIN=$$(pwd)/build/bench sh $$b || exit 1; done

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

# ---- fuzzing -----------------------------------------------------------

# The program files a target links, and what it compiles them with.
PII_HASH_LIBSRC = bin/pii-hash/jsonl.c bin/pii-hash/out.c \
	bin/pii-hash/table.c bin/pii-hash/value.c
FUZZSRC_jsonl = $(PII_HASH_LIBSRC)
FUZZSRC_piihash = $(PII_HASH_LIBSRC)
FUZZSRC_auditverify = bin/auditlog/verify.c bin/auditlog/note.c
FUZZSRC_conf = bin/envlink/record.c bin/envlink/util.c
FUZZSRC_pattern = bin/snaprotate/pattern.c
# verify derives at most this many keys to reach a record (the program:
# 2^28, about a minute), so that each input is a moment's work.
FUZZDEFS_auditverify = -DMAXSTEP=4096

$(B)/tests/fuzz-jsonl $(B)/tests/fuzz-piihash build/fuzz/bin/jsonl \
    build/fuzz/bin/piihash: $(PII_HASH_LIBSRC) bin/pii-hash/pii-hash.h \
    fuzz/piihash.h
$(B)/tests/fuzz-auditverify build/fuzz/bin/auditverify: \
    $(FUZZSRC_auditverify) bin/auditlog/auditlog.h
$(B)/tests/fuzz-conf build/fuzz/bin/conf: $(FUZZSRC_conf) \
    bin/envlink/envlink.h
$(B)/tests/fuzz-pattern build/fuzz/bin/pattern: $(FUZZSRC_pattern) \
    bin/snaprotate/snaprotate.h

# The replay of a target's seeds: a test like the others.
$(B)/tests/fuzz-%: fuzz/%.c fuzz/replay.c fuzz/fuzz.h $(LIBA) $(BEARSSL) \
    lib/*.h
	@mkdir -p $(B)/tests
	$(CC) $(CFLAGS) $(CPPFLAGS) $(FUZZDEFS_$*) -DFUZZ_TARGET='"$*"' \
	    $(LDFLAGS) -o $@ fuzz/replay.c $< $(FUZZSRC_$*) $(LIBA) $(BEARSSL)

# libFuzzer, with AddressSanitizer and UndefinedBehaviorSanitizer: clang
# for glibc, the library instrumented too, BearSSL as it is.
FUZZCC = clang
FUZZFLAGS = -std=c99 -g -O1 -Wall -Wextra -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all
FUZZCPPFLAGS = -D_DEFAULT_SOURCE -I. -I$(DEPS)/bearssl-glibc/inc
FUZZLIBOBJS = $(LIBMODS:%=build/fuzz/lib/%.o)
FUZZLIBA = build/fuzz/lib/libdatakeep.a

build/fuzz/lib/%.o: lib/%.c lib/%.h | $(GLIBC_BEARSSL) need-clang
	@mkdir -p build/fuzz/lib
	$(FUZZCC) $(FUZZFLAGS) -fsanitize=fuzzer-no-link $(FUZZCPPFLAGS) \
	    -c -o $@ $<

$(FUZZLIBA): $(FUZZLIBOBJS)
	rm -f $@
	$(AR) rcs $@ $(FUZZLIBOBJS)

build/fuzz/bin/%: fuzz/%.c fuzz/fuzz.h $(FUZZLIBA) $(GLIBC_BEARSSL) \
    lib/*.h | need-clang
	@mkdir -p build/fuzz/bin
	$(FUZZCC) $(FUZZFLAGS) -fsanitize=fuzzer $(FUZZCPPFLAGS) \
	    $(FUZZDEFS_$*) -o $@ $< $(FUZZSRC_$*) $(FUZZLIBA) $(GLIBC_BEARSSL)

# Each target for FUZZ_SECONDS, from its seeds and what earlier runs
# found (build/fuzz/corpus/NAME); a finding (a crash, a leak, a property
# that does not hold, an input slower than 30 s) goes to
# build/fuzz/findings/NAME and fails make.  make -j2 fuzz runs two at a
# time, make fuzz FUZZ_TARGETS=csv one.
fuzz: $(FUZZ_TARGETS:%=fuzz-run-%)

fuzz-run-%: build/fuzz/bin/%
	@mkdir -p build/fuzz/corpus/$* build/fuzz/findings/$* build/fuzz/tmp
	@echo "fuzz: $*: $(FUZZ_SECONDS) s"
	@TMPDIR=$$(pwd)/build/fuzz/tmp build/fuzz/bin/$* \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=30 -close_fd_mask=3 \
	    -artifact_prefix=build/fuzz/findings/$*/ \
	    build/fuzz/corpus/$* tests/corpus/$* >build/fuzz/$*.log 2>&1 || \
	    { tail -n 30 build/fuzz/$*.log; echo "fuzz: $*: a finding, in" \
	    "build/fuzz/findings/$*/ (the log: build/fuzz/$*.log)" >&2; \
	    exit 1; }
	@echo "fuzz: $*: $$(grep '^Done' build/fuzz/$*.log)"

# clang and libFuzzer come from apt-get (clang, libclang-rt-14-dev on
# Debian 12) when missing and we are root.
need-clang:
	@mkdir -p build && echo 'int LLVMFuzzerTestOneInput(void) { return 0; }' \
	    >build/need-clang.c
	@$(FUZZCC) -fsanitize=fuzzer -o build/need-clang build/need-clang.c \
	    2>/dev/null || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "make: installing clang and libclang-rt-14-dev with" \
		    "apt-get" >&2; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang \
		    libclang-rt-14-dev >&2 || \
		{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive \
		    apt-get install -y -q clang libclang-rt-14-dev >&2; }; \
	else \
		echo "make: clang with libFuzzer not found: install clang and" \
		    "libclang-rt-14-dev (Debian)" >&2; \
		exit 1; \
	fi
	@rm -f build/need-clang build/need-clang.c

# ---- static analysis ---------------------------------------------------

# cppcheck: warnings, portability and performance; bsd.cfg says that
# err(3) and errx(3) do not return.  Suppressed everywhere:
# varFuncNullUB, NULL ending the arguments of a variadic function: NULL
# is ((void *)0) with musl and glibc, and the functions that take it so
# are declared __attribute__((sentinel)), which the compilers check.
# Other false positives are suppressed where they are, saying why.
CPPCHECKFLAGS = --std=c99 --enable=warning,portability,performance \
	--library=bsd --inline-suppr --error-exitcode=1 --quiet \
	--suppress=varFuncNullUB -D_DEFAULT_SOURCE -D__linux__ \
	-D__x86_64__ -I.
# clang-tidy: the checks in .clang-tidy, each group with why; two at a
# time.
LINTSRC = lib/*.c bin/*/*.c

define lint-run
cppcheck $(CPPCHECKFLAGS) lib bin
ls $(LINTSRC) | xargs -P 2 -n 6 sh -c \
    'clang-tidy --quiet "$$@" -- -std=c99 $(CPPFLAGS)' sh
endef

lint: | need-lint $(BEARSSL)
	$(lint-run)

build/lint.ok: lib/*.c lib/*.h bin/*/*.c bin/*/*.h .clang-tidy | need-lint \
    $(BEARSSL)
	$(lint-run)
	@touch $@

# cppcheck and clang-tidy come from apt-get when missing and we are root.
need-lint:
	@command -v cppcheck >/dev/null 2>&1 && \
	command -v clang-tidy >/dev/null 2>&1 || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "make: installing cppcheck and clang-tidy with apt-get" >&2; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q cppcheck \
		    clang-tidy >&2 || \
		{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive \
		    apt-get install -y -q cppcheck clang-tidy >&2; }; \
	else \
		echo "make: cppcheck or clang-tidy not found: install cppcheck" \
		    "and clang-tidy (Debian and Alpine)" >&2; \
		exit 1; \
	fi

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
	rm -rf build/bin build/lib build/tests build/bench build/san build/fuzz build/lint.ok

distclean:
	rm -rf build

.PHONY: all deps check bench install clean distclean
.PHONY: demo lint-man
.PHONY: fuzz lint need-clang need-lint
