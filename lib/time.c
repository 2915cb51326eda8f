/* time.c - durations, calendar arithmetic, UTC stamps, --now. */
/* SPDX-License-Identifier: ISC */

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include "lib/time.h"

#define DAYSEC		86400LL
#define DURMAX		1000000LL	/* the largest number in a duration */

/*
 * Every conversion here is our own arithmetic on long long, so that results
 * depend neither on TZ, the locale nor files under /etc, and every overflow
 * is caught.  A time is supported when its civil year fits tm_year.
 */
#define YEARMIN		((long long)INT_MIN + 1900)
#define YEARMAX		((long long)INT_MAX + 1900)
/* Calendar parts are checked against this before any day arithmetic. */
#define YEARLIMIT	1000000000000LL

static int
isdig(int c)
{
	return c >= '0' && c <= '9';
}

static int
add_ll(long long a, long long b, long long *r)
{
	if ((b > 0 && a > LLONG_MAX - b) || (b < 0 && a < LLONG_MIN - b))
		return -1;
	*r = a + b;
	return 0;
}

static int
sub_ll(long long a, long long b, long long *r)
{
	if ((b < 0 && a > LLONG_MAX + b) || (b > 0 && a < LLONG_MIN + b))
		return -1;
	*r = a - b;
	return 0;
}

static int
mul_ll(long long a, long long b, long long *r)
{
	if (a != 0 && b != 0) {
		if (a > 0 ? (b > 0 ? a > LLONG_MAX / b : b < LLONG_MIN / a) :
		    (b > 0 ? a < LLONG_MIN / b : a < LLONG_MAX / b))
			return -1;
	}
	*r = a * b;
	return 0;
}

/* Floor division and its non-negative remainder, b > 0. */
static long long
fdiv(long long a, long long b)
{
	return a / b - (a % b < 0);
}

static long long
fmod_ll(long long a, long long b)
{
	long long m = a % b;

	return m < 0 ? m + b : m;
}

/*
 * Days since 1970-01-01 of the proleptic Gregorian date y-m-d (Howard
 * Hinnant's days_from_civil).  m is 1..12; d may be any value, counted
 * from the first of the month, which is how overflowing days roll over.
 * |y| <= YEARLIMIT and |d| <= YEARLIMIT keep every product in range.
 */
