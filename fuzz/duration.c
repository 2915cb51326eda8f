/* duration.c - fuzz lib/time's durations and calendar arithmetic: the
 * parser against a plain reading of time.h's grammar, a canonical form
 * that parses back to the same duration, time_sub and time_add against
 * libc's timegm (which rolls an overflowing day into the next month as
 * Go's AddDate does), and time_civil against gmtime_r. */
/* SPDX-License-Identifier: ISC */

#define _GNU_SOURCE		/* timegm; memfd_create, in fuzz.h */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/time.h"
#include "fuzz/fuzz.h"

/*
 * The input: eight bytes of a time t (little-endian, taken modulo
 * about 100000 years around the epoch), then the duration (up to a
 * NUL).
 */
#define DURMAX		1000000LL
#define SPAN		(100000LL * 366 * 86400)

/* time.h's grammar, read plainly: 0 with *d, or -1 with errno. */
static int
ref_parse(const char *s, struct duration *d)
{
	static const char *const units[] = { "y", "m", "w", "d", "h", "min",
	    "s" };
	long long v[7] = { 0 }, n;
	int last = -1, u, big = 0;
	size_t k;

	if (*s == '\0')
		goto inval;
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			goto inval;
		for (n = 0; *s >= '0' && *s <= '9'; s++)
			if ((n = n * 10 + (*s - '0')) > DURMAX)
				n = DURMAX + 1;
		big |= n > DURMAX;
		/* The longest unit that fits: "min" before "m". */
		for (u = -1, k = 0; k < 7; k++)
			if (strncmp(s, units[k], strlen(units[k])) == 0 &&
			    (u == -1 || strlen(units[k]) > strlen(units[u])))
				u = (int)k;
		if (u == -1 || u <= last)
			goto inval;
		s += strlen(units[u]);
		last = u;
		v[u] = n;
	}
	if (big) {
		errno = ERANGE;
		return -1;
	}
	d->years = v[0];
	d->months = v[1];
	d->days = 7 * v[2] + v[3];
	d->seconds = 3600 * v[4] + 60 * v[5] + v[6];
	return 0;
inval:
	errno = EINVAL;
	return -1;
}

static int
same(const struct duration *a, const struct duration *b)
{
	return a->years == b->years && a->months == b->months &&
	    a->days == b->days && a->seconds == b->seconds;
}

/* t minus (sign -1) or plus d as Go's AddDate and then the seconds,
 * by timegm; -1 when out of its range. */
static int
ref_shift(time_t t, const struct duration *d, int sign, time_t *out)
{
	struct tm tm;
	time_t r;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	tm.tm_year += (int)(sign * d->years);
	tm.tm_mon += (int)(sign * d->months);
	tm.tm_mday += (int)(sign * d->days);
	tm.tm_isdst = 0;
	errno = 0;
	if ((r = timegm(&tm)) == (time_t)-1 && errno != 0)
		return -1;
	*out = r + sign * d->seconds;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct duration d, r, back;
	struct tm a, b;
	char *s, canon[128];
	long long w, h, mi;
	int64_t raw = 0;
	time_t t, sub, add, ref, x;
	int rc, rrc, e;

	if (size < 8)
		return 0;
	memcpy(&raw, data, 8);
	t = (time_t)(raw % SPAN);
	s = fuzz_cstr(data + 8, size - 8);

	/* The parser, against the grammar. */
	memset(&d, 0x55, sizeof d);
	errno = 0;
	rc = time_parse_duration(s, &d);
	e = errno;
	rrc = ref_parse(s, &r);
	CHECK(rc == rrc);
	if (rc == -1) {
		CHECK(e == errno);
		free(s);
		return 0;
	}
	CHECK(same(&d, &r));
	CHECK(d.years >= 0 && d.months >= 0 && d.days >= 0 && d.seconds >= 0);

	/* The canonical form, where every part fits, parses back. */
	w = d.days / 7;
	h = d.seconds / 3600;
	mi = d.seconds % 3600 / 60;
	if (w <= DURMAX && h <= DURMAX) {
		snprintf(canon, sizeof canon, "%lldy%lldm%lldw%lldd%lldh%lldmin"
		    "%llds", (long long)d.years, (long long)d.months, w,
		    (long long)(d.days % 7), h, mi, (long long)(d.seconds %
		    60));
		CHECK(time_parse_duration(canon, &back) == 0 &&
		    same(&back, &d));
	}

	/* Back and forth in time: never the wrong way. */
	if (time_sub(t, &d, &sub) == 0)
		CHECK(sub <= t);
	else
		CHECK(errno == ERANGE);
	if (time_add(t, &d, &add) == 0)
		CHECK(add >= t);
	else
		CHECK(errno == ERANGE);
	/* Against timegm, within its range and ours. */
	if (ref_shift(t, &d, -1, &ref) == 0 && ref > -SPAN && ref < SPAN)
		CHECK(time_sub(t, &d, &x) == 0 && x == ref);
	if (ref_shift(t, &d, 1, &ref) == 0 && ref > -SPAN && ref < SPAN)
		CHECK(time_add(t, &d, &x) == 0 && x == ref);
	/* Days and seconds alone are exact: there and back. */
	if (d.years == 0 && d.months == 0 && time_sub(t, &d, &sub) == 0)
		CHECK(time_add(sub, &d, &x) == 0 && x == t &&
		    sub == t - d.days * 86400 - d.seconds);

	/* time_civil and time_epoch, against gmtime_r. */
	CHECK(time_civil(t, &a) == 0 && gmtime_r(&t, &b) != NULL);
	CHECK(a.tm_year == b.tm_year && a.tm_mon == b.tm_mon &&
	    a.tm_mday == b.tm_mday && a.tm_hour == b.tm_hour &&
	    a.tm_min == b.tm_min && a.tm_sec == b.tm_sec &&
	    a.tm_wday == b.tm_wday && a.tm_yday == b.tm_yday &&
	    a.tm_isdst == 0);
	CHECK(time_epoch(&a, &x) == 0 && x == t);
	free(s);
	return 0;
}
