/* pattern.c - fuzz snaprotate's --pattern: what compiles is what
 * snaprotate(1) allows; a name matches when, and only when, some way of
 * reading it with the pattern gives a valid date and time (checked by
 * trying every way, for patterns with few stars), and the time is one
 * of those; a name made from a pattern without stars and a time matches
 * with that time. */
/* SPDX-License-Identifier: ISC */

#define _GNU_SOURCE		/* timegm; memfd_create, in fuzz.h */

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "lib/time.h"
#include "bin/snaprotate/snaprotate.h"
#include "fuzz/fuzz.h"

/*
 * The input: the pattern, a NUL, the name (up to the next NUL); then,
 * if there are eight more bytes, a time for a name made from the
 * pattern.
 */
#define MAXSTARS	3	/* for trying every way */
#define MAXNAME		40

static int
width(char f)
{
	return f == 'Y' ? 4 : 2;
}

/* What snaprotate(1) says a pattern is: 0, or -1. */
static int
ref_compile(const char *pat, int *nstars)
{
	int seen[256] = { 0 }, ntok = 0;
	const char *c;

	*nstars = 0;
	if (*pat == '\0')
		return -1;
	for (c = pat; *c != '\0'; c++) {
		/* Too long: a character left when the tokens are full. */
		if (ntok == PAT_MAXTOK)
			return -1;
		if (*c == '/')
			return -1;
		if (*c == '*') {
			/* "**" is "*". */
			if (c == pat || c[-1] != '*') {
				ntok++;
				(*nstars)++;
			}
			continue;
		}
		ntok++;
		if (*c != '%')
			continue;
		c++;
		if (*c == '%')
			continue;
		if (*c == '\0' || strchr("YmdHMS", *c) == NULL ||
		    seen[(unsigned char)*c]++)
			return -1;
	}
	return seen['Y'] && seen['m'] && seen['d'] ? 0 : -1;
}

/* The fields read so far: Y m d H M S. */
struct fields {
	int	v[6];
};

static const char fieldletters[] = "YmdHMS";

/* Every way of reading name from pat: how many give a valid time; the
 * times in found[] (up to 64). */
static int
ref_match(const char *pat, const char *name, struct fields f, time_t *found,
    int *nfound)
{
	struct tm tm;
	const char *q;
	int k, w, i, v, n = 0;

	if (*pat == '\0') {
		if (*name != '\0')
			return 0;
		memset(&tm, 0, sizeof tm);
		if (f.v[1] < 1 || f.v[1] > 12 || f.v[2] < 1 || f.v[3] > 23 ||
		    f.v[4] > 59 || f.v[5] > 59)
			return 0;
		tm.tm_year = f.v[0] - 1900;
		tm.tm_mon = f.v[1] - 1;
		tm.tm_mday = f.v[2];
		tm.tm_hour = f.v[3];
		tm.tm_min = f.v[4];
		tm.tm_sec = f.v[5];
		/* No day 31 of a 30-day month, no February 29 in a
		 * common year: the day must stay in its month. */
		if (timegm(&tm) == -1 || tm.tm_mday != f.v[2])
			return 0;
		if (*nfound < 64)
			found[(*nfound)++] = timegm(&tm);
		return 1;
	}
	if (*pat == '*') {
		while (*pat == '*')
			pat++;
		for (q = name;; q++) {
			n += ref_match(pat, q, f, found, nfound);
			if (*q == '\0')
				break;
		}
		return n;
	}
	if (*pat == '%' && pat[1] != '%') {
		k = (int)(strchr(fieldletters, pat[1]) - fieldletters);
		w = width(pat[1]);
		for (v = 0, i = 0; i < w; i++) {
			if (name[i] < '0' || name[i] > '9')
				return 0;
			v = v * 10 + (name[i] - '0');
		}
		f.v[k] = v;
		return ref_match(pat + 2, name + w, f, found, nfound);
	}
	if (*pat == '%')
		pat++;
	if (*name != *pat)
		return 0;
	return ref_match(pat + 1, name + 1, f, found, nfound);
}

