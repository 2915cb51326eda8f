/* table.c - pii-hash for CSV and TSV: the header, the plan of columns,
 * and each record copied with its selected fields replaced. */
/* SPDX-License-Identifier: ISC */

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/csv.h"
#include "lib/err.h"
#include "bin/pii-hash/pii-hash.h"

#define NAMES_MAX	400	/* bytes of header names in a message */

/* A selected field: its 0-based position and what to do with it. */
struct sel {
	size_t			 pos;
	const struct column	*col;
};

/* The header's names, escaped and comma-separated, for a message. */
static void
list_names(const struct csv_record *h, char *buf, size_t size)
{
	size_t i, j, len = 0;
	unsigned char c;

	buf[0] = '\0';
	for (i = 0; i < h->nfields; i++) {
		if (len + 16 > size) {
			snprintf(buf + len, size - len, ", ...");
			return;
		}
		if (i > 0)
			len += snprintf(buf + len, size - len, ", ");
		for (j = 0; j < h->fields[i].len && len + 8 < size; j++) {
			c = h->fields[i].value[j];
			if (c < 0x20 || c == 0x7f || c == '\\')
				len += snprintf(buf + len, size - len,
				    "\\x%02x", c);
			else
				buf[len++] = c;
		}
		buf[len] = '\0';
	}
}

/*
 * Turn the operands into positions of the first record (the header, or
 * with -N the first row), sorted.  An unknown name or position, or a
 * field selected twice, is a usage error; a name the header has more than
 * once selects each of them.  Returns the number of selected fields.
 */
static size_t
plan(const struct csv_record *h, struct sel **selp)
{
	char names[NAMES_MAX + 32];
	const struct column *c;
	struct sel *sel, t;
	size_t i, k, n = 0, found;

	if ((sel = reallocarray(NULL, h->nfields + 1, sizeof *sel)) == NULL)
		err(EXIT_FAIL, "out of memory");
	for (i = 0; i < opt.ncols; i++) {
		c = &opt.cols[i];
		found = 0;
		for (k = 0; k < h->nfields; k++) {
			if (c->name == NULL ? k + 1 != c->pos :
			    h->fields[k].len != c->namelen ||
			    memcmp(h->fields[k].value, c->name,
			    c->namelen) != 0)
				continue;
			found++;
			if (n == h->nfields)
				goto twice;
			sel[n].pos = k;
			sel[n++].col = c;
		}
		if (found > 0)
			continue;
		if (c->name == NULL)
			usage_error("%s: no such column: the %s has %zu",
			    c->spec, opt.noheader ? "first row" : "header",
			    h->nfields);
		list_names(h, names, sizeof names);
		usage_error("%s: no such column; the header has: %s",
		    c->spec, names);
	}
	/* Insertion sort: a handful of columns. */
	for (i = 1; i < n; i++) {
		t = sel[i];
		for (k = i; k > 0 && sel[k - 1].pos > t.pos; k--)
			sel[k] = sel[k - 1];
		sel[k] = t;
	}
	for (i = 1; i < n; i++)
		if (sel[i].pos == sel[i - 1].pos)
			goto twice;
	*selp = sel;
	return n;
twice:
	for (i = 1; i < n; i++)
		for (k = 0; k < i; k++)
			if (sel[k].pos == sel[i].pos)
				usage_error("%s: column %zu is selected by %s "
				    "already", sel[i].col->spec, sel[i].pos + 1,
				    sel[k].col->spec);
	usage_error("a column is selected twice");
}

/* Fields a..b (b included) as they were, with the separators between. */
static void
span(struct out *o, const struct csv_record *rec, size_t a, size_t b,
    int *emitted, char sep)
{
	const struct csv_field *f = rec->fields;

	if (*emitted)
		out_putc(o, sep);
	out_put(o, f[a].raw, f[b].raw + f[b].rawlen - f[a].raw);
	*emitted = 1;
}

