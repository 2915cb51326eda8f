/* jsonl.c - pii-hash for JSON Lines: a strict check of each line as one
 * JSON object (RFC 8259), and the line copied with its selected
 * top-level members replaced or removed. */
/* SPDX-License-Identifier: ISC */

#include <err.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "bin/pii-hash/pii-hash.h"

#define LINE_BUF	(256 * 1024)
#define LINE_READMIN	(64 * 1024)
#define MAX_DEPTH	512

enum { T_STRING, T_NUMBER, T_NULL, T_OTHER };

/* A top-level member: offsets in the line, and for a selected one its
 * value decoded (strings) at dec[doff]. */
struct member {
	size_t			 kstart, vstart, vend;
	const struct column	*col;
	int			 type;
	size_t			 doff, dlen;
};

struct scan {
	const unsigned char	*s, *p, *end;
	const char		*why;
	char			*dec;		/* decoded strings */
	size_t			 dlen, dcap;
	struct member		*m;
	size_t			 nm, mcap;
};

/* The line reader: lines of any length in a growing buffer. */
struct lines {
	int	 fd;
	char	*buf;
	size_t	 cap, start, end, scan;
	int	 eof;
};

static void *
xreallocarray(void *p, size_t n, size_t size)
{
	if ((p = reallocarray(p, n, size)) == NULL)
		err(EXIT_FAIL, "out of memory");
	return p;
}

/* The next line, without its LF (*eol 1) or at the end of input without
 * one (*eol 0).  1, 0 at the end, -1 on a read error. */
static int
line_next(struct lines *l, const char **p, size_t *len, size_t *eol)
{
	char *nl;
	ssize_t n;

	for (;;) {
		nl = memchr(l->buf + l->scan, '\n', l->end - l->scan);
		if (nl != NULL || (l->eof && l->start < l->end)) {
			*p = l->buf + l->start;
			*len = (nl != NULL ? nl : l->buf + l->end) - *p;
			*eol = nl != NULL;
			l->start = l->scan = *p + *len + *eol - l->buf;
			return 1;
		}
		if (l->eof)
			return 0;
		l->scan = l->end;
		if (l->cap - l->end < LINE_READMIN && l->start > 0) {
			memmove(l->buf, l->buf + l->start, l->end - l->start);
			l->end -= l->start;
			l->scan -= l->start;
			l->start = 0;
		}
		if (l->cap - l->end < LINE_READMIN) {
			if (l->cap > SIZE_MAX / 2)
				errx(EXIT_FAIL, "out of memory");
			l->buf = xreallocarray(l->buf, l->cap, 2);
			l->cap *= 2;
		}
		do
			n = read(l->fd, l->buf + l->end, l->cap - l->end);
		while (n == -1 && errno == EINTR);
		if (n == -1)
			return -1;
		if (n == 0)
			l->eof = 1;
		l->end += (size_t)n;
	}
}

static int
bad(struct scan *j, const char *why)
{
	j->why = why;
	return -1;
}

static void
ws(struct scan *j)
{
	/* (j->p points into what read(2) put in the buffer, which the
	 * analyzer takes for garbage.) */
	/* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult) */
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
hex4(const unsigned char *p, unsigned *v)
{
	int i, d;

	for (*v = 0, i = 0; i < 4; i++) {
		d = p[i];
		if (d >= '0' && d <= '9')
			d -= '0';
		else if (d >= 'a' && d <= 'f')
			d -= 'a' - 10;
		else if (d >= 'A' && d <= 'F')
			d -= 'A' - 10;
		else
			return -1;
		*v = *v << 4 | (unsigned)d;
	}
	return 0;
}

static void
dec_put(struct scan *j, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (n > j->dcap - j->dlen) {
		while (n > j->dcap - j->dlen)
			j->dcap = j->dcap == 0 ? 256 : j->dcap * 2;
		j->dec = xreallocarray(j->dec, j->dcap, 1);
	}
	memcpy(j->dec + j->dlen, p, n);
	j->dlen += n;
}

/* A code point as UTF-8, to the decoded strings. */
static void
dec_cp(struct scan *j, unsigned cp)
{
	unsigned char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | cp >> 18);
		u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	dec_put(j, u, n);
}

/*
 * A string at j->p (on its opening quote): valid UTF-8, no control
 * character, only the escapes of RFC 8259, surrogates in pairs.  With
 * decode, its value is appended to j->dec.  *esc says whether it had
 * escapes.  0, or -1 with j->why.
 */