/* Whether a '*' comes between two of %Y, %m and %d. */
static int
date_split(const char *pat)
{
	const char *c;
	int seen = 0, star = 0;

	for (c = pat; *c != '\0'; c++) {
		if (*c == '*' && seen > 0)
			star = 1;
		if (*c != '%' || c[1] == '\0')
			continue;
		c++;
		if (*c == 'Y' || *c == 'm' || *c == 'd') {
			if (star)
				return 1;
			seen++;
		}
	}
	return 0;
}

/* The name pat makes for the civil time tm (no stars in pat). */
static void
make_name(const char *pat, const struct tm *tm, char *out, size_t size)
{
	size_t n = 0;
	int v;

	for (; *pat != '\0' && n + 5 < size; pat++) {
		if (*pat != '%') {
			out[n++] = *pat;
			continue;
		}
		pat++;
		switch (*pat) {
		case 'Y':
			n += (size_t)snprintf(out + n, size - n, "%04d",
			    tm->tm_year + 1900);
			continue;
		case 'm': v = tm->tm_mon + 1; break;
		case 'd': v = tm->tm_mday; break;
		case 'H': v = tm->tm_hour; break;
		case 'M': v = tm->tm_min; break;
		case 'S': v = tm->tm_sec; break;
		default: out[n++] = '%'; continue;
		}
		n += (size_t)snprintf(out + n, size - n, "%02d", v);
	}
	out[n] = '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pattern p;
	struct fields f;
	struct tm tm;
	const uint8_t *z;
	const char *why = NULL;
	char *pat, *name, made[PAT_MAXTOK * 4 + 8];
	time_t t = 7, found[64], when;
	int64_t raw;
	int rc, nstars, n, nfound = 0, i, ok;
	size_t rest;

	/* An empty input may come as NULL. */
	if (size == 0)
		data = (const uint8_t *)"";
	pat = fuzz_cstr(data, size);
	z = memchr(data, '\0', size);
	rest = z != NULL ? size - (size_t)(z + 1 - data) : 0;
	name = fuzz_cstr(z != NULL ? z + 1 : data, rest);

	rc = pattern_compile(&p, pat, &why);
	CHECK(rc == ref_compile(pat, &nstars));
	if (rc == -1) {
		CHECK(why != NULL);
		goto done;
	}
	CHECK(p.dotfirst == (pat[0] == '.'));

	/* Match, and every way of matching. */
	rc = pattern_match(&p, name, &t);
	CHECK(rc == 0 || rc == 1);
	if (rc == 0)
		CHECK(t == 7);
	if (nstars <= MAXSTARS && strlen(name) <= MAXNAME &&
	    strchr(name, '/') == NULL) {
		memset(&f, 0, sizeof f);
		n = name[0] == '.' && pat[0] != '.' ? 0 :
		    ref_match(pat, name, f, found, &nfound);
		/* Found only if there is a way; and (but where a '*' splits
		 * the date, see pattern_match) whenever there is one. */
		if (rc == 1)
			CHECK(n > 0);
		else if (!date_split(pat))
			CHECK(n == 0);
		if (rc == 1) {
			for (ok = 0, i = 0; i < nfound; i++)
				ok |= found[i] == t;
			CHECK(ok || nfound == 64);
		}
	}

	/* A name made from the pattern (stars and all) and a time. */
	z = z != NULL ? memchr(z + 1, '\0', size - (size_t)(z + 1 - data)) :
	    NULL;
	if (nstars == 0 && z != NULL && (size_t)(z + 1 - data) + 8 <= size) {
		memcpy(&raw, z + 1, 8);
		/* Years 0000-9999, without the fields the pattern lacks. */
		when = (time_t)((uint64_t)raw % (10000ULL * 365 * 86400)) -
		    62167219200LL;
		CHECK(gmtime_r(&when, &tm) != NULL);
		if (strstr(pat, "%H") == NULL)
			tm.tm_hour = 0;
		if (strstr(pat, "%M") == NULL)
			tm.tm_min = 0;
		if (strstr(pat, "%S") == NULL)
			tm.tm_sec = 0;
		make_name(pat, &tm, made, sizeof made);
		when = timegm(&tm);
		/* "%%H" is a percent and an H, not the hour. */
		if (strstr(pat, "%%") == NULL) {
			CHECK(pattern_match(&p, made, &t) == 1);
			CHECK(t == when);
		}
	}
done:
	free(pat);
	free(name);
	return 0;
}