static long long
days_from_civil(long long y, long long m, long long d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = fdiv(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468 + (d - 1);
}

/* The inverse, for |z| <= about 1e17 (Hinnant's civil_from_days). */
static void
civil_from_days(long long z, long long *y, int *m, int *d)
{
	long long era, doe, yoe, doy, mp;

	z += 719468;
	era = fdiv(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
isleap(long long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
mdays(long long y, int m)
{
	static const int n[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && isleap(y) ? 29 : n[m - 1];
}

/* Whether t is a supported time_t: it fits and its year fits tm_year. */
static int
range_ok(long long t)
{
	long long y;
	int m, d;

	if ((long long)(time_t)t != t)
		return 0;
	civil_from_days(fdiv(t, DAYSEC), &y, &m, &d);
	return y >= YEARMIN && y <= YEARMAX;
}

int
time_civil(time_t t, struct tm *tm)
{
	long long days, sod, y;
	int m, d;

	if (!range_ok(t)) {
		errno = ERANGE;
		return -1;
	}
	days = fdiv(t, DAYSEC);
	sod = fmod_ll(t, DAYSEC);
	civil_from_days(days, &y, &m, &d);
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = (int)(y - 1900);
	tm->tm_mon = m - 1;
	tm->tm_mday = d;
	tm->tm_hour = (int)(sod / 3600);
	tm->tm_min = (int)(sod / 60 % 60);
	tm->tm_sec = (int)(sod % 60);
	/* 1970-01-01 was a Thursday. */
	tm->tm_wday = (int)fmod_ll(days + 4, 7);
	tm->tm_yday = (int)(days - days_from_civil(y, 1, 1));
	tm->tm_isdst = 0;
	return 0;
}

int
time_epoch(const struct tm *tm, time_t *out)
{
	long long y, mon, days, t;

	/* With int fields none of this can overflow a long long. */
	y = (long long)tm->tm_year + 1900 + fdiv(tm->tm_mon, 12);
	mon = fmod_ll(tm->tm_mon, 12) + 1;
	days = days_from_civil(y, mon, tm->tm_mday);
	t = days * DAYSEC + (long long)tm->tm_hour * 3600 +
	    (long long)tm->tm_min * 60 + tm->tm_sec;
	if (!range_ok(t)) {
		errno = ERANGE;
		return -1;
	}
	*out = (time_t)t;
	return 0;
}

/* t plus sign times d, sign 1 or -1, calendar parts first. */
static int
shift(time_t t, const struct duration *d, int sign, time_t *out)
{
	long long days, sod, y, mon, cal, r;
	int m, day;

	if (!range_ok(t))
		goto range;
	days = fdiv(t, DAYSEC);
	sod = fmod_ll(t, DAYSEC);
	civil_from_days(days, &y, &m, &day);

	/* Months since year 0, moved by the years and months. */
	if (mul_ll(d->years, 12, &cal) == -1 ||
	    add_ll(cal, d->months, &cal) == -1 ||
	    mul_ll(cal, sign, &cal) == -1)
		goto range;
	mon = y * 12 + (m - 1);
	if (add_ll(mon, cal, &mon) == -1)
		goto range;
	y = fdiv(mon, 12);
	if (y < -YEARLIMIT || y > YEARLIMIT ||
	    d->days < -YEARLIMIT || d->days > YEARLIMIT)
		goto range;
	/* The day of month is kept; day 31 of a short month rolls over. */
	days = days_from_civil(y, fmod_ll(mon, 12) + 1, day) + sign * d->days;

	if (mul_ll(days, DAYSEC, &r) == -1 ||
	    add_ll(r, sod, &r) == -1)
		goto range;
	if (sign > 0 ? add_ll(r, d->seconds, &r) == -1 :
	    sub_ll(r, d->seconds, &r) == -1)
		goto range;
	if (!range_ok(r))
		goto range;
	*out = (time_t)r;
	return 0;
range:
	errno = ERANGE;
	return -1;
}

int
time_sub(time_t t, const struct duration *d, time_t *out)
{
	return shift(t, d, -1, out);
}

int
time_add(time_t t, const struct duration *d, time_t *out)
{
	return shift(t, d, 1, out);
}

int
time_parse_duration(const char *s, struct duration *d)
{
	/* In the order they must appear; "min" is tested before "m". */
	enum { Y, MO, W, D, H, MIN, S, NUNITS };
	long long v[NUNITS] = { 0 };
	int unit, last = -1, big = 0;
	long long n;
	const char *p = s;

	if (*p == '\0')
		goto inval;
	while (*p != '\0') {
		if (!isdig((unsigned char)*p))
			goto inval;
		for (n = 0; isdig((unsigned char)*p); p++) {
			if (n <= DURMAX)
				n = n * 10 + (*p - '0');
		}
		if (n > DURMAX)
			big = 1;
		switch (*p) {
		case 'y':
			unit = Y;
			break;
		case 'm':
			if (p[1] == 'i' && p[2] == 'n') {
				unit = MIN;
				p += 2;
			} else
				unit = MO;
			break;
		case 'w':
			unit = W;
			break;
		case 'd':
			unit = D;
			break;
		case 'h':
			unit = H;
			break;
		case 's':
			unit = S;
			break;
		default:
			goto inval;
		}
		p++;
		if (unit <= last)
			goto inval;
		last = unit;
		v[unit] = n;
	}
	if (big) {
		errno = ERANGE;
		return -1;
	}
	d->years = v[Y];
	d->months = v[MO];
	d->days = v[W] * 7 + v[D];
	d->seconds = v[H] * 3600 + v[MIN] * 60 + v[S];
	return 0;
inval:
	errno = EINVAL;
	return -1;
}

/* Write v as exactly w decimal digits, 0 <= v < 10^w. */
static char *
putnum(char *p, long long v, int w)
{
	int i;

	for (i = w - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + w;
}

/* The civil time of t, its year restricted to 0000-9999. */
static int
civil4(time_t t, struct tm *tm)
{
	if (time_civil(t, tm) == -1)
		return -1;
	if (tm->tm_year < -1900 || tm->tm_year > 9999 - 1900) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

int
time_stamp(time_t t, char *buf)
{
	struct tm tm;
	char *p = buf;

	if (civil4(t, &tm) == -1)
		return -1;
	p = putnum(p, tm.tm_year + 1900LL, 4);
	p = putnum(p, tm.tm_mon + 1, 2);
	p = putnum(p, tm.tm_mday, 2);
	*p++ = '_';
	p = putnum(p, tm.tm_hour, 2);
	p = putnum(p, tm.tm_min, 2);
	p = putnum(p, tm.tm_sec, 2);
	*p = '\0';
	return 0;
}

int
time_rfc3339(time_t t, long usec, char *buf)
{
	struct tm tm;
	char *p = buf;

	if (usec > 999999) {
		errno = EINVAL;
		return -1;
	}
	if (civil4(t, &tm) == -1)
		return -1;
	p = putnum(p, tm.tm_year + 1900LL, 4);
	*p++ = '-';
	p = putnum(p, tm.tm_mon + 1, 2);
	*p++ = '-';
	p = putnum(p, tm.tm_mday, 2);
	*p++ = 'T';
	p = putnum(p, tm.tm_hour, 2);
	*p++ = ':';
	p = putnum(p, tm.tm_min, 2);
	*p++ = ':';
	p = putnum(p, tm.tm_sec, 2);
	if (usec >= 0) {
		*p++ = '.';
		p = putnum(p, usec, 6);
	}
	*p++ = 'Z';
	*p = '\0';
	return 0;
}

/* The value of n digits at s, or -1 if they are not all digits. */
static int
digits(const char *s, int n)
{
	int v = 0;

	while (n-- > 0) {
		if (!isdig((unsigned char)*s))
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

/* Seconds since the epoch of a validated civil date and time. */
static int
civil_time(int y, int mo, int d, int h, int mi, int s, long long *t)
{
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > mdays(y, mo) ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59)
		return -1;
	*t = days_from_civil(y, mo, d) * DAYSEC + h * 3600LL + mi * 60 + s;
	return 0;
}

/* Parse the 15 characters at s as YYYYmmdd_HHMMSS; no terminator test. */
static int
stamp15(const char *s, long long *t)
{
	if (s[8] != '_')
		return -1;
	return civil_time(digits(s, 4), digits(s + 4, 2), digits(s + 6, 2),
	    digits(s + 9, 2), digits(s + 11, 2), digits(s + 13, 2), t);
}

int
time_parse_stamp(const char *s, time_t *out)
{
	long long t;

	if (strnlen(s, 16) != 15 || stamp15(s, &t) == -1) {
		errno = EINVAL;
		return -1;
	}
	*out = (time_t)t;
	return 0;
}

int
time_find_stamp(const char *name, time_t *out)
{
	size_t len = strlen(name), i;
	long long t;

	if (len < 15)
		goto none;
	for (i = len - 15 + 1; i-- > 0; ) {
		if (i > INT_MAX)
			continue;
		if (i > 0 && isdig((unsigned char)name[i - 1]))
			continue;
		if (isdig((unsigned char)name[i + 15]))
			continue;
		if (stamp15(name + i, &t) == 0) {
			*out = (time_t)t;
			return (int)i;
		}
	}
none:
	errno = EINVAL;
	return -1;
}

/* @SECONDS: an optional minus and decimal digits. */
static int
parse_epoch(const char *s, time_t *out)
{
	long long t = 0;
	int neg = 0;

	if (*s == '-') {
		neg = 1;
		s++;
	}
	if (*s == '\0')
		goto inval;
	for (; *s != '\0'; s++) {
		if (!isdig((unsigned char)*s))
			goto inval;
		/* Accumulate negatively so that LLONG_MIN fits. */
		if (mul_ll(t, 10, &t) == -1 || sub_ll(t, *s - '0', &t) == -1)
			goto range;
	}
	if (!neg && sub_ll(0, t, &t) == -1)
		goto range;
	if (!range_ok(t))
		goto range;
	*out = (time_t)t;
	return 0;
range:
	/* A malformed tail is still malformed. */
	for (; *s != '\0'; s++)
		if (!isdig((unsigned char)*s))
			goto inval;
	errno = ERANGE;
	return -1;
inval:
	errno = EINVAL;
	return -1;
}

int
time_parse_now(const char *s, time_t *out)
{
	long long t, off = 0;
	int h, m, sign;

	if (s[0] == '@')
		return parse_epoch(s + 1, out);
	if (strnlen(s, 16) == 15 && s[8] == '_')
		return time_parse_stamp(s, out);

	/* YYYY-mm-dd, then optionally [Tt ]HH:MM:SS[.frac](Z|+hh:mm|+hhmm) */
	if (strnlen(s, 10) < 10 || s[4] != '-' || s[7] != '-')
		goto inval;
	if (s[10] == '\0') {
		if (civil_time(digits(s, 4), digits(s + 5, 2),
		    digits(s + 8, 2), 0, 0, 0, &t) == -1)
			goto inval;
		*out = (time_t)t;
		return 0;
	}
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		goto inval;
	if (strnlen(s, 19) < 19 || s[13] != ':' || s[16] != ':')
		goto inval;
	if (civil_time(digits(s, 4), digits(s + 5, 2), digits(s + 8, 2),
	    digits(s + 11, 2), digits(s + 14, 2), digits(s + 17, 2), &t) == -1)
		goto inval;
	s += 19;
	if (*s == '.') {
		/* A fraction of a second is truncated. */
		if (!isdig((unsigned char)*++s))
			goto inval;
		while (isdig((unsigned char)*s))
			s++;
	}
	if ((*s == 'Z' || *s == 'z') && s[1] == '\0')
		;
	else if (*s == '+' || *s == '-') {
		sign = *s++ == '+' ? 1 : -1;
		if ((h = digits(s, 2)) == -1)
			goto inval;
		s += 2;
		if (*s == ':')
			s++;
		if ((m = digits(s, 2)) == -1 || s[2] != '\0' ||
		    h > 23 || m > 59)
			goto inval;
		off = sign * (h * 3600LL + m * 60);
	} else
		goto inval;
	/* Local time minus its offset is UTC. */
	*out = (time_t)(t - off);
	return 0;
inval:
	errno = EINVAL;
	return -1;
}
