/* piihash.c - fuzz pii-hash's transformation of CSV, TSV and JSON Lines:
 * as many records out as in (up to the first bad one, where it stops
 * with status 1), each field or member it was not asked to touch byte
 * for byte as it was, and each one it was asked to touch as the action
 * makes it, computed here another way (the HMAC with lib/hash instead
 * of lib/hmac's precomputed states and two-lane code). */
/* SPDX-License-Identifier: ISC */

#define _GNU_SOURCE		/* memfd_create */

#include <stdint.h>
#include <string.h>

#include "lib/csv.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/hmac.h"
#include "lib/json.h"
#include "fuzz/piihash.h"

/*
 * The input: four bytes, then the records.
 *	b0 & 3		format: CSV, TSV, JSON Lines, CSV
 *	b0 & 4		-N (CSV and TSV)
 *	b0 & 8		--ragged pass (CSV and TSV)
 *	b0 & 16		-s SALTFILE, else -k KEYFILE
 *	b0 >> 5		-l: 16 + 8 * (b0 >> 5), at most 64
 *	b1, b2		the action of four columns, a nibble each: none,
 *			hash, hash:trim, hash:lower, mask, mask:digits,
 *			redact, drop, hash:digits, hash:email, mask:trim,
 *			mask:email (12 to 15: none); CSV and TSV columns
 *			are #1 to #4, JSON Lines members "a", "b",
 *			"email", "n"
 *	b3		bytes per read (0: all at once)
 */
#define NCOL	4

static const struct {
	int	action;		/* 0: not selected */
	int	norm;
} acts[16] = {
	{ 0, 0 }, { ACT_HMAC, NORM_NONE }, { ACT_HMAC, NORM_TRIM },
	{ ACT_HMAC, NORM_LOWER }, { ACT_MASK, NORM_NONE },
	{ ACT_MASK, NORM_DIGITS }, { ACT_REDACT, NORM_NONE },
	{ ACT_DROP, NORM_NONE }, { ACT_HMAC, NORM_DIGITS },
	{ ACT_HMAC, NORM_EMAIL }, { ACT_MASK, NORM_TRIM },
	{ ACT_MASK, NORM_EMAIL },
};

static const unsigned char key[32] = "fuzz key, 32 bytes, not secret!";
static const char salt[] = "fuzz salt";
static const char *const keys[] = { "a", "b", "email", "n", "x", "y" };
#define NKEYS	(sizeof keys / sizeof keys[0])

static int colact[NCOL], colnorm[NCOL];	/* what each column is asked */

/* A byte string. */
struct buf {
	char	*p;
	size_t	 n;
};

