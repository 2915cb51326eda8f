/* stamp.c - timestamps found in file names and in record fields. */
/* SPDX-License-Identifier: ISC */

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include "lib/stamp.h"
#include "lib/time.h"


static int
isdig(int c)
{
	return c >= '0' && c <= '9';
}

/* The value of n digits at s[0 .. left - 1], or -1. */
static int
num(const char *s, size_t left, size_t n)
{
	int v = 0;
	size_t i;

	if (left < n)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdig((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Seconds since the epoch of a civil UTC time, checked; -1 if invalid. */
static int
civil(int y, int mo, int d, int h, int mi, int s, time_t *out)
{
	static const int mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	struct tm tm;

	if (y < 0 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap(y)) ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return time_epoch(&tm, out);
}

/*
 * The longest form that begins at s[0 .. n - 1]; its length, or 0 when
 * none does.  The caller checks what comes before and after it.
 */
static size_t
form(const char *s, size_t n, time_t *out)
{
	int y, mo, d, h, mi, sec, oh, om, sign;
	size_t i, off;

	if ((y = num(s, n, 4)) == -1)
		return 0;
	if (n >= 10 && s[4] == '-' && s[7] == '-') {
		if ((mo = num(s + 5, n - 5, 2)) == -1 ||
		    (d = num(s + 8, n - 8, 2)) == -1)
			return 0;
		/* With a time of day, if one follows that is valid. */
		if (n >= 19 && (s[10] == 'T' || s[10] == 't' ||
		    s[10] == ' ') && s[13] == ':' && s[16] == ':' &&
		    (h = num(s + 11, n - 11, 2)) != -1 &&
		    (mi = num(s + 14, n - 14, 2)) != -1 &&
		    (sec = num(s + 17, n - 17, 2)) != -1 &&
		    civil(y, mo, d, h, mi, sec, out) == 0) {
			i = 19;
			if (i + 1 < n && s[i] == '.' && isdig((unsigned char)
			    s[i + 1]))
				for (i++; i < n && isdig((unsigned char)s[i]);)
					i++;
			if (i < n && (s[i] == 'Z' || s[i] == 'z'))
				return i + 1;
			if (i < n && (s[i] == '+' || s[i] == '-')) {
				sign = s[i] == '+' ? 1 : -1;
				off = 5;		/* +hhmm */
				if (i + 3 < n && s[i + 3] == ':')
					off = 6;	/* +hh:mm */
				/* (Not past the end: "-9" is no offset.) */
				oh = om = -1;
				if (i + off <= n) {
					oh = num(s + i + 1, n - i - 1, 2);
					om = num(s + i + off - 2,
					    n - i - off + 2, 2);
				}
				if (oh != -1 && om != -1 && oh <= 23 &&
				    om <= 59) {
					/* Local time minus its offset. */
					*out -= sign * (oh * 3600L + om * 60L);
					return i + off;
				}
			}
			return i;
		}
		if (civil(y, mo, d, 0, 0, 0, out) == -1)
			return 0;
		return 10;
	}
	if ((mo = num(s + 4, n - 4, 2)) == -1 ||
	    (d = num(s + 6, n - 6, 2)) == -1)
		return 0;
	if (n >= 15 && s[8] == '_' && (h = num(s + 9, n - 9, 2)) != -1 &&
	    (mi = num(s + 11, n - 11, 2)) != -1 &&
	    (sec = num(s + 13, n - 13, 2)) != -1 &&
	    (n == 15 || !isdig((unsigned char)s[15])) &&
	    civil(y, mo, d, h, mi, sec, out) == 0)
		return 15;
	if (civil(y, mo, d, 0, 0, 0, out) == -1)
		return 0;
	return 8;
}

long
stamp_find(const char *name, size_t len, time_t *out)
{
	size_t i, n;
	time_t t;

	for (i = len; i-- > 0; ) {
		if (!isdig((unsigned char)name[i]))
			continue;
		if (i > 0 && isdig((unsigned char)name[i - 1]))
			continue;
		if ((n = form(name + i, len - i, &t)) == 0)
			continue;
		if (i + n < len && isdig((unsigned char)name[i + n]))
			continue;
		*out = t;
		return (long)i;
	}
	errno = EINVAL;
	return -1;
}

/* Seconds since the epoch, "-"? digits ("." digits*)?, whole. */
static int
epoch(const char *s, size_t len, time_t *out)
{
	long long v = 0;
	size_t i = 0, ndig = 0;
	struct tm tm;
	int neg = 0;

	if (i < len && s[i] == '-') {
		neg = 1;
		i++;
	}
	for (; i < len && isdig((unsigned char)s[i]); i++) {
		if (v > (LLONG_MAX - (s[i] - '0')) / 10)
			goto range;
		v = v * 10 + (s[i] - '0');
		ndig++;
	}
	if (ndig == 0)
		goto inval;
	if (i < len && s[i] == '.')
		for (i++; i < len && isdig((unsigned char)s[i]); i++)
			;
	if (i != len)
		goto inval;
	if (neg)
		v = -v;
	if ((long long)(time_t)v != v || time_civil((time_t)v, &tm) == -1)
		goto range;
	*out = (time_t)v;
	return 0;
range:
	for (; i < len; i++)
		if (!isdig((unsigned char)s[i]) && s[i] != '.')
			goto inval;
	errno = ERANGE;
	return -1;
inval:
	errno = EINVAL;
	return -1;
}

int
stamp_parse(const char *s, size_t len, time_t *out)
{
	time_t t;
	size_t n;

	/* A date begins with four digits and a dash; anything else that
	 * begins with a digit or a minus is seconds. */
	if (len >= 5 && s[4] == '-' && isdig((unsigned char)s[0])) {
		n = form(s, len, &t);
		if (n == len) {
			*out = t;
			return 0;
		}
		errno = EINVAL;
		return -1;
	}
	return epoch(s, len, out);
}