static int
string(struct scan *j, int decode, int *esc)
{
	const unsigned char *p = j->p + 1, *from;
	unsigned cp, lo;
	size_t k;

	*esc = 0;
	for (from = p;;) {
		while (p < j->end && *p >= 0x20 && *p < 0x80 && *p != '"' &&
		    *p != '\\')
			p++;
		if (p == j->end)
			return bad(j, "unterminated string");
		if (*p == '"')
			break;
		if (*p < 0x20)
			return bad(j, "control character in string");
		if (*p >= 0x80) {
			if ((k = utf8_char(p, j->end - p)) == 0)
				return bad(j, "invalid UTF-8");
			p += k;
			continue;
		}
		/* A backslash. */
		*esc = 1;
		if (decode)
			dec_put(j, from, p - from);
		if (j->end - p < 2)
			return bad(j, "unterminated string");
		switch (p[1]) {
		case '"': case '\\': case '/':
			cp = p[1];
			break;
		case 'b':	cp = '\b'; break;
		case 'f':	cp = '\f'; break;
		case 'n':	cp = '\n'; break;
		case 'r':	cp = '\r'; break;
		case 't':	cp = '\t'; break;
		case 'u':
			if (j->end - p < 6 || hex4(p + 2, &cp) == -1)
				return bad(j, "invalid \\u escape");
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return bad(j, "unpaired surrogate");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (j->end - p < 12 || p[6] != '\\' ||
				    p[7] != 'u' || hex4(p + 8, &lo) == -1 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return bad(j, "unpaired surrogate");
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			}
			p += 4;
			break;
		default:
			return bad(j, "invalid escape");
		}
		if (decode)
			dec_cp(j, cp);
		p += 2;
		from = p;
	}
	if (decode)
		dec_put(j, from, p - from);
	j->p = p + 1;
	return 0;
}

static int
digits(struct scan *j)
{
	const unsigned char *p = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > p ? 0 : -1;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
number(struct scan *j)
{
	if (*j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (digits(j) == -1)
		return bad(j, "invalid number");
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (digits(j) == -1)
			return bad(j, "invalid number");
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (digits(j) == -1)
			return bad(j, "invalid number");
	}
	return 0;
}

static int
literal(struct scan *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return bad(j, "invalid literal");
	j->p += n;
	return 0;
}

static int value(struct scan *, int, int *);

/* An array or an object below the top level: checked, not kept. */
static int
container(struct scan *j, int depth)
{
	int close = *j->p == '[' ? ']' : '}', esc, type;

	if (depth >= MAX_DEPTH)
		return bad(j, "nested too deep");
	j->p++;
	ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (j->p == j->end || *j->p != '"')
				return bad(j, "expected a member name");
			if (string(j, 0, &esc) == -1)
				return -1;
			ws(j);
			if (j->p == j->end || *j->p != ':')
				return bad(j, "expected ':'");
			j->p++;
			ws(j);
		}
		if (value(j, depth + 1, &type) == -1)
			return -1;
		ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			ws(j);
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return 0;
		}
		return bad(j, close == '}' ? "expected ',' or '}'" :
		    "expected ',' or ']'");
	}
}

/* Any value at j->p, its kind to *type. */
static int
value(struct scan *j, int depth, int *type)
{
	int esc;

	if (j->p == j->end)
		return bad(j, "expected a value");
	*type = T_OTHER;
	switch (*j->p) {
	case '"':
		*type = T_STRING;
		return string(j, 0, &esc);
	case '{':
	case '[':
		return container(j, depth);
	case 't':
		return literal(j, "true");
	case 'f':
		return literal(j, "false");
	case 'n':
		*type = T_NULL;
		return literal(j, "null");
	default:
		if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) {
			*type = T_NUMBER;
			return number(j);
		}
		return bad(j, "expected a value");
	}
}

/* The column selecting the member named by the key just scanned
 * (ks[kn], escapes decoded if it had any), or NULL. */
static const struct column *
selected(const char *k, size_t kn)
{
	size_t i;

	for (i = 0; i < opt.ncols; i++)
		if (opt.cols[i].namelen == kn &&
		    memcmp(opt.cols[i].name, k, kn) == 0)
			return &opt.cols[i];
	return NULL;
}

/*
 * Check that the line is one JSON object, recording its top-level
 * members.  Returns how many are selected, or -1 with j->why (NULL: not
 * an object).
 */
static int
object(struct scan *j)
{
	const unsigned char *ks;
	struct member *m;
	int esc, nsel = 0, type;

