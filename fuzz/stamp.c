/* stamp.c - fuzz the timestamp parsers and formatters of lib/time and
 * lib/stamp: YYYYmmdd_HHMMSS against a plain check and timegm, both
 * ways; the last stamp in a name against a scan of every place; --now
 * values formatted back (RFC 3339, @SECONDS, the stamp) parse to the
 * same time; lib/stamp and lib/time agree on the forms both read. */
/* SPDX-License-Identifier: ISC */

#define _GNU_SOURCE		/* timegm; memfd_create, in fuzz.h */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/stamp.h"
#include "lib/time.h"
#include "fuzz/fuzz.h"

/*
 * The input: eight bytes of a time (little-endian), then a string (up
 * to a NUL), which is a stamp, a file name and a --now value at once.
 */

static int
digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
num(const char *s, int n)
{
	int v = 0;

	while (n-- > 0) {
		if (!digit(*s))
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

static int
mdays(int y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return d[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) ||
	    y % 400 == 0));
}

/* The time of a valid civil date and time, by timegm, or -1. */
static int
civil(int y, int mo, int d, int h, int mi, int s, time_t *t)
{
	struct tm tm;

	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > mdays(y, mo) ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	*t = timegm(&tm);
	return 0;
}

/* s[0 .. 14] as YYYYmmdd_HHMMSS, read plainly. */
static int
ref_stamp15(const char *s, time_t *t)
{
	if (s[8] != '_')
		return -1;
	return civil(num(s, 4), num(s + 4, 2), num(s + 6, 2), num(s + 9, 2),
	    num(s + 11, 2), num(s + 13, 2), t);
}

static void
check_stamp(const char *s, size_t len)
{
	char buf[TIME_STAMPLEN];
	time_t t = 7, r;
	long i, want;
	int rc;

	/* time_parse_stamp: exactly a valid stamp. */
	rc = time_parse_stamp(s, &t);
	if (len == 15 && ref_stamp15(s, &r) == 0) {
		CHECK(rc == 0 && t == r);
		CHECK(time_stamp(t, buf) == 0 && strcmp(buf, s) == 0);
	} else
		CHECK(rc == -1 && errno == EINVAL && t == 7);

	/* time_find_stamp: the last one not next to a digit. */
	want = -1;
	for (i = (long)len - 15; i >= 0 && want == -1; i--)
		if ((i == 0 || !digit(s[i - 1])) && !digit(s[i + 15]) &&
		    ref_stamp15(s + i, &r) == 0)
			want = i;
	t = 7;
	i = time_find_stamp(s, &t);
	CHECK(i == want);
	if (want != -1) {
		CHECK(ref_stamp15(s + want, &r) == 0 && t == r);
	} else
		CHECK(errno == EINVAL && t == 7);
}

/* t formatted every way --now reads, read back. */
static void
check_format(time_t t)
{
	char buf[64], st[TIME_STAMPLEN], rfc[TIME_RFC3339LEN];
	struct tm tm;
	time_t r;
	long usec;

	snprintf(buf, sizeof buf, "@%lld", (long long)t);
	if (time_civil(t, &tm) == -1) {
		CHECK(errno == ERANGE);
		CHECK(time_parse_now(buf, &r) == -1 && errno == ERANGE);
		return;
	}
	CHECK(time_parse_now(buf, &r) == 0 && r == t);
	if (tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) {
		CHECK(time_stamp(t, st) == -1 && errno == ERANGE);
		CHECK(time_rfc3339(t, -1, rfc) == -1 && errno == ERANGE);
		return;
	}
	CHECK(time_stamp(t, st) == 0 && strlen(st) == 15);
	CHECK(time_parse_now(st, &r) == 0 && r == t);
	CHECK(time_parse_stamp(st, &r) == 0 && r == t);
	CHECK(time_find_stamp(st, &r) == 0 && r == t);
	CHECK(stamp_find(st, 15, &r) == 0 && r == t);
	CHECK(time_rfc3339(t, -1, rfc) == 0 && strlen(rfc) == 20);
	CHECK(time_parse_now(rfc, &r) == 0 && r == t);
	CHECK(stamp_parse(rfc, strlen(rfc), &r) == 0 && r == t);
	usec = (long)((unsigned long long)t % 1000000);
	CHECK(time_rfc3339(t, usec, rfc) == 0 && strlen(rfc) == 27);
	CHECK(time_parse_now(rfc, &r) == 0 && r == t);
	CHECK(stamp_parse(rfc, strlen(rfc), &r) == 0 && r == t);
	CHECK(time_rfc3339(t, 1000000, rfc) == -1 && errno == EINVAL);
	/* The same instant with an offset. */
	snprintf(buf, sizeof buf, "%.19s+01:30", rfc);
	if (time_parse_now(buf, &r) == 0)
		CHECK(r == t - 5400);
}

/* What lib/time's --now reader and lib/stamp's field reader both read,
 * they read alike. */
static void
check_agree(const char *s, size_t len)
{
	time_t a = 7, b = 7;
	int ra, rb;
	char last;

	ra = time_parse_now(s, &a);
	rb = stamp_parse(s, len, &b);
	if (ra == -1)
		CHECK(a == 7);
	if (rb == -1)
		CHECK(b == 7 && (errno == EINVAL || errno == ERANGE));
	if (len < 5 || s[4] != '-' || !digit(s[0]))
		return;
	/* A date (and time): --now needs an offset or Z with a time,
	 * lib/stamp takes UTC without one. */
	if (ra == 0)
		CHECK(rb == 0 && a == b);
	last = s[len - 1];
	if (rb == 0 && (len == 10 || last == 'Z' || last == 'z' ||
	    (len >= 25 && (s[len - 6] == '+' || s[len - 6] == '-') &&
	    s[len - 3] == ':')))
		CHECK(ra == 0 && a == b);
	/* A whole field that is a stamp is one a file name has too (but
	 * for the digits of a fraction, which may look like one). */
	if (rb == 0 && memchr(s, '.', len) == NULL) {
		time_t c;

		CHECK(stamp_find(s, len, &c) == 0 && c == b);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t raw = 0;
	time_t t, r;
	char *s;
	size_t len;
	long i;

	if (size < 8)
		return 0;
	memcpy(&raw, data, 8);
	s = fuzz_cstr(data + 8, size - 8);
	len = strlen(s);

	check_stamp(s, len);
	check_agree(s, len);
	/* stamp_find: a stamp where it says, found again from there. */
	if ((i = stamp_find(s, len, &t)) != -1) {
		CHECK(i >= 0 && (size_t)i < len && digit(s[i]));
		CHECK(i == 0 || !digit(s[i - 1]));
		CHECK(stamp_find(s + i, len - (size_t)i, &r) == 0 && r == t);
	}
	/* Times anywhere, and times of the years 0000-9999. */
	check_format((time_t)raw);
	check_format((time_t)(raw % (10000LL * 366 * 86400)) +
	    (time_t)-62167219200LL);
	free(s);
	return 0;
}
