/* out.c - pii-hash: the output, in batches of whole records whose hashes
 * are computed together, on a second thread while the next batch fills. */
/* SPDX-License-Identifier: ISC */

#include <err.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "lib/csv.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/hmac.h"
#include "bin/pii-hash/pii-hash.h"

/*
 * A batch is full past BATCH_BYTES of output or BATCH_JOBS hashes: small
 * enough for the caches and an 8 MiB budget, large enough that handing it
 * to the other thread costs nothing.  Values longer than INLINE_MAX are
 * hashed at once, from where they are, rather than copied; values up to
 * LATE_MAX are copied as they are and normalized by the job, so that the
 * thread that reads the input does not.
 */
#define BATCH_BYTES	(256 * 1024)
#define BATCH_JOBS	8192
#define JOB_CHUNK	256		/* jobs claimed at a time */
#define INLINE_MAX	(64 * 1024)
#define LATE_MAX	256
#define FEED_CHUNK	4096

/*
 * A hash to compute: the value at arena[voff], its hex to buf[doff].
 * norm is the normalization still to apply (NORM_NONE when done); a job
 * whose value is not an address sets bad, and the batch is cut at rstart,
 * where the job's record begins.
 */
struct job {
	size_t			 voff, vlen, doff, rstart;
	unsigned long long	 line;
	const struct column	*col;
	int			 norm, bad;
};

struct batch {
	char		*buf;
	size_t		 len, cap, mark;
	char		*arena;
	size_t		 alen, acap, amark;
	struct job	*jobs;
	size_t		 njobs, jcap, jmark;
	int		 bad;		/* a job found a bad value */
};

struct out {
	int		 fd, format;
	struct batch	 b[2];
	int		 cur;		/* the batch being filled */
	int		 pending;	/* the other one is being hashed */
	unsigned long long line;	/* of the record being put */
	char		*scratch;	/* a normalized value to mask */
	size_t		 scap;

	int		 threaded;
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 wake, idle;
	struct batch	*work;		/* whose jobs are claimed */
	size_t		 next;		/* its next job to claim */
	size_t		 active;	/* chunks claimed, not yet done */
	int		 quit;
	int		 bomguard;	/* see out_bomguard */
	size_t		 phend;		/* where the last placeholder ends */
};

static const char hexdigits[] = "0123456789abcdef";

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL)
		err(EXIT_FAIL, "out of memory");
	return p;
}

/* Make room for n more bytes in *buf (of *cap, *len used). */
static void
grow(char **buf, size_t *cap, size_t len, size_t n)
{
	size_t c = *cap;

	if (n <= c - len)
		return;
	if (len + n < len)
		errx(EXIT_FAIL, "out of memory");
	while (c - len < n)
		c = c < BATCH_BYTES ? BATCH_BYTES : c > SIZE_MAX / 2 ?
		    SIZE_MAX : c * 2;
	*buf = xrealloc(*buf, c);
	*cap = c;
}

/* The first opt.hexlen hex digits of d to dst. */
static void
put_hex(char *dst, const unsigned char d[HASH_LEN])
{
	char hex[HASH_HEXLEN];
#ifdef __SSE2__
	/* Nibbles side by side, then '0' + n, plus 39 more for a-f. */
	const __m128i low = _mm_set1_epi8(0x0f), nine = _mm_set1_epi8(9);
	const __m128i zero = _mm_set1_epi8('0'), gap = _mm_set1_epi8(39);
	__m128i v, hi, lo, a, b;
	int k;

	for (k = 0; k < 2; k++) {
		v = _mm_loadu_si128((const __m128i *)(const void *)
		    (d + 16 * k));
		hi = _mm_and_si128(_mm_srli_epi16(v, 4), low);
		lo = _mm_and_si128(v, low);
		a = _mm_unpacklo_epi8(hi, lo);
		b = _mm_unpackhi_epi8(hi, lo);
		a = _mm_add_epi8(_mm_add_epi8(a, zero),
		    _mm_and_si128(_mm_cmpgt_epi8(a, nine), gap));
		b = _mm_add_epi8(_mm_add_epi8(b, zero),
		    _mm_and_si128(_mm_cmpgt_epi8(b, nine), gap));
		_mm_storeu_si128((__m128i *)(void *)(hex + 32 * k), a);
		_mm_storeu_si128((__m128i *)(void *)(hex + 32 * k + 16), b);
	}
#else
	size_t i;

	for (i = 0; i < HASH_LEN; i++) {
		hex[2 * i] = hexdigits[d[i] >> 4];
		hex[2 * i + 1] = hexdigits[d[i] & 15];
	}
#endif
	if (opt.hexlen == HASH_HEXLEN)
		memcpy(dst, hex, HASH_HEXLEN);	/* inlined */
	else
		memcpy(dst, hex, opt.hexlen);
}

