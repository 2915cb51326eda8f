/* csv.c - a streaming reader of CSV (RFC 4180) and TSV records. */
/* SPDX-License-Identifier: ISC */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "lib/csv.h"

/* Read at least this much at a time: the buffer is compacted, then
 * grown, when less is free at its end. */
#define CSV_READMIN	(64 * 1024)

/* Bits of special[]: the bytes that end a run of an unquoted field. */
#define SP_SEP		1
#define SP_NL		2
#define SP_QUOTE	4

/* Where the scan of the current record stands. */
enum { ST_START, ST_PLAIN, ST_QUOTED, ST_QUOTE };

/* A field while its record is read: offsets from the record's start,
 * which stay right when the buffer moves. */
struct csv_span {
	size_t	off, len;
	int	quoted, esc;
};

int
csv_open(struct csv_reader *r, int fd, int sep, int quote)
{
	memset(r, 0, sizeof *r);
	r->fd = -1;
	if (sep == '\n' || sep == '\r' || quote == '\n' || quote == '\r' ||
	    sep == quote || sep < 0 || sep > 255 || quote < 0 ||
	    quote > 255) {
		errno = EINVAL;
		return -1;
	}
	if ((r->buf = malloc(CSV_BUFSIZE)) == NULL)
		return -1;
	r->cap = CSV_BUFSIZE;
	r->fd = fd;
	r->sep = (unsigned char)sep;
	r->quote = (unsigned char)quote;
	r->special[r->sep] = SP_SEP;
	r->special['\n'] = SP_NL;
	if (quote != 0)
		r->special[r->quote] = SP_QUOTE;
	r->line = 1;
	return 0;
}

void
csv_close(struct csv_reader *r)
{
	int saved = errno;

	free(r->buf);
	free(r->spans);
	free(r->fields);
	free(r->dec);
	r->buf = r->dec = NULL;
	r->spans = NULL;
	r->fields = NULL;
	r->cap = r->start = r->end = r->deccap = r->maxspans = 0;
	errno = saved;
}

/* Fail, for good: every later call fails the same way. */
static int
fail(struct csv_reader *r, int error, const char *reason,
    unsigned long long line)
{
	r->failed = error;
	r->reason = reason;
	r->errline = line;
	errno = error;
	return -1;
}

/* Read more input after r->end, making room first.  0 (r->eof set at the
 * end of input), or -1 with errno. */
static int
fill(struct csv_reader *r)
{
	ssize_t n;
	size_t ncap;
	char *nbuf;

	if (r->cap - r->end < CSV_READMIN && r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->cap - r->end < CSV_READMIN) {
		if (r->cap > SIZE_MAX / 2) {
			errno = ENOMEM;
			return -1;
		}
		ncap = r->cap * 2;
		if ((nbuf = realloc(r->buf, ncap)) == NULL)
			return -1;
		r->buf = nbuf;
		r->cap = ncap;
	}
	do
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if (n == 0)
		r->eof = 1;
	r->end += (size_t)n;
	return 0;
}

/* Append a field to the record being read.  0, or -1 (too many). */
static int
push(struct csv_reader *r, size_t from, size_t to, int quoted)
{
	struct csv_field *f;
	struct csv_span *s;
	size_t n;

	if (r->nspans == r->maxspans) {
		if (r->maxspans == CSV_MAXFIELDS)
			return fail(r, EINVAL, "too many fields", r->line);
		n = r->maxspans == 0 ? 64 : r->maxspans * 2;
		if (n > CSV_MAXFIELDS)
			n = CSV_MAXFIELDS;
		if ((s = reallocarray(r->spans, n, sizeof *s)) == NULL)
			return fail(r, errno, "out of memory", r->line);
		r->spans = s;
		if ((f = reallocarray(r->fields, n, sizeof *f)) == NULL)
			return fail(r, errno, "out of memory", r->line);
		r->fields = f;
		r->maxspans = n;
	}
	s = &r->spans[r->nspans++];
	s->off = from;
	s->len = to - from;
	s->quoted = quoted;
	s->esc = quoted && r->fesc;
	return 0;
}

/* Count the line ends in p[n]. */
static unsigned long long
count_nl(const char *p, size_t n)
{
	unsigned long long c = 0;
	const char *q, *end = p + n;

	while (p < end && (q = memchr(p, '\n', end - p)) != NULL) {
		c++;
		p = q + 1;
	}
	return c;
}

