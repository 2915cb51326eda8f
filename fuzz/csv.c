/* csv.c - fuzz lib/csv against a plain reference parser of the syntax
 * csv.h documents, reading the input in chunks the input chooses; and
 * records written back with csv_quote read back the same. */
/* SPDX-License-Identifier: ISC */

#define _GNU_SOURCE		/* memfd_create */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/csv.h"
#include "fuzz/fuzz.h"

/*
 * The input: a mode byte, a chunk byte, then the data.
 *	mode & 3	separator: ',' ';' '\t' '|'
 *	mode & 4	no quote character (TSV); else mode & 8 picks '\''
 *			instead of '"'
 *	chunk		bytes per read (0: all at once)
 */
static const char seps[4] = { ',', ';', '\t', '|' };

/* One record as the reference sees it: values, and the bytes it spans. */
struct ref {
	size_t		 start, rawlen, eollen;
	unsigned long long line;
	size_t		 nfields;
	char		**val;
	size_t		*len;
	size_t		 cap;
};

static void
ref_push(struct ref *r, const char *v, size_t n)
{
	if (r->nfields == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 8;
		if ((r->val = realloc(r->val, r->cap * sizeof *r->val)) ==
		    NULL || (r->len = realloc(r->len, r->cap *
		    sizeof *r->len)) == NULL)
			fuzz_die("realloc");
	}
	r->val[r->nfields] = fuzz_alloc(n);
	if (n > 0)
		memcpy(r->val[r->nfields], v, n);
	r->len[r->nfields++] = n;
}

static void
ref_clear(struct ref *r)
{
	size_t i;

	for (i = 0; i < r->nfields; i++)
		free(r->val[i]);
	r->nfields = 0;
}

static unsigned long long
lines_before(const uint8_t *d, size_t upto)
{
	unsigned long long n = 1;
	size_t i;

	for (i = 0; i < upto; i++)
		n += d[i] == '\n';
	return n;
}

/*
 * The next record at d[*pos .. n): 1 with r filled, 0 at the end, -1 on
 * a syntax error (*errline its line).  Byte by byte, as the syntax reads.
 */
static int
ref_next(const uint8_t *d, size_t n, size_t *pos, int sep, int quote,
    struct ref *r, unsigned long long *errline)
{
	size_t i = *pos, j, fstart;
	char *v = fuzz_alloc(n + 1);
	size_t vn;

	ref_clear(r);
	if (i == n) {
		free(v);
		return 0;
	}
	r->start = i;
	r->line = lines_before(d, i);
	for (;;) {
		if (r->nfields == CSV_MAXFIELDS) {
			*errline = lines_before(d, i);
			free(v);
			return -1;
		}
		vn = 0;
		if (quote != 0 && i < n && d[i] == quote) {
			fstart = i++;
			for (;;) {
				if (i == n) {
					*errline = lines_before(d, fstart);
					free(v);
					return -1;
				}
				if (d[i] == quote) {
					if (i + 1 < n && d[i + 1] == quote) {
						v[vn++] = (char)quote;
						i += 2;
						continue;
					}
					i++;
					break;
				}
				v[vn++] = (char)d[i++];
			}
			ref_push(r, v, vn);
			if (i == n) {
				r->rawlen = i - r->start;
				r->eollen = 0;
				break;
			}
			if (d[i] == sep) {
				i++;
				continue;
			}
			if (d[i] == '\n') {
				r->rawlen = i - r->start;
				r->eollen = 1;
				i++;
				break;
			}
			if (d[i] == '\r' && i + 1 < n && d[i + 1] == '\n') {
				r->rawlen = i - r->start;
				r->eollen = 2;
				i += 2;
				break;
			}
			*errline = lines_before(d, i);
			free(v);
			return -1;
		}
		for (j = i; j < n && d[j] != sep && d[j] != '\n'; j++)
			if (quote != 0 && d[j] == quote) {
				*errline = lines_before(d, j);
				free(v);
				return -1;
			}
		if (j < n && d[j] == sep) {
			ref_push(r, (const char *)d + i, j - i);
			i = j + 1;
			continue;
		}
		if (j == n) {
			ref_push(r, (const char *)d + i, j - i);
			r->rawlen = j - r->start;
			r->eollen = 0;
			i = j;
			break;
		}
		/* A line end; a CR right before it belongs to it. */
		if (j > i && d[j - 1] == '\r') {
			ref_push(r, (const char *)d + i, j - 1 - i);
			r->rawlen = j - 1 - r->start;
			r->eollen = 2;
		} else {
			ref_push(r, (const char *)d + i, j - i);
			r->rawlen = j - r->start;
			r->eollen = 1;
		}
		i = j + 1;
		break;
	}
	*pos = i;
	free(v);
	return 1;
}