static void
put(struct buf *b, const void *p, size_t n)
{
	if ((b->p = realloc(b->p, b->n + n + 1)) == NULL)
		fuzz_die("realloc");
	if (n > 0)
		memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static int
isblank_ascii(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

/* The length of the well-formed UTF-8 character at s[n], or 0. */
static size_t
u8len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, k;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		lo = s[0] == 0xe0 ? 0xa0 : 0x80;
		hi = s[0] == 0xed ? 0x9f : 0xbf;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		lo = s[0] == 0xf0 ? 0x90 : 0x80;
		hi = s[0] == 0xf4 ? 0x8f : 0xbf;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (k = 2; k < len; k++)
		if (s[k] < 0x80 || s[k] > 0xbf)
			return 0;
	return len;
}

/* What action and norm make of the value v[n] (not empty): into e. */
static void
expect(int action, int norm, const char *v, size_t n, struct buf *e)
{
	unsigned char d[HASH_LEN];
	char hex[HASH_HEXLEN + 1], *t;
	size_t i, m = 0, nch, keep, *start;
	hash_ctx ctx;
	int digit = 0;

	e->n = 0;
	put(e, "", 0);
	if (action == ACT_REDACT) {
		put(e, "REDACTED", 8);
		return;
	}
	if (norm == NORM_TRIM || norm == NORM_EMAIL) {
		for (; n > 0 && isblank_ascii((unsigned char)v[0]); n--)
			v++;
		for (; n > 0 && isblank_ascii((unsigned char)v[n - 1]); n--)
			continue;
	}
	t = fuzz_alloc(n);
	for (i = 0; i < n; i++) {
		if (norm == NORM_DIGITS && (v[i] < '0' || v[i] > '9'))
			continue;
		digit |= v[i] >= '0' && v[i] <= '9';
		t[m++] = (char)((norm == NORM_LOWER || norm == NORM_EMAIL) &&
		    v[i] >= 'A' && v[i] <= 'Z' ? v[i] + 32 : v[i]);
	}
	if (action == ACT_MASK) {
		/* A star for each character but the last four; a byte of
		 * an ill-formed sequence is a character. */
		start = fuzz_alloc((m + 1) * sizeof *start);
		for (i = 0, nch = 0; i < m; nch++) {
			start[nch] = i;
			i += u8len((unsigned char *)t + i, m - i) > 0 ?
			    u8len((unsigned char *)t + i, m - i) : 1;
		}
		keep = nch > 4 ? start[nch - 4] : 0;
		for (i = 0; i < (nch > 4 ? nch - 4 : 0); i++)
			put(e, "*", 1);
		put(e, t + keep, m - keep);
		free(start);
		free(t);
		return;
	}
	/* Nothing to hash stays empty. */
	if (m > 0 && (norm != NORM_DIGITS || digit)) {
		if (opt.hash == ACT_HMAC)
			hash_hmac(key, sizeof key, t, m, d);
		else {
			hash_init(&ctx);
			hash_update(&ctx, t, m);
			hash_update(&ctx, salt, sizeof salt - 1);
			hash_final(&ctx, d);
		}
		hash_hex(d, HASH_LEN, hex);
		put(e, hex, opt.hexlen);
	}
	free(t);
}

/* The columns selected, into opt.cols: in CSV and TSV by position, the
 * first width ones only (the others are a usage error, which is not
 * what is fuzzed here); in JSON Lines by key. */
static void
select_cols(size_t width)
{
	struct column *c;
	size_t i;

	opt.ncols = 0;
	for (i = 0; i < NCOL; i++) {
		if (colact[i] == 0 || (opt.format != FMT_JSONL && i >= width))
			continue;
		c = &opt.cols[opt.ncols++];
		memset(c, 0, sizeof *c);
		c->action = colact[i] == ACT_HMAC ? opt.hash : colact[i];
		c->norm = colnorm[i];
		if (opt.format == FMT_JSONL) {
			c->spec = c->name = keys[i];
			c->labellen = c->namelen = strlen(keys[i]);
		} else {
			c->spec = "#";
			c->labellen = 1;
			c->pos = i + 1;
		}
	}
}

/* ---- CSV and TSV --------------------------------------------------- */

/* A record, copied. */
struct rec {
	size_t		 nf;
	struct buf	*raw, *val;
	int		*quoted;
	char		 eol[2];
	size_t		 eollen;
};

/* Read every record of fd into *v (at most until an error): the count;
 * *failed whether it ended on an error. */
static size_t
read_all(int fd, int sep, int quote, struct rec **v, int *failed, int *bom)
{
	const struct csv_record *r;
	struct csv_reader cr;
	struct rec *x;
	size_t n = 0, i;
	int rc;

	*v = NULL;
	CHECK(csv_open(&cr, fd, sep, quote) == 0);
	while ((rc = csv_next(&cr, &r)) == 1) {
		if ((*v = realloc(*v, (n + 1) * sizeof **v)) == NULL)
			fuzz_die("realloc");
		x = &(*v)[n++];
		x->nf = r->nfields;
		x->raw = calloc(r->nfields, sizeof *x->raw);
		x->val = calloc(r->nfields, sizeof *x->val);
		x->quoted = calloc(r->nfields, sizeof *x->quoted);
		if (x->raw == NULL || x->val == NULL || x->quoted == NULL)
			fuzz_die("calloc");
		for (i = 0; i < r->nfields; i++) {
			put(&x->raw[i], r->fields[i].raw, r->fields[i].rawlen);
			put(&x->val[i], r->fields[i].value, r->fields[i].len);
			x->quoted[i] = r->fields[i].quoted;
		}
		memcpy(x->eol, r->raw + r->rawlen, r->eollen);
		x->eollen = r->eollen;
	}
	*failed = rc == -1;
	*bom = cr.bom;
	csv_close(&cr);
	return n;
}

static void
free_all(struct rec *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < v[i].nf; j++) {
			free(v[i].raw[j].p);
			free(v[i].val[j].p);
		}
		free(v[i].raw);
		free(v[i].val);
		free(v[i].quoted);
	}
	free(v);
}

