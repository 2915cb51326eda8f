/* conf.c - fuzz the configuration reader (lib/conf, which reads
 * retain's policies, envlink's layers.conf and .envlink records) against
 * a plain reference of the syntax conf.h documents; its number and size
 * parsers against plain arithmetic; envlink's layer lines against the
 * rules envlink(1) gives.  (retain's policy_read opens and checks every
 * DIR as it reads, and exits on the first bad line: not a function to
 * call in a loop; its lines are lib/conf's, and its AGE field is fuzzed
 * by the duration target.) */
/* SPDX-License-Identifier: ISC */

#define _GNU_SOURCE		/* memfd_create, in fuzz.h */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "bin/envlink/envlink.h"
#include "fuzz/fuzz.h"

/*
 * The input is a configuration file; its first line (up to a NUL) is
 * also given to conf_number, with bounds from the input's last 16
 * bytes, and to conf_size.
 */

struct options opt;

void
usage(void)
{
	abort();
}

static char path[PATH_MAX];

static void
cleanup(void)
{
	unlink(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	(void)argc;
	(void)argv;
	snprintf(path, sizeof path, "%s/fuzz-conf.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if ((fd = mkstemp(path)) == -1)
		fuzz_die(path);
	close(fd);
	atexit(cleanup);
	return 0;
}

/*
 * The next record of d[n] from *pos, as conf.h says: fields into f (NUL
 * terminated copies in buf), their count, 0 at the end, -1 with *why for
 * an unusable line.  *line counts physical lines.
 */
static int
ref_next(const uint8_t *d, size_t n, size_t *pos, unsigned long *line,
    char *buf, char **f, const char **why)
{
	size_t i, k, end;
	int nul, toolong, nf;
	char *p;

	for (;;) {
		if (*pos == n)
			return 0;
		(*line)++;
		for (end = *pos; end < n && d[end] != '\n'; end++)
			continue;
		/* The first problem found is the one reported; a NUL
		 * takes no room. */
		nul = toolong = 0;
		for (i = *pos, k = 0; i < end; i++) {
			if (d[i] == '\0') {
				if (!toolong)
					nul = 1;
			} else if (k < CONF_MAXLINE)
				buf[k++] = (char)d[i];
			else
				toolong = 1;
		}
		buf[k] = '\0';
		*pos = end < n ? end + 1 : end;
		if (nul || toolong) {
			*why = nul ? "NUL byte in line" : "line too long";
			return -1;
		}
		if ((p = strchr(buf, '#')) != NULL)
			*p = '\0';
		for (p = buf, nf = 0;;) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '\0')
				break;
			if (nf == CONF_MAXFIELDS) {
				*why = "too many fields (at most 16)";
				return -1;
			}
			f[nf++] = p;
			while (*p != '\0' && *p != ' ' && *p != '\t')
				p++;
			if (*p != '\0')
				*p++ = '\0';
		}
		if (nf > 0)
			return nf;
	}
}

/* What envlink(1) says a layer line is. */
static int
ref_layer(char **f, int nf, const char (*seen)[NAME_LEN + 1], int nseen)
{
	size_t len, i;
	int k;

	if (nf != 2)
		return 0;
	len = strlen(f[0]);
	if (len == 0 || len > NAME_LEN || f[0][0] == '.' || f[0][0] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!((f[0][i] >= 'a' && f[0][i] <= 'z') ||
		    (f[0][i] >= 'A' && f[0][i] <= 'Z') ||
		    (f[0][i] >= '0' && f[0][i] <= '9') || f[0][i] == '.' ||
		    f[0][i] == '_' || f[0][i] == '-'))
			return 0;
	if (strcmp(f[1], "shared") != 0 && strcmp(f[1], "isolated") != 0)
		return 0;
	for (k = 0; k < nseen; k++)
		if (strcmp(seen[k], f[0]) == 0)
			return 0;
	return nseen < MAXLAYERS;
}

