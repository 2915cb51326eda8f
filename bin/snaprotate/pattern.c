/* pattern.c - snaprotate: names with strftime-style time fields. */
/* SPDX-License-Identifier: ISC */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/time.h"
#include "bin/snaprotate/snaprotate.h"

/* The fields, their widths, their place in a YYYYmmdd_HHMMSS stamp and
 * their range (the day is checked against its month once the date is
 * read whole). */
static const struct {
	char	f;
	int	width;
	int	at;
	int	min, max;
} fields[] = {
	{ 'Y', 4, 0, 0, 9999 }, { 'm', 2, 4, 1, 12 }, { 'd', 2, 6, 1, 31 },
	{ 'H', 2, 9, 0, 23 }, { 'M', 2, 11, 0, 59 }, { 'S', 2, 13, 0, 59 },
};
#define NFIELDS	(sizeof(fields) / sizeof(fields[0]))

static int
field(char f)
{
	size_t i;

	for (i = 0; i < NFIELDS; i++)
		if (fields[i].f == f)
			return (int)i;
	return -1;
}

int
pattern_compile(struct pattern *p, const char *pat, const char **why)
{
	int seen[NFIELDS] = { 0 };
	const char *c;
	int f;

	memset(p, 0, sizeof(*p));
	if (*pat == '\0') {
		*why = "empty pattern";
		return -1;
	}
	p->dotfirst = pat[0] == '.';
	for (c = pat; *c != '\0'; c++) {
		if (p->ntok == PAT_MAXTOK) {
			*why = "too long";
			return -1;
		}
		if (*c == '/') {
			*why = "a name, not a path: no '/'";
			return -1;
		}
		if (*c == '*') {
			/* "**" is "*". */
			if (p->ntok == 0 || p->tok[p->ntok - 1].type != '*')
				p->tok[p->ntok++].type = '*';
			continue;
		}
		if (*c != '%') {
			p->tok[p->ntok].type = 'c';
			p->tok[p->ntok++].c = *c;
			continue;
		}
		c++;
		if (*c == '%') {
			p->tok[p->ntok].type = 'c';
			p->tok[p->ntok++].c = '%';
			continue;
		}
		if ((f = field(*c)) == -1) {
			*why = "unknown field "
			    "(want %Y %m %d %H %M %S, %% or *)";
			return -1;
		}
		if (seen[f]++) {
			*why = "a field given twice";
			return -1;
		}
		p->tok[p->ntok++].type = *c;
	}
	if (!seen[0] || !seen[1] || !seen[2]) {
		*why = "needs at least %Y, %m and %d";
		return -1;
	}
	return 0;
}

/* Whether the token matches at s (which may end early): a field, with
 * a value in its range; copies a matching field's digits into stamp. */
static int
tokmatch(const struct pattok *tk, const char *s, char *stamp, size_t *len)
{
	int f, i, v = 0;

	if (tk->type == 'c') {
		*len = 1;
		return *s == tk->c;
	}
	f = field(tk->type);
	for (i = 0; i < fields[f].width; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	if (v < fields[f].min || v > fields[f].max)
		return 0;
	memcpy(stamp + fields[f].at, s, fields[f].width);
	*len = (size_t)fields[f].width;
	return 1;
}

/*
 * Match with the usual single-backtrack wildcard algorithm: a '*' first
 * takes as little as it can and grows only when the rest fails, so the
 * cost is bounded by the product of the name's and the pattern's
 * lengths.  Digits that only look like a date or time are no match: a
 * field out of its range fails where it is read, and so does the date
 * at the token that completes it, if the day is not in its month.  Then
 * the match of the stretch between two '*' depends on that stretch of
 * the name alone, which is what makes growing only the last '*' enough:
 * a name matches if any reading of it has a valid time (when %Y, %m and
 * %d are split by a '*', the day is checked against the month they were
 * read with first).
 */
int
pattern_match(const struct pattern *p, const char *name, time_t *t)
{
	char stamp[TIME_STAMPLEN] = "00000000_000000";
	size_t ti = 0, ni = 0, sti = 0, sni = 0, len, datetok = 0, i;
	int star = 0;
	time_t when;

	if (name[0] == '.' && !p->dotfirst)
		return 0;
	for (i = 0; i < p->ntok; i++)
		if (p->tok[i].type == 'Y' || p->tok[i].type == 'm' ||
		    p->tok[i].type == 'd')
			datetok = i;
	for (;;) {
		if (ti < p->ntok && p->tok[ti].type == '*') {
			star = 1;
			sti = ++ti;
			sni = ni;
			continue;
		}
		if (ti == p->ntok) {
			if (name[ni] == '\0' && time_parse_stamp(stamp, t) == 0)
				return 1;
		} else if (tokmatch(&p->tok[ti], name + ni, stamp, &len) &&
		    (ti != datetok || time_parse_stamp(stamp, &when) == 0)) {
			ti++;
			ni += len;
			continue;
		}
		if (!star || name[sni] == '\0')
			return 0;
		ni = ++sni;
		ti = sti;
	}
}