/*
 * The message of job j: its value normalized into tmp (of LATE_MAX
 * bytes) if that is still to do, else where it is.  NULL, with j->bad
 * set, if it should have been an address and is not.
 */
static const char *
message(struct batch *b, struct job *j, char *tmp, size_t *len)
{
	const char *v = b->arena + j->voff;
	int n;

	*len = j->vlen;
	switch (j->norm) {
	case NORM_NONE:
		return v;
	case NORM_IP:
		if ((n = ip_canon(v, j->vlen, tmp)) == -1) {
			j->bad = 1;
			return NULL;
		}
		*len = (size_t)n;
		return tmp;
	default:
		*len = norm_map(j->norm, v, j->vlen, tmp);
		return tmp;
	}
}

/* Run jobs from..to-1 of b, two at a time where the hash allows.
 * Returns whether one found a bad value. */
static int
run_jobs(struct batch *b, size_t from, size_t to)
{
	char t1[LATE_MAX], t2[LATE_MAX];
	unsigned char d1[HASH_LEN], d2[HASH_LEN];
	struct job *j, *end, *one;
	const char *m1, *m2;
	size_t l1, l2;
	int bad = 0;

	/* No jobs: b->jobs may be NULL, and NULL + 0 is undefined. */
	if (from == to)
		return 0;
	j = b->jobs + from;
	end = b->jobs + to;
	while (j < end) {
		if ((m1 = message(b, j, t1, &l1)) == NULL) {
			bad = 1;
			j++;
			continue;
		}
		if (j + 1 < end && (m2 = message(b, j + 1, t2, &l2)) != NULL) {
			if (opt.hash == ACT_HMAC)
				hmac_buf2(&opt.key, m1, l1, m2, l2, d1, d2);
			else
				hmac_salted2(m1, l1, m2, l2, opt.salt,
				    opt.saltlen, d1, d2);
			put_hex(b->buf + j[0].doff, d1);
			put_hex(b->buf + j[1].doff, d2);
			j += 2;
			continue;
		}
		one = j;
		if (j + 1 < end) {	/* the second was bad */
			bad = 1;
			j++;
		}
		j++;
		if (opt.hash == ACT_HMAC)
			hmac_buf(&opt.key, m1, l1, d1);
		else {
			hash_ctx ctx;

			hash_init(&ctx);
			hash_update(&ctx, m1, l1);
			hash_update(&ctx, opt.salt, opt.saltlen);
			hash_final(&ctx, d1);
		}
		put_hex(b->buf + one->doff, d1);
	}
	return bad;
}

