/* lib-hash.c - unit tests for lib/hash: SHA-256 on both paths, HMAC, files,
 * hex. */
/* SPDX-License-Identifier: ISC */

#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/hash.h"
#include "tests/tap.h"

#define PATH_TESTS	21	/* run_path() */
#define SHANI_TESTS	5	/* run_shani_class() */

static const char s448[] =
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

static const char d_abc[] =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char d_448[] =
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
static const char d_empty[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
static const char d_million[] =
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

/* RFC 4231, section 4: keys and data as (byte, count) runs or strings. */
struct hmac_case {
	unsigned char	 key[131];
	size_t		 keylen;
	unsigned char	 msg[160];
	size_t		 msglen;
	size_t		 outlen;	/* case 5 is truncated to 128 bits */
	const char	*want;
};

static struct hmac_case hmac_cases[7];

static uint64_t prng_state = 0x243f6a8885a308d3ULL;

/* xorshift64*: reproducible data, not randomness. */
static uint64_t
prng(void)
{
	prng_state ^= prng_state >> 12;
	prng_state ^= prng_state << 25;
	prng_state ^= prng_state >> 27;
	return prng_state * 0x2545f4914f6cdd1dULL;
}

static void
prng_fill(unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(prng() >> 56);
}

static void
set_case(struct hmac_case *c, int kbyte, size_t klen, const char *kstr,
    int mbyte, size_t mlen, const char *mstr, size_t outlen, const char *want)
{
	if (kstr != NULL) {
		c->keylen = strlen(kstr);
		memcpy(c->key, kstr, c->keylen);
	} else {
		c->keylen = klen;
		memset(c->key, kbyte, klen);
	}
	if (mstr != NULL) {
		c->msglen = strlen(mstr);
		memcpy(c->msg, mstr, c->msglen);
	} else {
		c->msglen = mlen;
		memset(c->msg, mbyte, mlen);
	}
	c->outlen = outlen;
	c->want = want;
}

static void
setup_hmac_cases(void)
{
	struct hmac_case *c = hmac_cases;
	int i;

	set_case(&c[0], 0x0b, 20, NULL, 0, 0, "Hi There", 32,
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	set_case(&c[1], 0, 0, "Jefe", 0, 0, "what do ya want for nothing?", 32,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	set_case(&c[2], 0xaa, 20, NULL, 0xdd, 50, NULL, 32,
	    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
	set_case(&c[3], 0, 25, NULL, 0xcd, 50, NULL, 32,
	    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
	for (i = 0; i < 25; i++)
		c[3].key[i] = (unsigned char)(i + 1);
	set_case(&c[4], 0x0c, 20, NULL, 0, 0, "Test With Truncation", 16,
	    "a3b6167473100ee06e0c796c2955552b");
	set_case(&c[5], 0xaa, 131, NULL, 0, 0,
	    "Test Using Larger Than Block-Size Key - Hash Key First", 32,
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	set_case(&c[6], 0xaa, 131, NULL, 0, 0,
	    "This is a test using a larger than block-size key and a larger "
	    "than block-size data. The key needs to be hashed before being "
	    "used by the HMAC algorithm.", 32,
	    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

static const char *
hex(const unsigned char *d, size_t len)
{
	static char buf[2 * 64 + 1];

	hash_hex(d, len, buf);
	return buf;
}

/* One test: the hex of d[len] is want; described as "name: what". */
static int
same_hex(const unsigned char *d, size_t len, const char *want,
    const char *name, const char *what)
{
	char desc[128];

	snprintf(desc, sizeof desc, "%s: %s", name, what);
	return tap_same(hex(d, len), want, desc);
}

/* Hash msg[len] fed in pieces of step bytes (step 0: 1, 2, 3, ...). */
static void
hash_pieces(const unsigned char *msg, size_t len, size_t step,
    unsigned char out[HASH_LEN])
{
	hash_ctx ctx;
	size_t off = 0, n, grow = 1;

	hash_init(&ctx);
	while (off < len) {
		n = step != 0 ? step : grow++;
		if (n > len - off)
			n = len - off;
		hash_update(&ctx, msg + off, n);
		off += n;
	}
	hash_final(&ctx, out);
}

/* The tests every implementation must pass: PATH_TESTS of them. */
static void
run_path(const char *name)
{
	static const size_t steps[] = { 1, 3, 63, 64, 65, 127, 128, 129, 0 };
	unsigned char d[HASH_LEN], one[HASH_LEN], msg[1500], a[1000];
	char what[64];
	hash_ctx ctx;
	size_t i;
	int j;

	hash_buf("abc", 3, d);
	same_hex(d, HASH_LEN, d_abc, name, "FIPS 180-2 \"abc\"");
	hash_buf(s448, strlen(s448), d);
	same_hex(d, HASH_LEN, d_448, name, "FIPS 180-2 448-bit message");
	hash_buf("", 0, d);
	same_hex(d, HASH_LEN, d_empty, name, "empty message");
	memset(a, 'a', sizeof a);
	hash_init(&ctx);
	for (i = 0; i < 1000; i++)
		hash_update(&ctx, a, sizeof a);
	hash_final(&ctx, d);
	same_hex(d, HASH_LEN, d_million, name, "FIPS 180-2 one million 'a'");

	prng_fill(msg, sizeof msg);
	hash_buf(msg, sizeof msg, one);
	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		hash_pieces(msg, sizeof msg, steps[i], d);
		if (steps[i] != 0)
			tap_ok(memcmp(d, one, HASH_LEN) == 0,
			    "%s: %zu-byte updates equal one call", name,
			    steps[i]);
		else
			tap_ok(memcmp(d, one, HASH_LEN) == 0,
			    "%s: updates of 1, 2, 3, ... bytes equal one call",
			    name);
	}

	/* out() leaves the context as it was: "ab", output, then "c". */
	hash_init(&ctx);
	hash_update(&ctx, "ab", 2);
	hash_final(&ctx, d);
	hash_final(&ctx, d);
	hash_update(&ctx, "c", 1);
	hash_final(&ctx, d);
	same_hex(d, HASH_LEN, d_abc, name, "hashing goes on after output");

	for (j = 0; j < 7; j++) {
		struct hmac_case *c = &hmac_cases[j];

		snprintf(what, sizeof what, "RFC 4231 HMAC-SHA256 case %d",
		    j + 1);
		hash_hmac(c->key, c->keylen, c->msg, c->msglen, d);
		same_hex(d, c->outlen, c->want, name, what);
	}
}

/* Our br_hash_class against BearSSL's: SHANI_TESTS of them, with the
 * SHA-extensions implementation selected. */
static void
run_shani_class(void)
{
	const br_hash_class *ours = hash_sha256(), *bear = &br_sha256_vtable;
	br_hash_compat_context x, y;
	unsigned char buf[20000 + 16], sx[32], sy[32], dx[32], dy[32];
	uint64_t nx, ny;
	size_t len, off, cut, n, k;
	int i, bad;

	tap_ok(ours->desc == bear->desc,
	    "descriptor equals br_sha256_vtable's");

	prng_fill(buf, sizeof buf);
	ours->init(&x.vtable);
	bear->init(&y.vtable);
	ours->update(&x.vtable, buf, 197);
	bear->update(&y.vtable, buf, 197);
	nx = ours->state(&x.vtable, sx);
	ny = bear->state(&y.vtable, sy);
	tap_ok(nx == ny && nx == 197 && memcmp(sx, sy, 32) == 0,
	    "state() gives BearSSL's chaining value and count");

	/* Hand a mid-stream state over in each direction and go on. */
	bear->init(&y.vtable);
	bear->update(&y.vtable, buf, 256);
	ny = bear->state(&y.vtable, sy);
	ours->init(&x.vtable);
	ours->set_state(&x.vtable, sy, ny);
	ours->update(&x.vtable, buf + 256, 1000);
	bear->update(&y.vtable, buf + 256, 1000);
	ours->out(&x.vtable, dx);
	bear->out(&y.vtable, dy);
	tap_ok(memcmp(dx, dy, 32) == 0, "set_state() takes BearSSL's state");

	ours->init(&x.vtable);
	ours->update(&x.vtable, buf, 320);
	nx = ours->state(&x.vtable, sx);
	bear->init(&y.vtable);
	bear->set_state(&y.vtable, sx, nx);
	ours->update(&x.vtable, buf + 320, 77);
	bear->update(&y.vtable, buf + 320, 77);
	ours->out(&x.vtable, dx);
	bear->out(&y.vtable, dy);
	tap_ok(memcmp(dx, dy, 32) == 0, "BearSSL's set_state() takes ours");

	/* Every length up to 300 (all padding cases), then random lengths,
	 * at random alignments, cut at a random point. */
	bad = 0;
	for (i = 0; i < 1300 && !bad; i++) {
		len = i <= 300 ? (size_t)i : (size_t)(prng() % 20000);
		off = (size_t)(prng() % 16);
		cut = len != 0 ? (size_t)(prng() % (len + 1)) : 0;
		for (k = 0; k < 2; k++) {
			const br_hash_class *vt = k == 0 ? ours : bear;
			br_hash_compat_context *cc = k == 0 ? &x : &y;

			vt->init(&cc->vtable);
			vt->update(&cc->vtable, buf + off, cut);
			n = len - cut;
			vt->update(&cc->vtable, buf + off + cut, n);
			vt->out(&cc->vtable, k == 0 ? dx : dy);
		}
		if (memcmp(dx, dy, 32) != 0) {
			bad = 1;
			tap_diag("length %zu, offset %zu, cut at %zu", len, off,
			    cut);
		}
	}
	tap_ok(!bad, "both paths agree on 1300 messages of 0 to 20000 bytes");
}

static void
run_select(void)
{
	FILE *fp;
	char line[4096];
	int cpu = -1, r;

	tap_ok(hash_select(HASH_PORTABLE) == 0 &&
	    hash_sha256() == &br_sha256_vtable && !hash_is_shani(),
	    "HASH_PORTABLE selects br_sha256_vtable");
	errno = 0;
	tap_ok(hash_select((enum hash_impl)42) == -1 && errno == EINVAL,
	    "an unknown implementation is EINVAL");

	/* The kernel reads the same CPUID bit: cross-check with it. */
#if defined(__x86_64__) || defined(__i386__)
	if ((fp = fopen("/proc/cpuinfo", "r")) != NULL) {
		while (cpu != 1 && fgets(line, sizeof line, fp) != NULL)
			if (strncmp(line, "flags", 5) == 0)
				cpu = strstr(line, " sha_ni") != NULL;
		fclose(fp);
	}
#else
	(void)fp;
	(void)line;
	cpu = 0;
#endif
	hash_select(HASH_AUTO);
	if (cpu == -1)
		tap_skip(1, "no flags in /proc/cpuinfo");
	else
		tap_ok(hash_is_shani() == cpu,
		    "HASH_AUTO picks SHA-NI exactly when the CPU has it (%s)",
		    cpu ? "has" : "has not");
	errno = 0;
	r = hash_select(HASH_SHANI);
	tap_ok(r == 0 ? hash_is_shani() : errno == ENOTSUP && !hash_is_shani(),
	    "HASH_SHANI selects it or fails with ENOTSUP");
	hash_select(HASH_AUTO);
}

static int
write_all(int fd, const unsigned char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static volatile sig_atomic_t alarmed;

static void
on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

/* One test: a child writes data[len] to a pipe after a pause, while a
 * timer interrupts the parent's read (no SA_RESTART: read fails EINTR). */
static void
fd_eintr(const unsigned char *data, size_t len)
{
	struct sigaction sa, osa;
	struct itimerval it;
	struct timespec pause = { 0, 300000000 };
	unsigned char d[HASH_LEN], want[HASH_LEN];
	int p[2], status, r;
	pid_t pid;

	if (pipe(p) == -1 || (pid = fork()) == -1) {
		tap_skip(1, "no pipe or fork");
		return;
	}
	if (pid == 0) {
		close(p[0]);
		nanosleep(&pause, NULL);
		_exit(write_all(p[1], data, len) == -1);
	}
	close(p[1]);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &osa);
	memset(&it, 0, sizeof it);
	it.it_value.tv_usec = 50000;
	setitimer(ITIMER_REAL, &it, NULL);
	r = hash_fd(p[0], d, NULL);
	sigaction(SIGALRM, &osa, NULL);
	close(p[0]);
	waitpid(pid, &status, 0);
	hash_buf(data, len, want);
	tap_ok(alarmed && r == 0 && memcmp(d, want, HASH_LEN) == 0,
	    "hash_fd: a read interrupted by a signal is retried");
}

/* Seven tests, with the automatic selection. */
static void
run_fd(void)
{
	static unsigned char data[(1 << 20) + 4097];
	char path[] = "/tmp/lib-hash.XXXXXX";
	unsigned char d[HASH_LEN], want[HASH_LEN];
	uint64_t n = 12345;
	int fd, p[2], status;
	size_t off;
	pid_t pid;

	prng_fill(data, sizeof data);
	if ((fd = mkstemp(path)) == -1) {
		tap_diag("mkstemp: %s", strerror(errno));
		tap_skip(4, "no temporary file");
	} else {
		/* Unlinked at once: nothing is left behind, come what may. */
		unlink(path);
		tap_ok(hash_fd(fd, d, &n) == 0 && n == 0 &&
		    strcmp(hex(d, HASH_LEN), d_empty) == 0,
		    "hash_fd: empty file");
		if (write_all(fd, data, sizeof data) == -1)
			tap_diag("write: %s", strerror(errno));
		lseek(fd, 0, SEEK_SET);
		hash_buf(data, sizeof data, want);
		n = 0;
		tap_ok(hash_fd(fd, d, &n) == 0 && memcmp(d, want, 32) == 0,
		    "hash_fd: 1 MiB + 4097 byte file");
		tap_ok(n == sizeof data, "hash_fd: counts %zu bytes",
		    sizeof data);
		lseek(fd, 1000, SEEK_SET);
		hash_buf(data + 1000, sizeof data - 1000, want);
		tap_ok(hash_fd(fd, d, NULL) == 0 && memcmp(d, want, 32) == 0,
		    "hash_fd: from the current offset");
		close(fd);
	}

	/* A pipe gives short reads of any size. */
	if (pipe(p) == -1 || (pid = fork()) == -1) {
		tap_skip(1, "no pipe or fork");
	} else {
		if (pid == 0) {
			close(p[0]);
			for (off = 0; off < 74 * 4099; off += 4099)
				if (write_all(p[1], data + off, 4099) == -1)
					_exit(1);
			_exit(0);
		}
		close(p[1]);
		hash_buf(data, 74 * 4099, want);
		n = 0;
		tap_ok(hash_fd(p[0], d, &n) == 0 && n == 74 * 4099 &&
		    memcmp(d, want, 32) == 0, "hash_fd: a pipe");
		close(p[0]);
		waitpid(pid, &status, 0);
	}

	fd_eintr(data, 5000);

	errno = 0;
	tap_ok(hash_fd(-1, d, &n) == -1 && errno == EBADF,
	    "hash_fd: a bad descriptor is EBADF");
}

/* Eight tests. */
static void
run_hex(void)
{
	unsigned char d[HASH_LEN], e[HASH_LEN], b[2];
	char s[HASH_HEXLEN + 1], u[HASH_HEXLEN + 1], in[3];
	int c, bad, v;
	size_t i;

	hash_buf("abc", 3, d);
	hash_hex(d, HASH_LEN, s);
	tap_same(s, d_abc, "hash_hex: lower-case digits");
	s[0] = 'x';
	hash_hex(d, 0, s);
	tap_ok(s[0] == '\0', "hash_hex: zero bytes is the empty string");

	hash_hex(d, HASH_LEN, s);
	memset(e, 0, sizeof e);
	tap_ok(hash_unhex(s, e, HASH_LEN) == 0 && memcmp(d, e, 32) == 0,
	    "hash_unhex: round trip");
	for (i = 0; i < HASH_HEXLEN; i++)
		u[i] = (char)toupper((unsigned char)s[i]);
	u[HASH_HEXLEN] = '\0';
	memset(e, 0, sizeof e);
	tap_ok(hash_unhex(u, e, HASH_LEN) == 0 && memcmp(d, e, 32) == 0,
	    "hash_unhex: upper case");

	/* Every byte as the high and as the low digit. */
	bad = 0;
	for (c = 1; c < 256; c++) {
		v = isdigit(c) ? c - '0' : isxdigit(c) ? tolower(c) - 'a' + 10 :
		    -1;
		in[0] = (char)c;
		in[1] = '5';
		in[2] = '\0';
		errno = 0;
		b[0] = 0x77;
		if (v == -1 ? hash_unhex(in, b, 1) != -1 || errno != EINVAL ||
		    b[0] != 0x77 : hash_unhex(in, b, 1) != 0 ||
		    b[0] != (v << 4 | 5)) {
			tap_diag("byte 0x%02x as high digit", c);
			bad = 1;
		}
		in[0] = 'a';
		in[1] = (char)c;
		b[0] = 0x77;
		if (v == -1 ? hash_unhex(in, b, 1) != -1 || b[0] != 0x77 :
		    hash_unhex(in, b, 1) != 0 || b[0] != (0xa0 | v)) {
			tap_diag("byte 0x%02x as low digit", c);
			bad = 1;
		}
	}
	tap_ok(!bad, "hash_unhex: exactly [0-9a-fA-F] are digits, "
	    "bad input leaves out untouched");

	memset(e, 0x55, sizeof e);
	tap_ok(hash_unhex(d_abc + 1, e, HASH_LEN) == -1 && errno == EINVAL &&
	    e[0] == 0x55, "hash_unhex: a short string is EINVAL");
	tap_ok(hash_unhex("0x12", b, 2) == -1 && errno == EINVAL,
	    "hash_unhex: a 0x prefix is EINVAL");
	tap_ok(hash_unhex("12ab  file", b, 2) == 0 && b[0] == 0x12 &&
	    b[1] == 0xab, "hash_unhex: what follows the digits is not read");
}

/* Five tests. */
static void
run_equal(void)
{
	unsigned char a[HASH_LEN], b[HASH_LEN];

	prng_fill(a, sizeof a);
	memcpy(b, a, sizeof b);
	tap_ok(hash_equal(a, b, sizeof a) == 1, "hash_equal: equal");
	b[0] ^= 1;
	tap_ok(hash_equal(a, b, sizeof a) == 0, "hash_equal: first byte");
	b[0] ^= 1;
	b[HASH_LEN - 1] ^= 0x80;
	tap_ok(hash_equal(a, b, sizeof a) == 0,
	    "hash_equal: top bit of the last byte");
	b[HASH_LEN - 1] ^= 0x80;
	b[HASH_LEN / 2] ^= 0xff;
	tap_ok(hash_equal(a, b, sizeof a) == 0, "hash_equal: a middle byte");
	tap_ok(hash_equal(a, b, 0) == 1, "hash_equal: zero bytes are equal");
}

int
main(void)
{
	tap_plan(2 * PATH_TESTS + 4 + SHANI_TESTS + 7 + 8 + 5);
	setup_hmac_cases();

	run_select();

	hash_select(HASH_PORTABLE);
	run_path("portable");
	if (hash_select(HASH_SHANI) == -1) {
		tap_skip(PATH_TESTS + SHANI_TESTS, "no SHA extensions here");
	} else {
		run_path("SHA-NI");
		run_shani_class();
	}
	hash_select(HASH_AUTO);

	run_fd();
	run_hex();
	run_equal();
	return tap_done();
}