/*
 * Copy a record with the selected fields replaced or dropped (in the
 * header, only dropped).  Untouched runs of fields are copied as they
 * are, separators included.  0, or -1 when a value is not an address
 * (nothing of the record written then).
 */
static int
emit(struct out *o, const struct csv_record *rec, const struct sel *sel,
    size_t nsel, int header, char sep)
{
	const struct csv_field *f;
	size_t k, prev = 0;
	int emitted = 0;

	for (k = 0; k < nsel && sel[k].pos < rec->nfields; k++) {
		if (sel[k].pos > prev)
			span(o, rec, prev, sel[k].pos - 1, &emitted, sep);
		prev = sel[k].pos + 1;
		if (sel[k].col->action == ACT_DROP)
			continue;
		if (emitted)
			out_putc(o, sep);
		emitted = 1;
		f = &rec->fields[sel[k].pos];
		/* Empty values stay empty, exactly as they were. */
		if (header || f->len == 0)
			out_put(o, f->raw, f->rawlen);
		else if (out_value(o, sel[k].col, f->value, f->len,
		    rec->line) == -1) {
			out_error(o, rec->line, "%.*s: not an IP address",
			    (int)sel[k].col->labellen, sel[k].col->spec);
			return -1;
		}
	}
	if (prev < rec->nfields)
		span(o, rec, prev, rec->nfields - 1, &emitted, sep);
	/* A last record without a line end that comes out empty (its
	 * fields dropped, or one left that is empty) would vanish: it is
	 * written as one empty field, "" in CSV, an empty line in TSV
	 * (which has no quotes), so that as many records come out as go
	 * in. */
	if (rec->eollen == 0 && out_pending(o) == 0)
		out_put(o, opt.format == FMT_TSV ? "\n" : "\"\"",
		    opt.format == FMT_TSV ? 1 : 2);
	/* A field that ends with CR, last now that the fields after it
	 * are dropped, would make a LF line end CRLF and lose its CR: the
	 * line ends with CRLF instead, which keeps the field as it was. */
	if (rec->eollen == 1 && out_endcr(o))
		out_put(o, "\r\n", 2);
	else
		out_put(o, rec->raw + rec->rawlen, rec->eollen);
	out_record(o);
	return 0;
}

int
table_run(int infd, struct out *o)
{
	const struct csv_record *rec;
	struct csv_reader r;
	struct sel *sel = NULL;
	size_t nsel = 0, width = 0;
	char sep = opt.format == FMT_TSV ? '\t' : ',';
	int rc, status = EXIT_OK, first = 1;

	if (csv_open(&r, infd, sep, opt.format == FMT_TSV ? 0 : '"') == -1)
		err(EXIT_FAIL, "stdin");
	while ((rc = csv_next(&r, &rec)) == 1) {
		if (first) {
			first = 0;
			if (r.bom) {
				/* The input's mark, not part of the first
				 * record (which may come out empty). */
				out_put(o, UTF8_BOM, 3);
				out_record(o);
			} else
				out_bomguard(o);
			width = rec->nfields;
			nsel = plan(rec, &sel);
			if (!opt.noheader) {
				emit(o, rec, sel, nsel, 1, sep);
				continue;
			}
		}
		if (rec->nfields != width && !opt.ragged) {
			out_error(o, rec->line, "row has %zu field%s, %s "
			    "has %zu", rec->nfields,
			    rec->nfields == 1 ? "" : "s",
			    opt.noheader ? "first row" : "header", width);
			status = EXIT_FAIL;
			break;
		}
		if (emit(o, rec, sel, nsel, 0, sep) == -1) {
			status = EXIT_FAIL;
			break;
		}
	}
	if (rc == -1) {
		if (errno == EINVAL)
			out_error(o, r.errline, "%s", r.reason);
		else
			out_error(o, r.errline, "%s: %s", r.reason,
			    strerror(errno));
		status = EXIT_FAIL;
	}
	csv_close(&r);
	free(sel);
	return status;
}
