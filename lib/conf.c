/* conf.c - line-oriented configuration reader and bounded number parsers. */
/* SPDX-License-Identifier: ISC */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "lib/conf.h"

int
conf_open(struct conf *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	c->path = path;
	if ((c->fp = fopen(path, "re")) == NULL)
		return -1;
	return 0;
}

/*
 * Read one physical line into c->buf without its newline.  Returns 1 with a
 * line, 0 at end of file, -1 with c->reason set.  A bad line is read to its
 * end, so that the next call starts on the next line.
 */
static int
readline(struct conf *c)
{
	size_t n = 0;
	int ch, got, toolong = 0, nul = 0;

	flockfile(c->fp);
	ch = getc_unlocked(c->fp);
	if ((got = ch != EOF))
		c->line++;
	for (; ch != EOF && ch != '\n'; ch = getc_unlocked(c->fp)) {
		/* The first problem found is the one reported. */
		if (ch == '\0') {
			if (!toolong)
				nul = 1;
		} else if (n < CONF_MAXLINE)
			c->buf[n++] = (char)ch;
		else
			toolong = 1;
	}
	funlockfile(c->fp);
	c->buf[n] = '\0';
	if (ferror(c->fp)) {
		c->reason = "read error";
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	if (nul || toolong) {
		c->reason = nul ? "NUL byte in line" : "line too long";
		errno = EINVAL;
		return -1;
	}
	return got;
}

int
conf_next(struct conf *c)
{
	char *p;
	int r;

	c->nfields = 0;
	c->reason = NULL;
	if (c->fp == NULL) {
		c->reason = "not open";
		errno = EBADF;
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((r = readline(c)) <= 0)
			return r;
		/* A comment runs from any '#' to the end of the line. */
		if ((p = strchr(c->buf, '#')) != NULL)
			*p = '\0';
		for (p = c->buf;;) {
			p += strspn(p, " \t");
			if (*p == '\0')
				break;
			if (c->nfields == CONF_MAXFIELDS) {
				c->nfields = 0;
				c->reason = "too many fields (at most 16)";
				errno = EINVAL;
				return -1;
			}
			c->fields[c->nfields++] = p;
			p += strcspn(p, " \t");
			if (*p != '\0')
				*p++ = '\0';
		}
		if (c->nfields > 0)
			return c->nfields;
	}
}

void
conf_close(struct conf *c)
{
	int saved = errno;

	if (c->fp != NULL)
		fclose(c->fp);
	c->fp = NULL;
	errno = saved;
}

/*
 * The digits at s, up to the first non-digit, into *out; *end is set past
 * them.  -1 with EINVAL if there is none, ERANGE on overflow (all the
 * digits are still consumed).
 */
static int
digits(const char *s, const char **end, unsigned long long *out)
{
	unsigned long long v = 0, d;
	int over = 0;

	if (*s < '0' || *s > '9') {
		errno = EINVAL;
		return -1;
	}
	for (; *s >= '0' && *s <= '9'; s++) {
		d = (unsigned long long)(*s - '0');
		if (v > (ULLONG_MAX - d) / 10)
			over = 1;
		else
			v = v * 10 + d;
	}
	*end = s;
	if (over) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

int
conf_number(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long v;
	const char *end = s;

	if (digits(s, &end, &v) == -1) {
		/* Garbage after an overflowing number is still garbage. */
		if (errno == ERANGE && *end != '\0')
			errno = EINVAL;
		return -1;
	}
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

int
conf_size(const char *s, unsigned long long *out)
{
	unsigned long long v = 0;
	const char *end = s;
	int shift, r;

	r = digits(s, &end, &v);
	if (r == -1 && errno == EINVAL)
		return -1;
	switch (*end) {
	case '\0':
	case 'B':
		shift = 0;
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	default:
		goto inval;
	}
	if (*end == 'B')
		end++;
	else if (*end != '\0') {
		end++;
		if (end[0] == 'B')
			end++;
		else if (end[0] == 'i' && end[1] == 'B')
			end += 2;
	}
	if (*end != '\0')
		goto inval;
	if (r == -1 || v > ULLONG_MAX >> shift) {
		errno = ERANGE;
		return -1;
	}
	*out = v << shift;
	return 0;
inval:
	errno = EINVAL;
	return -1;
}