	j->nm = j->dlen = 0;
	ws(j);
	if (j->p == j->end || *j->p != '{')
		return -1;
	j->p++;
	ws(j);
	if (j->p < j->end && *j->p == '}')
		j->p++;
	else for (;;) {
		if (j->p == j->end || *j->p != '"')
			return bad(j, "expected a member name");
		if (j->nm == j->mcap) {
			j->mcap = j->mcap == 0 ? 16 : j->mcap * 2;
			j->m = xreallocarray(j->m, j->mcap, sizeof *j->m);
		}
		m = &j->m[j->nm++];
		m->kstart = j->p - j->s;
		ks = j->p;
		if (string(j, 0, &esc) == -1)
			return -1;
		if (esc) {
			/* Compared decoded: "em\u0061il" is "email". */
			j->p = ks;
			m->doff = j->dlen;
			(void)string(j, 1, &esc);
			m->col = selected(j->dec + m->doff, j->dlen - m->doff);
			j->dlen = m->doff;
		} else
			m->col = selected((const char *)ks + 1,
			    j->p - ks - 2);
		ws(j);
		if (j->p == j->end || *j->p != ':')
			return bad(j, "expected ':'");
		j->p++;
		ws(j);
		m->vstart = j->p - j->s;
		m->doff = j->dlen;
		if (m->col != NULL && j->p < j->end && *j->p == '"') {
			type = T_STRING;
			if (string(j, 1, &esc) == -1)
				return -1;
		} else if (value(j, 1, &type) == -1)
			return -1;
		m->type = type;
		m->dlen = j->dlen - m->doff;
		m->vend = j->p - j->s;
		nsel += m->col != NULL;
		ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			ws(j);
			continue;
		}
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			break;
		}
		return bad(j, "expected ',' or '}'");
	}
	ws(j);
	if (j->p != j->end)
		return bad(j, "text after the object");
	return nsel;
}

static const char *
kind(const unsigned char *v)
{
	return *v == '{' ? "an object" : *v == '[' ? "an array" :
	    "a boolean";
}

/* The line with the selected members replaced or removed.  0, or -1 on
 * a value that cannot be (nothing of the line written then). */
static int
emit(struct out *o, struct scan *j, unsigned long long line,
    const char *s, size_t len, size_t eol)
{
	const struct member *m;
	const struct column *c;
	size_t i;
	int first = 1;

	out_put(o, s, j->m[0].kstart);
	for (i = 0; i < j->nm; i++) {
		m = &j->m[i];
		c = m->col;
		if (c != NULL && c->action == ACT_DROP)
			continue;
		if (!first)
			out_put(o, s + j->m[i - 1].vend,
			    m->kstart - j->m[i - 1].vend);
		first = 0;
		out_put(o, s + m->kstart, m->vstart - m->kstart);
		if (c == NULL || m->type == T_NULL ||
		    (m->type == T_STRING && m->dlen == 0)) {
			out_put(o, s + m->vstart, m->vend - m->vstart);
			continue;
		}
		if (m->type == T_OTHER && c->action != ACT_REDACT) {
			out_error(o, line, "%.*s: %s, not a string or number",
			    (int)c->labellen, c->spec,
			    kind((const unsigned char *)s + m->vstart));
			return -1;
		}
		if (out_value(o, c, m->type == T_STRING ? j->dec + m->doff :
		    s + m->vstart, m->type == T_STRING ? m->dlen :
		    m->vend - m->vstart, line) == -1) {
			out_error(o, line, "%.*s: not an IP address",
			    (int)c->labellen, c->spec);
			return -1;
		}
	}
	out_put(o, s + j->m[j->nm - 1].vend, len + eol -
	    j->m[j->nm - 1].vend);
	out_record(o);
	return 0;
}

int
jsonl_run(int infd, struct out *o)
{
	struct lines l = { infd, NULL, LINE_BUF, 0, 0, 0, 0 };
	struct scan j;
	unsigned long long line = 0;
	const char *s;
	size_t len, eol;
	int rc, nsel, status = EXIT_OK;

	memset(&j, 0, sizeof j);
	if ((l.buf = malloc(l.cap)) == NULL)
		err(EXIT_FAIL, "out of memory");
	while ((rc = line_next(&l, &s, &len, &eol)) == 1) {
		if (++line == 1 && len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) ==
		    0) {
			out_put(o, s, 3);
			s += 3;
			len -= 3;
		}
		j.s = j.p = (const unsigned char *)s;
		j.end = j.s + len;
		j.why = NULL;
		if ((nsel = object(&j)) == -1) {
			if (j.why == NULL)
				out_error(o, line, "not a JSON object");
			else
				out_error(o, line, "invalid JSON: %s", j.why);
			status = EXIT_FAIL;
			break;
		}
		if (nsel == 0) {
			out_put(o, s, len + eol);
			out_record(o);
		} else if (emit(o, &j, line, s, len, eol) == -1) {
			status = EXIT_FAIL;
			break;
		}
	}
	if (rc == -1) {
		out_error(o, line + 1, "read error: %s", strerror(errno));
		status = EXIT_FAIL;
	}
	free(l.buf);
	free(j.dec);
	free(j.m);
	return status;
}