static void
check_table(const uint8_t *data, size_t size, size_t chunk)
{
	struct rec *in, *out;
	struct buf e = { NULL, 0 };
	size_t nin, nout, k, good, i, j, width = 0, outlen;
	int sep = opt.format == FMT_TSV ? '\t' : ',';
	int quote = opt.format == FMT_TSV ? 0 : '"';
	int fd, infailed, outfailed, inbom, outbom, status, a, header, empty;
	char *o;

	/* The records as lib/csv reads them, and where the run must stop. */
	fd = fuzz_source(data, size, 0);
	nin = read_all(fd, sep, quote, &in, &infailed, &inbom);
	close(fd);
	good = nin;
	if (nin > 0) {
		width = in[0].nf;
		for (k = 1; k < nin && !opt.ragged; k++)
			if (in[k].nf != width) {
				good = k;
				break;
			}
	}
	select_cols(width);

	status = piihash_run(data, size, chunk, &o, &outlen);
	CHECK(status == (good < nin || infailed ? EXIT_FAIL : EXIT_OK));
	fd = fuzz_source((const uint8_t *)o, outlen, 0);
	nout = read_all(fd, sep, quote, &out, &outfailed, &outbom);
	close(fd);
	free(o);
	CHECK(!outfailed);
	CHECK(nout == good);
	/* The input's mark is written back; and one is added when the
	 * output would begin with the bytes of one that is data. */
	if (nout > 0)
		CHECK(outbom == inbom || (!inbom && out[0].raw[0].n >= 3 &&
		    memcmp(out[0].raw[0].p, "\xef\xbb\xbf", 3) == 0));

	for (k = 0; k < nout; k++) {
		header = k == 0 && !opt.noheader;
		/* A last record without a line end that came out empty
		 * is an empty field: "" in CSV, an empty line in TSV. */
		empty = in[k].eollen == 0 && out[k].nf == 1 &&
		    out[k].val[0].n == 0;
		if (empty && opt.format == FMT_TSV)
			CHECK(out[k].eollen == 1 && out[k].eol[0] == '\n');
		else if (in[k].eollen == 1 && out[k].eollen == 2)
			/* A field ending with CR came to be last: CRLF
			 * keeps it. */
			CHECK(out[k].raw[out[k].nf - 1].n > 0 &&
			    out[k].raw[out[k].nf - 1].p[out[k].raw[out[k].nf -
			    1].n - 1] == '\r');
		else
			CHECK(out[k].eollen == in[k].eollen &&
			    memcmp(out[k].eol, in[k].eol, in[k].eollen) == 0);
		if (empty && opt.format == FMT_CSV)
			CHECK(out[k].raw[0].n == 2 &&
			    memcmp(out[k].raw[0].p, "\"\"", 2) == 0);
		for (i = j = 0; i < in[k].nf; i++) {
			a = i < NCOL && i < width ? colact[i] : 0;
			if (a == ACT_DROP)
				continue;
			CHECK(j < out[k].nf);
			if (a == 0 || header || in[k].val[i].n == 0) {
				/* Untouched: byte for byte. */
				CHECK((out[k].raw[j].n == in[k].raw[i].n &&
				    memcmp(out[k].raw[j].p, in[k].raw[i].p,
				    in[k].raw[i].n) == 0) || (empty &&
				    in[k].raw[i].n == 0));
			} else {
				expect(a, colnorm[i], in[k].val[i].p,
				    in[k].val[i].n, &e);
				CHECK(out[k].val[j].n == e.n &&
				    memcmp(out[k].val[j].p, e.p, e.n) == 0);
				if (a != ACT_MASK && !empty)
					CHECK(!out[k].quoted[j]);
			}
			j++;
		}
		/* A record whose every field is dropped is an empty line,
		 * which reads as one empty field. */
		CHECK(out[k].nf == j || (j == 0 && out[k].nf == 1 &&
		    out[k].val[0].n == 0));
	}
	free(e.p);
	free_all(in, nin);
	free_all(out, nout);
}