/* A record as csv_quote writes it, to fd. */
static void
put_record(int fd, const struct csv_record *rec, int sep, int quote,
    int first)
{
	const struct csv_field *f;
	char *q;
	size_t i, n;

	/* A lone empty field at the very end is a record only quoted. */
	if (rec->nfields == 1 && rec->fields[0].len == 0 &&
	    rec->eollen == 0) {
		CHECK(quote != 0);
		fuzz_write(fd, (char[]){ (char)quote, (char)quote }, 2);
		return;
	}
	for (i = 0; i < rec->nfields; i++) {
		f = &rec->fields[i];
		if (i > 0)
			fuzz_write(fd, &(char){ (char)sep }, 1);
		/* A value that would start the input with a byte order
		 * mark is quoted, so that it is not taken for one. */
		if (quote != 0 && (csv_needs_quotes(f->value, f->len, sep,
		    quote) || (first && i == 0 && f->len >= 3 &&
		    memcmp(f->value, "\xef\xbb\xbf", 3) == 0))) {
			q = fuzz_alloc(2 * f->len + 2);
			n = csv_quote(q, f->value, f->len, quote);
			CHECK(n >= f->len + 2 && n <= 2 * f->len + 2);
			fuzz_write(fd, q, n);
			free(q);
		} else {
			CHECK(memchr(f->value, sep, f->len) == NULL);
			CHECK(memchr(f->value, '\n', f->len) == NULL);
			fuzz_write(fd, f->value, f->len);
		}
	}
	/* The record's own line end: a CR ending the last value of a TSV
	 * record stays apart from the LF it was apart from. */
	fuzz_write(fd, rec->raw + rec->rawlen, rec->eollen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct csv_record *rec;
	const struct csv_field *f = NULL;
	struct csv_reader r, r2;
	struct ref ref;
	unsigned long long errline = 0;
	size_t pos, i, nrec = 0, k;
	int sep, quote, fd, out, rc, rrc, e, bom;

	/* An empty input may come as NULL. */
	if (size == 0)
		data = (const uint8_t *)"";

	if (size < 2)
		return 0;
	sep = seps[data[0] & 3];
	quote = data[0] & 4 ? 0 : data[0] & 8 ? '\'' : '"';
	fd = fuzz_source(data + 2, size - 2, data[1]);
	data += 2;
	size -= 2;

	CHECK(csv_open(&r, fd, sep, quote) == 0);
	memset(&ref, 0, sizeof ref);
	bom = size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0;
	pos = bom ? 3 : 0;
	out = fuzz_memfd();
	if (bom)
		fuzz_write(out, "\xef\xbb\xbf", 3);
	for (;;) {
		rrc = ref_next(data, size, &pos, sep, quote, &ref, &errline);
		rc = csv_next(&r, &rec);
		e = errno;
		if (rc == 1 && nrec == 0)
			CHECK(r.bom == bom);
		CHECK(rc == rrc);
		if (rc == 0)
			break;
		if (rc == -1) {
			CHECK(e == EINVAL);
			CHECK(r.reason != NULL);
			CHECK(r.errline == errline);
			/* And again, the same. */
			CHECK(csv_next(&r, &rec) == -1 && errno == e);
			break;
		}
		nrec++;
		CHECK(rec->nfields >= 1);
		/* The record is the bytes the reference read, whole. */
		CHECK(rec->rawlen == ref.rawlen && rec->eollen == ref.eollen);
		CHECK(memcmp(rec->raw, data + ref.start, rec->rawlen +
		    rec->eollen) == 0);
		CHECK(rec->line == ref.line);
		CHECK(rec->nfields == ref.nfields);
		for (i = 0; i < rec->nfields; i++) {
			f = &rec->fields[i];
			CHECK(f->len == ref.len[i]);
			CHECK(f->len == 0 || memcmp(f->value, ref.val[i],
			    f->len) == 0);
			/* Fields tile the record, separators between. */
			if (i == 0)
				CHECK(f->raw == rec->raw);
			else
				CHECK(f->raw == f[-1].raw + f[-1].rawlen + 1 &&
				    f->raw[-1] == sep);
			if (f->quoted)
				CHECK(f->rawlen >= 2 && f->raw[0] == quote &&
				    f->raw[f->rawlen - 1] == quote);
			else
				CHECK(f->rawlen == f->len && (f->len == 0 ||
				    memcmp(f->raw, f->value, f->len) == 0));
		}
		CHECK(f->raw + f->rawlen == rec->raw + rec->rawlen);
		put_record(out, rec, sep, quote, nrec == 1 && !bom);
	}
	k = nrec;
	csv_close(&r);
	csv_close(&r);		/* twice is safe */
	close(fd);
	ref_clear(&ref);
	free(ref.val);
	free(ref.len);

	/* What was read, written back, reads back the same. */
	if (rc == 0) {
		if (lseek(out, 0, SEEK_SET) == -1)
			fuzz_die("lseek");
		CHECK(csv_open(&r2, out, sep, quote) == 0);
		fd = fuzz_source(data, size, 0);
		CHECK(csv_open(&r, fd, sep, quote) == 0);
		for (nrec = 0; (rc = csv_next(&r, &rec)) == 1; nrec++) {
			const struct csv_record *rec2;
			size_t nf = rec->nfields;
			char **v = fuzz_alloc(nf * sizeof *v);
			size_t *l = fuzz_alloc(nf * sizeof *l);

			for (i = 0; i < nf; i++) {
				v[i] = fuzz_alloc(rec->fields[i].len);
				memcpy(v[i], rec->fields[i].value,
				    rec->fields[i].len);
				l[i] = rec->fields[i].len;
			}
			CHECK(csv_next(&r2, &rec2) == 1);
			CHECK(rec2->nfields == nf);
			for (i = 0; i < nf; i++) {
				CHECK(rec2->fields[i].len == l[i]);
				CHECK(l[i] == 0 || memcmp(rec2->fields[i].value,
				    v[i], l[i]) == 0);
				free(v[i]);
			}
			free(v);
			free(l);
		}
		CHECK(rc == 0 && nrec == k);
		CHECK(csv_next(&r2, &rec) == 0);
		csv_close(&r);
		csv_close(&r2);
		close(fd);
	}
	close(out);

	/* The quoting helpers on the data itself. */
	if (quote != 0) {
		char *q = fuzz_alloc(2 * size + 2);
		size_t n = csv_quote(q, (const char *)data, size, quote), m;

		CHECK(n >= size + 2 && q[0] == quote && q[n - 1] == quote);
		for (i = 1, m = 0; i + 1 < n; i++, m++) {
			CHECK(m < size && q[i] == (char)data[m]);
			if (q[i] == quote)
				CHECK(q[++i] == quote);
		}
		CHECK(m == size);
		CHECK(csv_needs_quotes((const char *)data, size, sep, quote) ==
		    (memchr(data, sep, size) != NULL || memchr(data, quote,
		    size) != NULL || memchr(data, '\r', size) != NULL ||
		    memchr(data, '\n', size) != NULL));
		free(q);
	}
	return 0;
}