#ifdef __SSE2__
/* Skip the ordinary bytes of an unquoted field 16 at a time: the index
 * of the first byte at or after i that may be special (the caller looks
 * at the last few one by one). */
static size_t
skip_plain(const struct csv_reader *r, const unsigned char *b, size_t i,
    size_t n)
{
	const __m128i sep = _mm_set1_epi8((char)r->sep);
	const __m128i nl = _mm_set1_epi8('\n');
	const __m128i quote = _mm_set1_epi8((char)(r->quote != 0 ? r->quote :
	    '\n'));
	__m128i v, hit;
	unsigned mask;

	for (; i + 16 <= n; i += 16) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
		hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, sep),
		    _mm_cmpeq_epi8(v, nl)), _mm_cmpeq_epi8(v, quote));
		if ((mask = (unsigned)_mm_movemask_epi8(hit)) != 0)
			return i + (size_t)__builtin_ctz(mask);
	}
	return i;
}
#endif

/*
 * Scan the record at buf + start from where the last call stopped.
 * Returns 1 with *reclen and *eollen set when the record is complete, 0
 * when the input so far ends inside it, -1 on a syntax error.
 */
static int
scan(struct csv_reader *r, size_t *reclen, size_t *eollen)
{
	const unsigned char *b = (unsigned char *)r->buf + r->start;
	const unsigned char *sp = r->special, *q;
	size_t n = r->end - r->start, i = r->pos;
	int st = r->state;

	for (;;) {
		switch (st) {
		case ST_START:
			if (i == n)
				goto more;
			r->fstart = i;
			r->fesc = 0;
			if (r->quote != 0 && b[i] == r->quote) {
				r->fline = r->line + r->nl;
				st = ST_QUOTED;
				i++;
				break;
			}
			st = ST_PLAIN;
			/* FALLTHROUGH */
		case ST_PLAIN:
#ifdef __SSE2__
			i = skip_plain(r, b, i, n);
#endif
			while (i < n && sp[b[i]] == 0)
				i++;
			if (i == n)
				goto more;
			if (sp[b[i]] == SP_SEP) {
				if (push(r, r->fstart, i, 0) == -1)
					return -1;
				i++;
				st = ST_START;
				break;
			}
			if (sp[b[i]] == SP_NL) {
				*reclen = i;
				*eollen = 1;
				if (i > r->fstart && b[i - 1] == '\r') {
					(*reclen)--;
					(*eollen)++;
				}
				if (push(r, r->fstart, *reclen, 0) == -1)
					return -1;
				return 1;
			}
			return fail(r, EINVAL, "quote in unquoted field",
			    r->line + r->nl);
		case ST_QUOTED:
			q = memchr(b + i, r->quote, n - i);
			r->nl += count_nl((const char *)b + i,
			    (q == NULL ? n : (size_t)(q - b)) - i);
			if (q == NULL) {
				i = n;
				goto more;
			}
			i = q - b + 1;
			st = ST_QUOTE;
			break;
		case ST_QUOTE:
			if (i == n)
				goto more;
			if (b[i] == r->quote) {
				r->fesc = 1;
				i++;
				st = ST_QUOTED;
				break;
			}
			if (b[i] == r->sep) {
				if (push(r, r->fstart, i, 1) == -1)
					return -1;
				i++;
				st = ST_START;
				break;
			}
			if (b[i] == '\r' && i + 1 == n)
				goto more;	/* is LF next? */
			if (b[i] == '\n' ||
			    (b[i] == '\r' && b[i + 1] == '\n')) {
				if (push(r, r->fstart, i, 1) == -1)
					return -1;
				*reclen = i;
				*eollen = b[i] == '\n' ? 1 : 2;
				return 1;
			}
			return fail(r, EINVAL, "text after closing quote",
			    r->line + r->nl);
		}
	}
more:
	r->pos = i;
	r->state = st;
	return 0;
}

/*
 * The input ended inside the record scanned so far: finish it, with no
 * line end.  1, 0 if there is no record at all, -1 on a syntax error.
 */
static int
finish_at_eof(struct csv_reader *r, size_t *reclen, size_t *eollen)
{
	size_t n = r->end - r->start;

	*reclen = n;
	*eollen = 0;
	switch (r->state) {
	case ST_START:
		if (n == 0 && r->nspans == 0)
			return 0;
		/* After a separator: an empty last field. */
		return push(r, n, n, 0) == -1 ? -1 : 1;
	case ST_PLAIN:
		return push(r, r->fstart, n, 0) == -1 ? -1 : 1;
	case ST_QUOTED:
		return fail(r, EINVAL, "unterminated quoted field", r->fline);
	default:	/* ST_QUOTE */
		/* A CR after the closing quote, then the end. */
		if (r->pos < n)
			return fail(r, EINVAL, "text after closing quote",
			    r->line + r->nl);
		return push(r, r->fstart, n, 1) == -1 ? -1 : 1;
	}
}