/* ---- JSON Lines ---------------------------------------------------- */

/* Whether s[n] is well-formed UTF-8. */
static int
utf8_ok(const char *s, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i += k)
		if ((k = u8len((const unsigned char *)s + i, n - i)) == 0)
			return 0;
	return 1;
}

static int
json_ok(const char *s, size_t n)
{
	struct json_value v;

	return json_member(s, n, "\x01\x02", 2, &v, NULL) != -1;
}

/* The decoded value of a string member, or a number's text. */
static void
member_text(const struct json_value *v, struct buf *b)
{
	long n;

	b->n = 0;
	put(b, "", 0);
	if (v->type != JSON_STRING) {
		put(b, v->raw, v->rawlen);
		return;
	}
	if ((b->p = realloc(b->p, v->rawlen + 1)) == NULL)
		fuzz_die("realloc");
	n = json_unescape(v->raw, v->rawlen, b->p, v->rawlen + 1);
	CHECK(n >= 0);
	b->n = (size_t)n;
}

/* The action asked for member key, or 0. */
static int
member_action(size_t ki)
{
	return ki < NCOL ? colact[ki] : 0;
}

/*
 * Whether the line l[n] (BOM off) may make the run stop: it is not
 * certainly valid for the scanner, or a selected member is a boolean,
 * an array or an object (for an action that needs a string or number),
 * or a selected key is there twice (each is taken; lib/json cannot say).
 */
static int
may_stop(const char *l, size_t n)
{
	struct json_value v;
	size_t ki;
	int a, r;

	if (!json_ok(l, n) || !utf8_ok(l, n) || n >= 512)
		return 1;
	for (ki = 0; ki < NCOL; ki++) {
		if ((a = member_action(ki)) == 0)
			continue;
		r = json_member(l, n, keys[ki], strlen(keys[ki]), &v, NULL);
		if (r == -1)
			return 1;
		if (r == 1 && v.type == JSON_OTHER && !(v.rawlen == 4 &&
		    memcmp(v.raw, "null", 4) == 0) && a != ACT_REDACT &&
		    a != ACT_DROP)
			return 1;
	}
	return 0;
}

static void
check_jsonl(const uint8_t *data, size_t size, size_t chunk)
{
	struct json_value vi, vo;
	struct buf t = { NULL, 0 }, e = { NULL, 0 }, ot = { NULL, 0 };
	const char *d = (const char *)data, *il, *ol, *nl;
	char *o;
	size_t outlen, ioff = 0, ooff = 0, ilen, olen, ieol, oeol, i, ki;
	size_t nlines = 0, line;
	int status, ri, ro, a;

	select_cols(0);
	for (i = 0; i < size; i++)
		nlines += d[i] == '\n';
	nlines += size > 0 && d[size - 1] != '\n';

	status = piihash_run(data, size, chunk, &o, &outlen);
	CHECK(status == EXIT_OK || status == EXIT_FAIL);
	for (line = 0; ioff < size; line++) {
		nl = memchr(d + ioff, '\n', size - ioff);
		il = d + ioff;
		ilen = nl != NULL ? (size_t)(nl - il) : size - ioff;
		ieol = nl != NULL;
		if (line == 0 && ilen >= 3 && memcmp(il, "\xef\xbb\xbf", 3) ==
		    0) {
			/* Written with the first line, if that is. */
			CHECK(outlen == 0 || (outlen >= 3 &&
			    memcmp(o, il, 3) == 0));
			il += 3;
			ilen -= 3;
			ioff += 3;
			ooff += outlen > 0 ? 3 : 0;
		}
		if (ooff == outlen) {
			/* It stopped here: it must have had a reason. */
			CHECK(status == EXIT_FAIL);
			CHECK(may_stop(il, ilen));
			break;
		}
		nl = memchr(o + ooff, '\n', outlen - ooff);
		ol = o + ooff;
		olen = nl != NULL ? (size_t)(nl - ol) : outlen - ooff;
		oeol = nl != NULL;
		CHECK(oeol == ieol);
		CHECK(json_ok(ol, olen));
		for (ki = 0; ki < NKEYS; ki++) {
			ri = json_member(il, ilen, keys[ki], strlen(keys[ki]),
			    &vi, NULL);
			ro = json_member(ol, olen, keys[ki], strlen(keys[ki]),
			    &vo, NULL);
			a = member_action(ki);
			if (ri == -1)
				continue;	/* twice: both are taken */
			if (a == ACT_DROP || ri == 0) {
				CHECK(ro == 0);
				continue;
			}
			CHECK(ro == 1);
			/* A selected boolean, array or object stops the
			 * run, unless it is to be redacted. */
			if (a != 0 && a != ACT_REDACT && vi.type == JSON_OTHER)
				CHECK(vi.rawlen == 4 &&
				    memcmp(vi.raw, "null", 4) == 0);
			if (a == 0 || (vi.type == JSON_STRING &&
			    vi.rawlen == 0) || (vi.type == JSON_OTHER &&
			    vi.rawlen == 4 && memcmp(vi.raw, "null", 4) == 0)) {
				/* Untouched: null and "" stay. */
				CHECK(vo.type == vi.type &&
				    vo.rawlen == vi.rawlen &&
				    memcmp(vo.raw, vi.raw, vi.rawlen) == 0);
				continue;
			}
			CHECK(vo.type == JSON_STRING);
			member_text(&vi, &t);
			expect(a, colnorm[ki], t.p, t.n, &e);
			member_text(&vo, &ot);
			CHECK(ot.n == e.n && memcmp(ot.p, e.p, e.n) == 0);
		}
		ioff += ilen + ieol;
		ooff += olen + oeol;
	}
	if (status == EXIT_OK)
		CHECK(line == nlines && ooff == outlen);
	else
		CHECK(line < nlines && ooff == outlen);
	free(o);
	free(t.p);
	free(e.p);
	free(ot.p);
}

