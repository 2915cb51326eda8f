/* policy.c - snaprotate: which snapshots the --keep-* rules keep, with
 * the semantics of restic's forget (0.16 and later). */
/* SPDX-License-Identifier: ISC */

#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/time.h"
#include "bin/snaprotate/snaprotate.h"

/* The calendar periods, in local time. */
enum period { P_HOUR, P_DAY, P_WEEK, P_MONTH, P_YEAR, NPERIODS };

static const char *const rulename[NRULES] = {
	"last", "hourly", "daily", "weekly", "monthly", "yearly",
	"within", "within-hourly", "within-daily", "within-weekly",
	"within-monthly", "within-yearly",
};

static int
cmpsnap(const void *a, const void *b)
{
	const struct snap *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return strcmp(x->name, y->name);
}

void
policy_sort(struct snap *s, size_t n)
{
	if (n > 1)
		qsort(s, n, sizeof(*s), cmpsnap);
}

/* Floor division, b > 0. */
static long long
fdiv(long long a, long long b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* The weekday of 31 December of year y, 0 for Sunday. */
static long long
dec31(long long y)
{
	long long p = y + fdiv(y, 4) - fdiv(y, 100) + fdiv(y, 400);

	return p - fdiv(p, 7) * 7;
}

/* ISO 8601 weeks in year y: 53 when it starts or (leap) ends on a
 * Thursday. */
static int
isoweeks(long long y)
{
	return dec31(y) == 4 || dec31(y - 1) == 3 ? 53 : 52;
}

/*
 * The ISO week of tm as YYYYWW of its ISO year: weeks start on Monday and
 * week 1 holds the year's first Thursday, so 2024-12-30 is 2025-W01 and
 * 2027-01-01 is 2026-W53.
 */
static long long
isoweek(const struct tm *tm)
{
	long long y = tm->tm_year + 1900LL;
	int wday = (tm->tm_wday + 6) % 7;	/* Monday 0 */
	int w = (tm->tm_yday - wday + 10) / 7;

	if (w < 1) {
		y--;
		w = isoweeks(y);
	} else if (w > isoweeks(y)) {
		y++;
		w = 1;
	}
	return y * 100 + w;
}

/* The period keys of t in local time, as restic computes them:
 * YYYYmmddHH, YYYYmmdd, ISO YYYYWW, YYYYmm, YYYY. */
static int
periods(time_t t, long long *k)
{
	struct tm tm;
	long long y;

	if (localtime_r(&t, &tm) == NULL)
		return -1;
	y = tm.tm_year + 1900LL;
	k[P_YEAR] = y;
	k[P_MONTH] = y * 100 + tm.tm_mon + 1;
	k[P_DAY] = k[P_MONTH] * 100 + tm.tm_mday;
	k[P_HOUR] = k[P_DAY] * 100 + tm.tm_hour;
	k[P_WEEK] = isoweek(&tm);
	return 0;
}

/*
 * The start of the window of d ending at latest: the calendar parts
 * subtracted from the local date (an overflowing day rolls into the next
 * month, as Go's AddDate does: 2024-03-31 minus 1m is 2024-03-02), then
 * the exact seconds.  -1 when it lies before any representable time (the
 * window then holds everything).
 */
static int
window_start(time_t latest, const struct duration *d, time_t *out)
{
	struct tm tm;
	time_t t;

	if (localtime_r(&latest, &tm) == NULL)
		return -1;
	/* Each part is at most 8000000 (time_parse_duration), so none of
	 * this overflows an int; mktime normalizes the fields. */
	tm.tm_year -= (int)d->years;
	tm.tm_mon -= (int)d->months;
	tm.tm_mday -= (int)d->days;
	tm.tm_isdst = -1;
	errno = 0;
	if ((t = mktime(&tm)) == (time_t)-1 && errno != 0)
		return -1;
	if ((long long)t < LLONG_MIN + d->seconds)
		return -1;
	*out = t - d->seconds;
	return 0;
}

void
policy_protect(struct snap *s, size_t n, time_t now)
{
	size_t i;

	if (n == 0)
		return;
	s[n - 1].flags |= S_NEWEST;
	for (i = n; i-- > 0; )
		if (s[i].t <= now) {
			s[i].flags |= S_NEWEST;
			break;
		}
}

int
policy_apply(struct snap *s, size_t n, const struct policy *p)
{
	const enum period per[NRULES] = {
		NPERIODS, P_HOUR, P_DAY, P_WEEK, P_MONTH, P_YEAR,
		NPERIODS, P_HOUR, P_DAY, P_WEEK, P_MONTH, P_YEAR,
	};
	long long left[NRULES], last[NRULES], *keys = NULL, val;
	unsigned kept[NRULES];
	int haslast[NRULES], inall[NRULES], needkeys = 0, haslatest = 0;
	time_t latest = 0, start[NRULES];
	size_t i, nr;
	int r, keep;

	if (n == 0)
		return 0;
	for (r = 0; r < NRULES; r++) {
		left[r] = r < NCOUNT ? p->count[r] : 0;
		haslast[r] = 0;
		last[r] = 0;
		kept[r] = 0;
		inall[r] = 0;
		start[r] = 0;
		/* (r < NRULES, the size of both; r < NCOUNT picks the
		 * rule's kind.) */
		/* cppcheck-suppress arrayIndexThenCheck */
		if (per[r] != NPERIODS && (r < NCOUNT ? left[r] != 0 :
		    p->haswithin[r - NCOUNT]))
			needkeys = 1;
	}
	if (needkeys) {
		if ((keys = reallocarray(NULL, n, NPERIODS * sizeof(*keys))) ==
		    NULL)
			return -1;
		for (i = 0; i < n; i++)
			if (periods(s[i].t, keys + i * NPERIODS) == -1) {
				free(keys);
				errno = EOVERFLOW;
				return -1;
			}
	}

	/* The windows end at the newest snapshot not in the future; when
	 * every snapshot is in the future, they hold everything. */
	for (i = n; i-- > 0; )
		if (s[i].t <= p->now) {
			latest = s[i].t;
			haslatest = 1;
			break;
		}
	for (r = NCOUNT; r < NRULES; r++)
		if (p->haswithin[r - NCOUNT] && (!haslatest ||
		    window_start(latest, &p->within[r - NCOUNT],
		    &start[r]) == -1))
			inall[r] = 1;

	/* Newest first; each rule is a counter of its own. */
	for (i = n; i-- > 0; ) {
		nr = n - 1 - i;
		keep = 0;
		for (r = 0; r < NCOUNT; r++) {
			if (left[r] == 0)
				continue;
			val = r == R_LAST ? (long long)nr :
			    keys[i * NPERIODS + per[r]];
			if (!haslast[r] || val != last[r])
				s[i].rank[r] = ++kept[r];
			else if (i == 0)
				/* A counter still unspent keeps the oldest
				 * too (restic 0.16, #3624). */
				s[i].flags |= S_OLDEST;
			else
				continue;
			haslast[r] = 1;
			last[r] = val;
			if (left[r] > 0)
				left[r]--;
			keep = 1;
		}
		for (r = NCOUNT; r < NRULES; r++) {
			if (!p->haswithin[r - NCOUNT] ||
			    (!inall[r] && s[i].t <= start[r]))
				continue;
			if (r == R_WITHIN) {
				s[i].rank[r] = ++kept[r];
				keep = 1;
				continue;
			}
			val = keys[i * NPERIODS + per[r]];
			if (haslast[r] && val == last[r])
				continue;
			s[i].rank[r] = ++kept[r];
			haslast[r] = 1;
			last[r] = val;
			keep = 1;
		}
		if (!keep && !PROTECTED(&s[i]))
			s[i].flags |= S_REMOVE;
	}
	free(keys);
	return 0;
}

void
policy_reasons(FILE *fp, const struct snap *s)
{
	const char *sep = "";
	int r;

	for (r = 0; r < NRULES; r++) {
		if (s->rank[r] == 0)
			continue;
		if (r == R_WITHIN)
			fprintf(fp, "%s%s", sep, rulename[r]);
		else
			fprintf(fp, "%s%s#%u", sep, rulename[r], s->rank[r]);
		sep = ",";
	}
	if (s->flags & S_OLDEST) {
		fprintf(fp, "%soldest", sep);
		sep = ",";
	}
	if (s->flags & S_LATEST) {
		fprintf(fp, "%slatest", sep);
		sep = ",";
	}
	if (s->flags & S_NEWEST)
		fprintf(fp, "%snewest", sep);
}