static void *
worker(void *arg)
{
	struct out *o = arg;
	struct batch *b;
	size_t from, to;
	int bad;

	pthread_mutex_lock(&o->mu);
	for (;;) {
		while (!o->quit && (o->work == NULL ||
		    o->next >= o->work->njobs))
			pthread_cond_wait(&o->wake, &o->mu);
		if (o->quit)
			break;
		b = o->work;
		from = o->next;
		to = b->njobs - from > JOB_CHUNK ? from + JOB_CHUNK : b->njobs;
		o->next = to;
		o->active++;
		pthread_mutex_unlock(&o->mu);
		bad = run_jobs(b, from, to);
		pthread_mutex_lock(&o->mu);
		b->bad |= bad;
		if (--o->active == 0)
			pthread_cond_signal(&o->idle);
	}
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

static void
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			err(EXIT_FAIL, "stdout");
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Write b up to its last complete record, or up to the record of its
 * first bad job and then end the program; empty b.  A buffer grown for a
 * huge record goes back to the usual size. */
static void
flush_batch(struct out *o, struct batch *b)
{
	struct job *j;

	if (b->bad) {
		for (j = b->jobs; !j->bad; j++)
			continue;
		write_all(o->fd, b->buf, j->rstart);
		input_error(j->line, "%.*s: not an IP address",
		    (int)j->col->labellen, j->col->spec);
		exit(EXIT_FAIL);
	}
	write_all(o->fd, b->buf, b->mark);
	b->len = b->mark = b->alen = b->amark = b->njobs = b->jmark = 0;
	if (b->cap > 4 * BATCH_BYTES) {
		free(b->buf);
		b->buf = NULL;
		b->cap = 0;
	}
	if (b->acap > 4 * BATCH_BYTES) {
		free(b->arena);
		b->arena = NULL;
		b->acap = 0;
	}
}

/* Run b's jobs with the hashing thread's help, if any, then write it.
 * b ends with a complete record (njobs is jmark): it is finished only
 * from out_record, or after out_discard. */
static void
finish(struct out *o, struct batch *b)
{
	size_t from, to;
	int bad;

	if (!o->threaded) {
		b->bad |= run_jobs(b, 0, b->njobs);
		flush_batch(o, b);
		return;
	}
	pthread_mutex_lock(&o->mu);
	if (o->work != b) {
		o->work = b;
		o->next = 0;
		pthread_cond_signal(&o->wake);
	}
	while (o->next < b->njobs) {
		from = o->next;
		to = b->njobs - from > JOB_CHUNK ? from + JOB_CHUNK : b->njobs;
		o->next = to;
		o->active++;
		pthread_mutex_unlock(&o->mu);
		bad = run_jobs(b, from, to);
		pthread_mutex_lock(&o->mu);
		b->bad |= bad;
		o->active--;
	}
	while (o->active > 0)
		pthread_cond_wait(&o->idle, &o->mu);
	o->work = NULL;
	pthread_mutex_unlock(&o->mu);
	flush_batch(o, b);
}

/* The batch being filled is full: finish the one before it, and hand
 * this one to the hashing thread (or finish it too, without one). */
static void
cycle(struct out *o)
{
	struct batch *b = &o->b[o->cur];

	if (o->pending) {
		finish(o, &o->b[!o->cur]);
		o->pending = 0;
	}
	if (!o->threaded || b->njobs == 0) {
		finish(o, b);
		return;
	}
	pthread_mutex_lock(&o->mu);
	o->work = b;
	o->next = 0;
	pthread_cond_signal(&o->wake);
	pthread_mutex_unlock(&o->mu);
	o->pending = 1;
	o->cur = !o->cur;
}

struct out *
out_open(int fd, int format)
{
	struct out *o;
	long ncpu;

	if ((o = calloc(1, sizeof *o)) == NULL)
		err(EXIT_FAIL, "out of memory");
	o->phend = SIZE_MAX;
	o->fd = fd;
	o->format = format;
	if (opt.hash == 0)
		return o;
	/* Chosen here, before a second thread could race to choose. */
	(void)hash_sha256();
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 2)
		return o;
	if (pthread_mutex_init(&o->mu, NULL) != 0 ||
	    pthread_cond_init(&o->wake, NULL) != 0 ||
	    pthread_cond_init(&o->idle, NULL) != 0)
		return o;
	if (pthread_create(&o->thread, NULL, worker, o) == 0)
		o->threaded = 1;
	return o;
}

/* Everything complete so far, written (or the program ended, if a job
 * found a bad value). */
static void
drain(struct out *o)
{
	if (o->pending) {
		finish(o, &o->b[!o->cur]);
		o->pending = 0;
	}
	finish(o, &o->b[o->cur]);
}

void
out_close(struct out *o)
{
	drain(o);
	if (o->threaded) {
		pthread_mutex_lock(&o->mu);
		o->quit = 1;
		pthread_cond_signal(&o->wake);
		pthread_mutex_unlock(&o->mu);
		pthread_join(o->thread, NULL);
	}
	free(o->b[0].buf);
	free(o->b[0].arena);
	free(o->b[0].jobs);
	free(o->b[1].buf);
	free(o->b[1].arena);
	free(o->b[1].jobs);
	free(o->scratch);
	free(o);
}