/* ---- IP addresses -------------------------------------------------- */

/* ip_canon's text is canonical: it maps to itself, hex in lower case. */
static void
check_ip(const char *s, size_t n)
{
	char a[IP_MAXTEXT], b[IP_MAXTEXT];
	int la, lb, i;

	if ((la = ip_canon(s, n, a)) == -1)
		return;
	CHECK(la > 0 && la < IP_MAXTEXT && a[la] == '\0');
	CHECK((size_t)la == strlen(a));
	lb = ip_canon(a, (size_t)la, b);
	CHECK(lb == la && memcmp(a, b, (size_t)la) == 0);
	for (i = 0; i < la; i++)
		CHECK((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' &&
		    a[i] <= 'f') || a[i] == '.' || a[i] == ':');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct column cols[NCOL];
	static struct hmac_key hk;
	static int init;
	size_t i, k;

	/* An empty input may come as NULL. */
	if (size == 0)
		data = (const uint8_t *)"";

	if (size < 4)
		return 0;
	if (!init) {
		hmac_key_init(&hk, key, sizeof key);
		init = 1;
	}
	memset(&opt, 0, sizeof opt);
	memset(cols, 0, sizeof cols);
	opt.cols = cols;
	opt.format = (data[0] & 3) == 1 ? FMT_TSV : (data[0] & 3) == 2 ?
	    FMT_JSONL : FMT_CSV;
	if (opt.format != FMT_JSONL) {
		opt.noheader = (data[0] & 4) != 0;
		opt.ragged = (data[0] & 8) != 0;
	}
	opt.hash = data[0] & 16 ? ACT_SALTED : ACT_HMAC;
	opt.hexlen = 16 + 8 * (size_t)(data[0] >> 5);
	if (opt.hexlen > HASH_HEXLEN)
		opt.hexlen = HASH_HEXLEN;
	opt.key = hk;
	opt.salt = (unsigned char *)salt;
	opt.saltlen = sizeof salt - 1;
	for (i = 0; i < NCOL; i++) {
		k = (data[1 + i / 2] >> (4 * (i % 2))) & 15;
		colact[i] = acts[k].action;
		colnorm[i] = acts[k].norm;
	}

	if (opt.format == FMT_JSONL)
		check_jsonl(data + 4, size - 4, data[3]);
	else
		check_table(data + 4, size - 4, data[3]);
	check_ip((const char *)data + 4, size - 4);
	return 0;
}