/* Point the public fields at the record's bytes, decoding the quoted
 * fields that hold doubled quotes.  0, or -1 (ENOMEM). */
static int
publish(struct csv_reader *r, size_t reclen, size_t eollen)
{
	const char *b = r->buf + r->start, *p, *q, *end;
	struct csv_field *f;
	struct csv_span *s;
	size_t i, need = 0;
	char *d;

	for (i = 0; i < r->nspans; i++)
		if (r->spans[i].esc)
			need += r->spans[i].len;
	if (need > r->deccap) {
		if ((d = realloc(r->dec, need)) == NULL)
			return fail(r, errno, "out of memory", r->line);
		r->dec = d;
		r->deccap = need;
	}
	d = r->dec;
	for (i = 0; i < r->nspans; i++) {
		s = &r->spans[i];
		f = &r->fields[i];
		f->raw = b + s->off;
		f->rawlen = s->len;
		f->quoted = s->quoted;
		if (!s->quoted) {
			f->value = f->raw;
			f->len = f->rawlen;
			continue;
		}
		f->value = f->raw + 1;
		f->len = f->rawlen - 2;
		if (!s->esc)
			continue;
		/* Copy up to each quote, which is the first of a pair. */
		f->value = d;
		p = f->raw + 1;
		end = f->raw + f->rawlen - 1;
		while ((q = memchr(p, r->quote, end - p)) != NULL) {
			memcpy(d, p, q - p + 1);
			d += q - p + 1;
			p = q + 2;
		}
		memcpy(d, p, end - p);
		d += end - p;
		f->len = d - f->value;
	}
	r->rec.raw = b;
	r->rec.rawlen = reclen;
	r->rec.eollen = eollen;
	r->rec.line = r->line;
	r->rec.nfields = r->nspans;
	r->rec.fields = r->fields;
	return 0;
}

int
csv_next(struct csv_reader *r, const struct csv_record **rec)
{
	size_t reclen = 0, eollen = 0;
	int rc;

	if (r->failed) {
		errno = r->failed;
		return -1;
	}
	if (r->buf == NULL) {
		errno = EINVAL;
		return -1;
	}
	/* Step over the record returned last time. */
	r->start += r->used;
	r->used = 0;
	r->line += r->nl + (r->rec.nfields > 0 ? 1 : 0);
	r->rec.nfields = 0;
	r->nl = 0;
	r->nspans = 0;
	r->pos = 0;
	r->state = ST_START;

	if (!r->began) {
		while (r->end < 3 && !r->eof)
			if (fill(r) == -1)
				return fail(r, errno, "read error", r->line);
		if (r->end >= 3 && memcmp(r->buf, "\xef\xbb\xbf", 3) == 0) {
			r->bom = 1;
			r->start = 3;
		}
		r->began = 1;
	}
	for (;;) {
		if ((rc = scan(r, &reclen, &eollen)) == -1)
			return -1;
		if (rc == 1)
			break;
		if (r->eof) {
			if ((rc = finish_at_eof(r, &reclen, &eollen)) == -1)
				return -1;
			if (rc == 0)
				return 0;
			break;
		}
		if (fill(r) == -1)
			return fail(r, errno, "read error", r->line);
	}
	if (publish(r, reclen, eollen) == -1)
		return -1;
	r->used = reclen + eollen;
	*rec = &r->rec;
	return 1;
}

int
csv_needs_quotes(const char *value, size_t len, int sep, int quote)
{
	const unsigned char *p = (const unsigned char *)value;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] == sep || p[i] == '\n' || p[i] == '\r' ||
		    (quote != 0 && p[i] == quote))
			return 1;
	return 0;
}

size_t
csv_quote(char *dst, const char *value, size_t len, int quote)
{
	size_t i, n = 0;

	dst[n++] = (char)quote;
	for (i = 0; i < len; i++) {
		if ((unsigned char)value[i] == quote)
			dst[n++] = (char)quote;
		dst[n++] = value[i];
	}
	dst[n++] = (char)quote;
	return n;
}