void
out_error(struct out *o, unsigned long long line, const char *fmt, ...)
{
	va_list ap;

	out_discard(o);
	drain(o);
	fprintf(stderr, "%s: stdin: line %llu: ", err_progname(), line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
out_put(struct out *o, const void *p, size_t n)
{
	struct batch *b = &o->b[o->cur];

	if (n == 0)
		return;
	if (n > b->cap - b->len)
		grow(&b->buf, &b->cap, b->len, n);
	fastcopy(b->buf + b->len, p, n);
	b->len += n;
}

void
out_putc(struct out *o, int c)
{
	struct batch *b = &o->b[o->cur];

	if (b->len == b->cap)
		grow(&b->buf, &b->cap, b->len, 1);
	b->buf[b->len++] = (char)c;
}

void
out_bomguard(struct out *o)
{
	o->bomguard = 1;
}

/* The first record is complete: if it begins with a byte order mark
 * (which the input did not have), put one before it.  Its hashes are
 * not computed yet: a placeholder there is hex digits, no mark. */
static void
guard_bom(struct out *o, struct batch *b)
{
	size_t i;

	o->bomguard = 0;
	if (b->mark != 0 || b->len < 3 || memcmp(b->buf, UTF8_BOM, 3) != 0)
		return;
	for (i = 0; i < b->njobs; i++)
		if (b->jobs[i].doff < 3)
			return;
	grow(&b->buf, &b->cap, b->len, 3);
	memmove(b->buf + 3, b->buf, b->len);
	memcpy(b->buf, UTF8_BOM, 3);
	b->len += 3;
	for (i = 0; i < b->njobs; i++)
		b->jobs[i].doff += 3;
}

void
out_record(struct out *o)
{
	struct batch *b = &o->b[o->cur];

	if (o->bomguard)
		guard_bom(o, b);
	o->phend = SIZE_MAX;
	b->mark = b->len;
	b->amark = b->alen;
	b->jmark = b->njobs;
	if (b->len >= BATCH_BYTES || b->njobs >= BATCH_JOBS)
		cycle(o);
}

void
out_discard(struct out *o)
{
	struct batch *b = &o->b[o->cur];

	b->len = b->mark;
	b->alen = b->amark;
	b->njobs = b->jmark;
}

size_t
out_pending(const struct out *o)
{
	const struct batch *b = &o->b[o->cur];

	return b->len - b->mark;
}

/* Room for opt.hexlen hex digits, filled in later or now. */
static size_t
placeholder(struct out *o)
{
	struct batch *b = &o->b[o->cur];

	grow(&b->buf, &b->cap, b->len, opt.hexlen);
	b->len += opt.hexlen;
	o->phend = b->len;
	return b->len - opt.hexlen;
}

/* A placeholder's bytes are not there yet, but they are hex digits. */
int
out_endcr(const struct out *o)
{
	const struct batch *b = &o->b[o->cur];

	return b->len > b->mark && b->len != o->phend &&
	    b->buf[b->len - 1] == '\r';
}

/* A job for v[n], normalized by norm already or (late) by the job. */
static void
add_job(struct out *o, const struct column *c, const char *v, size_t n,
    int late)
{
	struct batch *b = &o->b[o->cur];
	struct job *j;

	if (b->njobs == b->jcap) {
		b->jcap = b->jcap == 0 ? BATCH_JOBS : b->jcap * 2;
		if ((b->jobs = reallocarray(b->jobs, b->jcap, sizeof *j)) ==
		    NULL)
			err(EXIT_FAIL, "out of memory");
	}
	j = &b->jobs[b->njobs++];
	grow(&b->arena, &b->acap, b->alen, n);
	fastcopy(b->arena + b->alen, v, n);
	j->voff = b->alen;
	j->vlen = n;
	b->alen += n;
	j->doff = placeholder(o);
	j->rstart = b->mark;
	j->line = o->line;
	j->col = c;
	j->norm = late;
	j->bad = 0;
}

/* A value too long to copy, hashed now in pieces, normalized on the way
 * (not for ip: no address is this long).  Nothing is written if the
 * normalized value is empty. */
static void
hash_now(struct out *o, int norm, const char *v, size_t n)
{
	struct batch *b;
	unsigned char d[HASH_LEN];
	char piece[FEED_CHUNK];
	size_t m, total, k;
	hash_ctx ctx;

	if (opt.hash == ACT_HMAC)
		hmac_start(&opt.key, &ctx);
	else
		hash_init(&ctx);
	for (total = 0; n > 0; v += k, n -= k) {
		k = n < sizeof piece ? n : sizeof piece;
		m = norm_map(norm, v, k, piece);
		hash_update(&ctx, piece, m);
		total += m;
	}
	if (opt.hash == ACT_HMAC)
		hmac_finish(&opt.key, &ctx, d);
	else {
		hash_update(&ctx, opt.salt, opt.saltlen);
		hash_final(&ctx, d);
	}
	if (total > 0) {
		k = placeholder(o);
		b = &o->b[o->cur];
		put_hex(b->buf + k, d);
	}
}

/* s[n] as the body of a JSON string: quote, backslash and control
 * characters escaped. */
static void
put_json_chars(struct out *o, const char *s, size_t n)
{
	char e[8];
	size_t i, from = 0;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		out_put(o, s + from, i - from);
		from = i + 1;
		e[0] = '\\';
		switch (c) {
		case '"': case '\\':	e[1] = c; break;
		case '\b':		e[1] = 'b'; break;
		case '\f':		e[1] = 'f'; break;
		case '\n':		e[1] = 'n'; break;
		case '\r':		e[1] = 'r'; break;
		case '\t':		e[1] = 't'; break;
		default:
			memcpy(e, "\\u00", 4);
			e[4] = hexdigits[c >> 4];
			e[5] = hexdigits[c & 15];
			out_put(o, e, 6);
			continue;
		}
		out_put(o, e, 2);
	}
	out_put(o, s + from, n - from);
}

/* The masked value: a star per character but the last MASK_KEEP, then
 * those, quoted or escaped as the format needs. */
static void
put_mask(struct out *o, const char *v, size_t n)
{
	struct batch *b;
	size_t stars, keep = mask_split(v, n, &stars), i, from;
	int quote;

	quote = o->format == FMT_JSONL || (o->format == FMT_CSV &&
	    csv_needs_quotes(v + keep, n - keep, ',', '"'));
	if (quote)
		out_putc(o, '"');
	/* No stars: the buffer may still be NULL, and NULL + 0 is
	 * undefined. */
	if (stars > 0) {
		b = &o->b[o->cur];
		grow(&b->buf, &b->cap, b->len, stars);
		memset(b->buf + b->len, '*', stars);
		b->len += stars;
	}
	v += keep;
	n -= keep;
	if (o->format == FMT_JSONL)
		put_json_chars(o, v, n);
	else if (quote) {
		/* Each quote doubled: written up to and including it, and
		 * then once more. */
		for (i = from = 0; i < n; i++)
			if (v[i] == '"') {
				out_put(o, v + from, i + 1 - from);
				from = i;
			}
		out_put(o, v + from, n - from);
	} else
		out_put(o, v, n);
	if (quote)
		out_putc(o, '"');
}

static int
has_digit(const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] >= '0' && v[i] <= '9')
			return 1;
	return 0;
}