static void
check_reader(const uint8_t *data, size_t size)
{
	static char buf[CONF_MAXLINE + 2];
	static char seen[MAXLAYERS][NAME_LEN + 1];
	static struct env e;
	struct conf c;
	char *rf[CONF_MAXFIELDS];
	const char *why = NULL, *lwhy;
	unsigned long line = 0;
	size_t pos = 0;
	int fd, n, rn, i, nseen = 0, ok;

	if ((fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)) == -1)
		fuzz_die(path);
	fuzz_write(fd, data, size);
	close(fd);

	CHECK(conf_open(&c, path) == 0);
	memset(&e, 0, sizeof e);
	for (;;) {
		errno = 0;
		n = conf_next(&c);
		rn = ref_next(data, size, &pos, &line, buf, rf, &why);
		CHECK(n == rn);
		CHECK(c.line == line);
		if (n == 0)
			break;
		if (n == -1) {
			CHECK(errno == EINVAL);
			CHECK(c.reason != NULL && strcmp(c.reason, why) == 0);
			continue;
		}
		CHECK(c.nfields == n);
		for (i = 0; i < n; i++) {
			CHECK(strcmp(c.fields[i], rf[i]) == 0);
			CHECK(strpbrk(c.fields[i], " \t#\n") == NULL);
		}
		/* The line as a layer of layers.conf. */
		ok = ref_layer(c.fields, n, (const char (*)[NAME_LEN + 1])seen,
		    nseen);
		lwhy = layer_add(&e, c.fields, n);
		CHECK((lwhy == NULL) == ok);
		if (ok) {
			strcpy(seen[nseen++], c.fields[0]);
			CHECK(e.nlayers == nseen);
			CHECK(strcmp(e.layer[nseen - 1].name, c.fields[0]) ==
			    0);
			CHECK(e.layer[nseen - 1].shared ==
			    (strcmp(c.fields[1], "shared") == 0));
		}
	}
	/* The end, again. */
	CHECK(conf_next(&c) == 0);
	conf_close(&c);
	conf_close(&c);		/* twice is safe */
	CHECK(conf_next(&c) == -1 && errno == EBADF);
}

/* s as a number: -1 not digits, -2 over ULLONG_MAX, else 0 with *v. */
static int
ref_digits(const char *s, size_t n, unsigned long long *v)
{
	size_t i;

	if (n == 0)
		return -1;
	*v = 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	for (i = 0; i < n; i++) {
		if (*v > (ULLONG_MAX - (unsigned)(s[i] - '0')) / 10)
			return -2;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

static void
check_numbers(const uint8_t *data, size_t size)
{
	unsigned long long min = 0, max = ULLONG_MAX, v, got, rv;
	const uint8_t *nl;
	char *s;
	size_t len, d;
	int r, rr, shift;

	if (size >= 16) {
		memcpy(&min, data + size - 16, 8);
		memcpy(&max, data + size - 8, 8);
		/* Small bounds now and then, too. */
		if (min & 1)
			min %= 1000, max %= 100000;
	}
	nl = memchr(data, '\n', size);
	s = fuzz_cstr(data, nl != NULL ? (size_t)(nl - data) : size);
	len = strlen(s);

	/* conf_number: digits only, within [min, max]. */
	errno = 0;
	got = 12345;
	r = conf_number(s, min, max, &got);
	rr = ref_digits(s, len, &v);
	if (rr == -1) {
		CHECK(r == -1 && errno == EINVAL && got == 12345);
	} else if (rr == -2 || v < min || v > max) {
		CHECK(r == -1 && errno == ERANGE && got == 12345);
	} else
		CHECK(r == 0 && got == v);

	/* conf_size: digits, then "", B, or k M G T (either case) with
	 * "", B or iB after it. */
	for (d = 0; d < len && s[d] >= '0' && s[d] <= '9'; d++)
		continue;
	shift = -1;
	if (s[d] == '\0' || strcmp(s + d, "B") == 0)
		shift = 0;
	else if (strchr("kKmMgGtT", s[d]) != NULL && (s[d + 1] == '\0' ||
	    strcmp(s + d + 1, "B") == 0 || strcmp(s + d + 1, "iB") == 0)) {
		static const char units[] = "kKmMgGtT";

		shift = 10 * (int)(1 + (strchr(units, s[d]) - units) / 2);
	}
	errno = 0;
	got = 12345;
	r = conf_size(s, &got);
	rr = d == 0 || shift == -1 ? -1 : ref_digits(s, d, &v);
	if (rr == -1)
		CHECK(r == -1 && errno == EINVAL && got == 12345);
	else if (rr == -2 || v > ULLONG_MAX >> shift)
		CHECK(r == -1 && errno == ERANGE && got == 12345);
	else {
		rv = v << shift;
		CHECK(r == 0 && got == rv);
	}
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (path[0] == '\0')
		LLVMFuzzerInitialize(NULL, NULL);
	/* An empty input may come as NULL. */
	if (size == 0)
		data = (const uint8_t *)"";
	check_reader(data, size);
	check_numbers(data, size);
	return 0;
}