int
out_value(struct out *o, const struct column *c, const char *v, size_t n,
    unsigned long long line)
{
	struct batch *b;
	char ip[IP_MAXTEXT];
	int len;

	o->line = line;
	if (c->action == ACT_REDACT) {
		if (o->format == FMT_JSONL)
			out_put(o, "\"" REDACTED "\"", sizeof REDACTED + 1);
		else
			out_put(o, REDACTED, sizeof REDACTED - 1);
		return 0;
	}
	norm_trim(c->norm, &v, &n);
	if (c->action == ACT_MASK) {
		if (c->norm == NORM_IP && n > 0) {
			if ((len = ip_canon(v, n, ip)) == -1)
				return -1;
			v = ip;
			n = (size_t)len;
		} else if (c->norm != NORM_NONE && c->norm != NORM_TRIM &&
		    n > 0) {
			/* (Blanks trimmed to nothing leave nothing to map,
			 * and no scratch buffer to point into.) */
			if (n > o->scap) {
				o->scratch = xrealloc(o->scratch, n);
				o->scap = n;
			}
			n = norm_map(c->norm, v, n, o->scratch);
			v = o->scratch;
		}
		put_mask(o, v, n);
		return 0;
	}
	if (o->format == FMT_JSONL)
		out_putc(o, '"');
	if (c->norm == NORM_DIGITS && !has_digit(v, n))
		n = 0;
	if (n == 0)
		;	/* nothing left to hash: empty stays empty */
	else if (c->norm == NORM_IP) {
		if (n >= IP_MAXTEXT)
			return -1;
		add_job(o, c, v, n, NORM_IP);
	} else if (n > INLINE_MAX)
		hash_now(o, c->norm, v, n);
	else if (c->norm == NORM_NONE || c->norm == NORM_TRIM)
		add_job(o, c, v, n, NORM_NONE);
	else if (n <= LATE_MAX)
		add_job(o, c, v, n, c->norm);
	else {
		/* Normalized here, over its copy in the arena. */
		add_job(o, c, v, n, NORM_NONE);
		b = &o->b[o->cur];
		b->jobs[b->njobs - 1].vlen = norm_map(c->norm, v, n,
		    b->arena + b->jobs[b->njobs - 1].voff);
	}
	if (o->format == FMT_JSONL)
		out_putc(o, '"');
	return 0;
}
