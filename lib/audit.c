/* audit.c - the audit log writer shared by auditlog and every program. */
/* SPDX-License-Identifier: ISC */

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/atomic.h"
#include "lib/audit.h"
#include "lib/err.h"
#include "lib/hmac.h"

#define CHAIN_LABEL	"dkaudit1 chain\n"
#define STATE_TAG	"dkaudit1 state\n"
#define SLOT_SIZE	512		/* bytes of a state slot */
#define SLOT_STRIDE	4096		/* slots in different blocks */
#define FLUSH_AT	(256 * 1024)	/* write a batch's records then */
#define READ_CHUNK	(1 << 20)
#define MACTAIL		70		/* " mac=" HEX64 "\n" */

/* The header's keys, in their order; a record's own fields come after. */
static const char *const hdrkeys[] = {
	"seq", "ts", "host", "env", "user", "uid", "pid", "prog", "type"
};
#define NHDRKEYS	(sizeof(hdrkeys) / sizeof(hdrkeys[0]))

static const char *const reserved[] = { "init", "rotate", "recover" };

static int	needs_enc(unsigned char c);
static int	valid_word(const char *s, size_t len);
static int	valid_key(const char *s, size_t len);
static int	fail(struct audit *a, int e, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
static int	split_path(const char *path, char *dir, size_t dsize,
		    char *name, size_t nsize);
static int	suffixed(char *buf, const char *name, const char *suffix);
static int	make_hdr(struct audit *a);
static void	now_ts(const struct audit *a, char ts[TIME_RFC3339LEN]);
static int	make_record(struct audit *a, const char *type,
		    const struct audit_field *f, size_t n, int nlfirst);
static int	write_all(int fd, const void *buf, size_t len);
static int	flush_buf(struct audit *a);
static int	lock_wait(int fd);
static int	tail_matches(int fd, const struct audit_state *st);
static int	verify_next(const struct audit_state *st, const char *line,
		    size_t len, struct audit_rec *r);
static void	take_in(struct audit_state *st, const struct audit_rec *r,
		    uint64_t end);
static int	rotated_start(struct audit *a);
static int	finish_rotation(struct audit *a);
static int	recover(struct audit *a, uint64_t base, uint64_t size);
static int	add_fields(struct audit *a, const char *type,
		    const struct audit_field *f, size_t n, int internal,
		    uint64_t *seq);
static void	state_format(const struct audit_state *st, char *buf);
static int	state_parse(const char *buf, struct audit_state *st);

/* ---- encoding ------------------------------------------------------ */

static int
needs_enc(unsigned char c)
{
	return c < 0x21 || c > 0x7e || c == '%' || c == '=';
}

size_t
audit_enclen(const void *in, size_t len)
{
	const unsigned char *p = in;
	size_t i, n = len;

	for (i = 0; i < len; i++)
		if (needs_enc(p[i]))
			n += 2;
	return n;
}

size_t
audit_encode(char *out, const void *in, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = in;
	size_t i, o = 0;

	if (out == NULL)
		return audit_enclen(in, len);
	for (i = 0; i < len; i++) {
		if (needs_enc(p[i])) {
			out[o++] = '%';
			out[o++] = hex[p[i] >> 4];
			out[o++] = hex[p[i] & 15];
		} else
			out[o++] = p[i];
	}
	return o;
}

static int
uhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
lhex(int c)
{
	return c >= 'a' && c <= 'f';
}

static int
lowhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Check that in[len] is the canonical encoding of something, decoding it
 * into out (if not NULL); the reason into *why. */
static int
check_value(const char *in, size_t len, char *out, size_t *outlen,
    const char **why)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i, o = 0;
	int h, l;

	for (i = 0; i < len; i++) {
		if (p[i] == '%') {
			if (i + 2 >= len) {
				*why = "'%' not followed by two hex digits";
				return -1;
			}
			h = uhex(p[i + 1]);
			l = uhex(p[i + 2]);
			if (h < 0 || l < 0) {
				*why = (h >= 0 || lhex(p[i + 1])) &&
				    (l >= 0 || lhex(p[i + 2])) ?
				    "lower-case hex digits" :
				    "'%' not followed by two hex digits";
				return -1;
			}
			if (!needs_enc((unsigned char)(h << 4 | l))) {
				*why = "a byte encoded that needs no encoding";
				return -1;
			}
			if (out != NULL)
				out[o] = (char)(h << 4 | l);
			o++;
			i += 2;
		} else if (needs_enc(p[i])) {
			*why = p[i] == '=' ? "a raw '='" :
			    "a raw byte that must be encoded";
			return -1;
		} else {
			if (out != NULL)
				out[o] = p[i];
			o++;
		}
	}
	if (outlen != NULL)
		*outlen = o;
	return 0;
}

int
audit_decode(const char *in, size_t len, char *out, size_t *outlen)
{
	const char *why;

	if (check_value(in, len, out, outlen, &why) == -1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* [a-z0-9._-]+ starting with a letter or digit, at most AUDIT_MAXKEY. */
static int
valid_word(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > AUDIT_MAXKEY)
		return 0;
	for (i = 0; i < len; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9'))
			continue;
		if (i > 0 && (s[i] == '.' || s[i] == '_' || s[i] == '-'))
			continue;
		return 0;
	}
	return 1;
}

/* A key of a record's own field: a word, not a header key nor "mac". */
static int
valid_key(const char *s, size_t len)
{
	size_t i;

	if (!valid_word(s, len))
		return 0;
	if (len == 3 && memcmp(s, "mac", 3) == 0)
		return 0;
	for (i = 0; i < NHDRKEYS; i++)
		if (strlen(hdrkeys[i]) == len &&
		    memcmp(hdrkeys[i], s, len) == 0)
			return 0;
	return 1;
}

/* ---- cryptography -------------------------------------------------- */

void
audit_step(const unsigned char k[HASH_LEN], unsigned char m[HASH_LEN],
    unsigned char next[HASH_LEN])
{
	struct hmac_key hk;

	hmac_key_init(&hk, k, HASH_LEN);
	hmac_buf(&hk, "mac", 3, m);
	hmac_buf(&hk, "next", 4, next);
	hmac_key_wipe(&hk);
}

void
audit_mac(const unsigned char m[HASH_LEN], const unsigned char id[AUDIT_IDLEN],
    uint64_t seq, const unsigned char prev[HASH_LEN], const char *line,
    size_t len, unsigned char out[HASH_LEN])
{
	unsigned char pre[AUDIT_TAGLEN + AUDIT_IDLEN + 8 + HASH_LEN];
	struct hmac_key hk;
	hash_ctx ctx;
	int i;

	memcpy(pre, AUDIT_TAG, AUDIT_TAGLEN);
	memcpy(pre + AUDIT_TAGLEN, id, AUDIT_IDLEN);
	for (i = 0; i < 8; i++)
		pre[AUDIT_TAGLEN + AUDIT_IDLEN + i] = seq >> (56 - 8 * i);
	memcpy(pre + AUDIT_TAGLEN + AUDIT_IDLEN + 8, prev, HASH_LEN);
	hmac_key_init(&hk, m, HASH_LEN);
	hmac_start(&hk, &ctx);
	hash_update(&ctx, pre, sizeof pre);
	hash_update(&ctx, line, len);
	hmac_finish(&hk, &ctx, out);
	hmac_key_wipe(&hk);
}

void
audit_chain(unsigned char head[HASH_LEN], const char *line, size_t len)
{
	hash_ctx ctx;

	hash_init(&ctx);
	hash_update(&ctx, CHAIN_LABEL, sizeof(CHAIN_LABEL) - 1);
	hash_update(&ctx, head, HASH_LEN);
	hash_update(&ctx, line, len);
	hash_final(&ctx, head);
}

/* ---- parsing ------------------------------------------------------- */

int
audit_number(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20 || (len > 1 && s[0] == '0')) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9') {
			errno = EINVAL;
			return -1;
		}
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10) {
			errno = ERANGE;
			return -1;
		}
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* YYYY-mm-ddTHH:MM:SS.uuuuuuZ with plausible ranges. */
static int
valid_ts(const char *s, size_t len)
{
	static const char form[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	size_t i;
	int mon, day, h, m, sec;

	if (len != sizeof(form) - 1)
		return 0;
	for (i = 0; i < len; i++)
		if (form[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != form[i])
			return 0;
	mon = (s[5] - '0') * 10 + s[6] - '0';
	day = (s[8] - '0') * 10 + s[9] - '0';
	h = (s[11] - '0') * 10 + s[12] - '0';
	m = (s[14] - '0') * 10 + s[15] - '0';
	sec = (s[17] - '0') * 10 + s[18] - '0';
	return mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && h < 24 &&
	    m < 60 && sec < 61;
}

int
audit_parse(const char *line, size_t len, struct audit_rec *r, char *why,
    size_t whysize)
{
	const unsigned char *p, *end, *tok, *eq;
	size_t klen, vlen, k;
	int i, h, l;

	memset(r, 0, sizeof *r);
	r->line = line;
	r->len = len;
	errno = EINVAL;
#define BAD(...) do { snprintf(why, whysize, __VA_ARGS__); return -1; } \
	while (0)
	if (len == 0 || line[len - 1] != '\n')
		BAD("no newline at the end");
	if (len > AUDIT_MAXLINE)
		BAD("line too long");
	if (len < AUDIT_TAGLEN + 1 + MACTAIL ||
	    memcmp(line, AUDIT_TAG " ", AUDIT_TAGLEN + 1) != 0)
		BAD("not a %s record", AUDIT_TAG);
	end = (const unsigned char *)line + len - MACTAIL;
	if (memcmp(end, " mac=", 5) != 0)
		BAD("no mac= at the end");
	/* The MAC is public: no need to decode it in constant time. */
	for (i = 0; i < HASH_LEN; i++) {
		if ((h = lowhex(end[5 + 2 * i])) < 0 ||
		    (l = lowhex(end[6 + 2 * i])) < 0)
			BAD("mac is not 64 lower-case hex digits");
		r->mac[i] = (unsigned char)(h << 4 | l);
	}
	r->maclen = len - MACTAIL + 5;
	p = (const unsigned char *)line + AUDIT_TAGLEN + 1;
	for (k = 0;; k++) {
		/* The key, up to '='. */
		for (tok = p; p < end && *p != '=' && *p != ' '; p++)
			;
		if (p == end || *p == ' ')
			BAD(p == tok ? "an empty field" :
			    "a field without '='");
		eq = p;
		klen = (size_t)(eq - tok);
		if (k < NHDRKEYS) {
			if (klen != strlen(hdrkeys[k]) ||
			    memcmp(tok, hdrkeys[k], klen) != 0)
				BAD("field %zu is not %s=", k + 1, hdrkeys[k]);
		} else if (!valid_key((const char *)tok, klen))
			BAD("a bad key \"%.*s\"", klen > AUDIT_MAXKEY ?
			    AUDIT_MAXKEY : (int)klen, tok);
		/* The value, up to a space, each byte checked once. */
		for (p++; p < end && *p != ' '; p++) {
			if (!needs_enc(*p))
				continue;
			if (*p == '%' && end - p > 2 && (h = uhex(p[1])) >= 0 &&
			    (l = uhex(p[2])) >= 0 &&
			    needs_enc((unsigned char)(h << 4 | l))) {
				p += 2;
				continue;
			}
			/* Say exactly what is wrong. */
			{
				const char *reason;

				check_value((const char *)eq + 1, (size_t)(end -
				    eq - 1), NULL, NULL, &reason);
				BAD("bad encoding of %.*s: %s",
				    klen > AUDIT_MAXKEY ? AUDIT_MAXKEY :
				    (int)klen, tok, reason);
			}
		}
		vlen = (size_t)(p - eq - 1);
		switch (k) {
		case 0:
			if (audit_number((const char *)eq + 1, vlen, &r->seq) ==
			    -1)
				BAD("bad seq");
			break;
		case 1:
			if (!valid_ts((const char *)eq + 1, vlen))
				BAD("bad ts");
			r->ts = (const char *)eq + 1;
			break;
		case NHDRKEYS - 1:
			if (vlen == 0)
				BAD("empty type");
			r->type = (const char *)eq + 1;
			r->typelen = vlen;
			r->fields = (const char *)p;
			break;
		}
		if (p == end)
			break;
		p++;
	}
	if (k < NHDRKEYS - 1 || r->type == NULL)
		BAD("missing fields (no type=)");
	r->fieldslen = (size_t)((const char *)end - r->fields);
#undef BAD
	return 0;
}

int
audit_get(const struct audit_rec *r, const char *key, char *out, size_t size,
    size_t *len)
{
	const char *p = r->fields, *end = r->fields + r->fieldslen, *v, *q;
	const char *why;
	size_t klen = strlen(key), n;

	while (p < end) {
		p++;	/* the space */
		q = memchr(p, ' ', (size_t)(end - p));
		if (q == NULL)
			q = end;
		if ((size_t)(q - p) > klen && memcmp(p, key, klen) == 0 &&
		    p[klen] == '=') {
			v = p + klen + 1;
			if (check_value(v, (size_t)(q - v), NULL, &n,
			    &why) == -1) {
				errno = EINVAL;
				return -1;
			}
			if (n > size) {
				errno = ENAMETOOLONG;
				return -1;
			}
			check_value(v, (size_t)(q - v), out, &n, &why);
			if (n < size)
				out[n] = '\0';
			if (len != NULL)
				*len = n;
			return 0;
		}
		p = q;
	}
	errno = ENOENT;
	return -1;
}

/* ---- the state file ------------------------------------------------ */

static void
state_format(const struct audit_state *st, char *buf)
{
	char id[2 * AUDIT_IDLEN + 1], key[HASH_HEXLEN + 1];
	char mac[HASH_HEXLEN + 1], head[HASH_HEXLEN + 1], sum[HASH_HEXLEN + 1];
	unsigned char h[HASH_LEN];
	int n;

	hash_hex(st->id, AUDIT_IDLEN, id);
	hash_hex(st->key, HASH_LEN, key);
	hash_hex(st->mac, HASH_LEN, mac);
	hash_hex(st->head, HASH_LEN, head);
	memset(buf, 0, SLOT_SIZE);
	n = snprintf(buf, SLOT_SIZE, "%sid %s\nseq %llu\nkey %s\nmac %s\n"
	    "head %s\nsize %llu\nts %s\n", STATE_TAG, id,
	    (unsigned long long)st->seq, key, mac, head,
	    (unsigned long long)st->size, st->ts[0] ? st->ts : "-");
	hash_buf(buf, (size_t)n, h);
	hash_hex(h, HASH_LEN, sum);
	snprintf(buf + n, SLOT_SIZE - (size_t)n, "sum %s\n", sum);
	explicit_bzero(key, sizeof key);
}

/* Parse a slot: every line as state_format makes it, the sum right. */
static int
state_parse(const char *buf, struct audit_state *st)
{
	static const char *const names[] = {
		"id ", "seq ", "key ", "mac ", "head ", "size ", "ts ", "sum "
	};
	const char *p, *nl, *v;
	unsigned char h[HASH_LEN], want[HASH_LEN];
	size_t i, vlen, sumat = 0;
	uint64_t n;

	if (memcmp(buf, STATE_TAG, sizeof(STATE_TAG) - 1) != 0)
		return -1;
	p = buf + sizeof(STATE_TAG) - 1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((nl = memchr(p, '\n', SLOT_SIZE - (size_t)(p - buf))) ==
		    NULL || strncmp(p, names[i], strlen(names[i])) != 0)
			return -1;
		v = p + strlen(names[i]);
		vlen = (size_t)(nl - v);
		switch (i) {
		case 0:
			if (vlen != 2 * AUDIT_IDLEN ||
			    hash_unhex(v, st->id, AUDIT_IDLEN) == -1)
				return -1;
			break;
		case 1:
		case 5:
			if (audit_number(v, vlen, &n) == -1)
				return -1;
			if (i == 1)
				st->seq = n;
			else
				st->size = n;
			break;
		case 2:
		case 3:
		case 4:
		case 7:
			if (vlen != HASH_HEXLEN || hash_unhex(v, i == 2 ?
			    st->key : i == 3 ? st->mac : i == 4 ? st->head :
			    want, HASH_LEN) == -1)
				return -1;
			break;
		case 6:
			if (vlen == 1 && *v == '-')
				st->ts[0] = '\0';
			else if (valid_ts(v, vlen)) {
				memcpy(st->ts, v, vlen);
				st->ts[vlen] = '\0';
			} else
				return -1;
			sumat = (size_t)(nl + 1 - buf);
			break;
		}
		p = nl + 1;
	}
	hash_buf(buf, sumat, h);
	return hash_equal(h, want, HASH_LEN) ? 0 : -1;
}

int
audit_state_read(int fd, struct audit_state *st)
{
	char buf[2][SLOT_SIZE + 1];
	struct audit_state s[2];
	ssize_t n;
	int i, ok[2];

	for (i = 0; i < 2; i++) {
		memset(buf[i], 0, sizeof buf[i]);
		do
			n = pread(fd, buf[i], SLOT_SIZE,
			    (off_t)i * SLOT_STRIDE);
		while (n == -1 && errno == EINTR);
		if (n == -1)
			return -1;
		ok[i] = state_parse(buf[i], &s[i]) == 0;
	}
	explicit_bzero(buf, sizeof buf);
	if (!ok[0] && !ok[1]) {
		explicit_bzero(s, sizeof s);
		errno = EBADMSG;
		return -1;
	}
	/* Both valid: a writer died between writing one and wiping the
	 * other; the newer is the state. */
	i = ok[0] && ok[1] ? s[1].seq > s[0].seq : ok[1];
	*st = s[i];
	st->slot = i;
	explicit_bzero(s, sizeof s);
	return 0;
}

int
audit_state_write(int fd, struct audit_state *st)
{
	char buf[SLOT_SIZE];
	int slot = st->slot == 0 ? 1 : 0;
	ssize_t n;

	state_format(st, buf);
	do
		n = pwrite(fd, buf, SLOT_SIZE, (off_t)slot * SLOT_STRIDE);
	while (n == -1 && errno == EINTR);
	explicit_bzero(buf, sizeof buf);
	if (n != SLOT_SIZE) {
		if (n >= 0)
			errno = EIO;
		return -1;
	}
	if (fdatasync(fd) == -1)
		return -1;
	/*
	 * The older slot holds the previous key: overwrite it in place.
	 * Not synced (that would cost another flush per record): the
	 * kernel writes it back within its writeback interval, and the
	 * next update overwrites it again anyway.
	 */
	if (st->slot == 0 || st->slot == 1) {
		memset(buf, 0, sizeof buf);
		do
			n = pwrite(fd, buf, SLOT_SIZE,
			    (off_t)st->slot * SLOT_STRIDE);
		while (n == -1 && errno == EINTR);
	}
	st->slot = slot;
	return 0;
}

/* ---- lines of a file ----------------------------------------------- */

int
audit_reader_init(struct audit_reader *r, int fd, off_t start, off_t end)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->pos = r->base = start;
	r->end = end;
	r->cap = READ_CHUNK;
	if ((r->buf = malloc(r->cap)) == NULL)
		return -1;
	return 0;
}

int
audit_reader_next(struct audit_reader *r, const char **line, size_t *len,
    off_t *off, int *toolong)
{
	char *nl, *nbuf;
	size_t want;
	ssize_t n;

	*toolong = 0;
	for (;;) {
		nl = memchr(r->buf + r->start, '\n', r->fill - r->start);
		if (r->skip) {
			/* Drop the rest of a line too long. */
			if (nl == NULL) {
				r->base += r->fill;
				r->start = r->fill = 0;
			} else {
				r->start = (size_t)(nl - r->buf) + 1;
				r->skip = 0;
				continue;
			}
		} else if (nl != NULL) {
			*line = r->buf + r->start;
			*len = (size_t)(nl - r->buf) + 1 - r->start;
			*off = r->base + (off_t)r->start;
			r->start += *len;
			return 1;
		} else if (r->fill - r->start >= AUDIT_MAXLINE) {
			*line = r->buf + r->start;
			*len = AUDIT_MAXLINE;
			*off = r->base + (off_t)r->start;
			*toolong = 1;
			r->start += AUDIT_MAXLINE;
			r->skip = 1;
			return 1;
		}
		if (r->pos >= r->end) {
			if (r->skip || r->start == r->fill)
				return 0;
			*line = r->buf + r->start;
			*len = r->fill - r->start;
			*off = r->base + (off_t)r->start;
			r->start = r->fill;
			return 1;
		}
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->fill - r->start);
			r->base += (off_t)r->start;
			r->fill -= r->start;
			r->start = 0;
		}
		if (r->fill == r->cap) {
			if ((nbuf = realloc(r->buf, r->cap * 2)) == NULL)
				return -1;
			r->buf = nbuf;
			r->cap *= 2;
		}
		want = r->cap - r->fill;
		if ((off_t)want > r->end - r->pos)
			want = (size_t)(r->end - r->pos);
		n = pread(r->fd, r->buf + r->fill, want, r->pos);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)	/* the file shrank */
			r->end = r->pos;
		r->fill += (size_t)n;
		r->pos += n;
	}
}

void
audit_reader_free(struct audit_reader *r)
{
	int serrno = errno;

	free(r->buf);
	r->buf = NULL;
	errno = serrno;
}

/* ---- the writer ---------------------------------------------------- */

static int
fail(struct audit *a, int e, const char *fmt, ...)
{
	va_list ap;

	a->err = e;
	a->reason = NULL;
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(a->why, sizeof a->why, fmt, ap);
		va_end(ap);
		a->reason = a->why;
	}
	errno = e;
	return -1;
}

const char *
audit_strerror(const struct audit *a)
{
	return a->reason != NULL ? a->reason : strerror(a->err);
}

/* dir and last component of path; dir "." when there is no slash. */
static int
split_path(const char *path, char *dir, size_t dsize, char *name,
    size_t nsize)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (*path == '\0') {
		errno = ENOENT;
		return -1;
	}
	if (slash != NULL && slash[1] == '\0') {
		errno = EISDIR;
		return -1;
	}
	if (slash == NULL) {
		if (dsize < 2 || strlen(path) >= nsize) {
			errno = ENAMETOOLONG;
			return -1;
		}
		strcpy(dir, ".");
		strcpy(name, path);
		return 0;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= dsize || strlen(slash + 1) >= nsize) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	strcpy(name, slash + 1);
	return 0;
}

/* buf[NAME_MAX + 1] = name suffix, or -1 with ENAMETOOLONG. */
static int
suffixed(char *buf, const char *name, const char *suffix)
{
	if ((size_t)snprintf(buf, NAME_MAX + 1, "%s%s", name, suffix) >=
	    NAME_MAX + 1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* "host=H env=E user=U uid=N pid=N prog=P", encoded, into a->hdr.  No
 * /etc/passwd (or no entry) gives the uid as the user's name. */
static int
make_hdr(struct audit *a)
{
	struct utsname u;
	struct passwd *pw;
	const char *vals[6], *env;
	char uid[24], pid[24];
	size_t i, n;
	char *p;

	if (uname(&u) == -1)
		strcpy(u.nodename, "");
	env = getenv("DATA_ENV");
	snprintf(uid, sizeof uid, "%lu", (unsigned long)getuid());
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	pw = getpwuid(getuid());
	vals[0] = u.nodename;
	vals[1] = env != NULL ? env : "";
	vals[2] = pw != NULL && pw->pw_name != NULL ? pw->pw_name : uid;
	vals[3] = uid;
	vals[4] = pid;
	vals[5] = err_progname();
	for (n = 0, i = 0; i < 6; i++) {
		if (strlen(vals[i]) > 4096) {
			errno = EMSGSIZE;
			return -1;
		}
		n += strlen(hdrkeys[i + 2]) + 2 + audit_enclen(vals[i],
		    strlen(vals[i]));
	}
	if ((a->hdr = malloc(n + 1)) == NULL)
		return -1;
	for (p = a->hdr, i = 0; i < 6; i++) {
		if (i > 0)
			*p++ = ' ';
		p += sprintf(p, "%s=", hdrkeys[i + 2]);
		p += audit_encode(p, vals[i], strlen(vals[i]));
	}
	*p = '\0';
	a->hdrlen = (size_t)(p - a->hdr);
	return 0;
}

/* The time for the next record: now, but never before the last record's
 * (the verifier takes a step back in time for a forgery). */
static void
now_ts(const struct audit *a, char ts[TIME_RFC3339LEN])
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (time_rfc3339(now.tv_sec, now.tv_nsec / 1000, ts) == -1)
		strcpy(ts, "0000-01-01T00:00:00.000000Z");
	if (a->st.ts[0] != '\0' && strcmp(ts, a->st.ts) < 0)
		strcpy(ts, a->st.ts);
}

/*
 * Append a record to a->buf (after a newline when nlfirst, to end a torn
 * fragment) and take it into a->st: the key steps, the old one is wiped.
 */
static int
make_record(struct audit *a, const char *type, const struct audit_field *f,
    size_t n, int nlfirst)
{
	char seq[24], ts[TIME_RFC3339LEN];
	unsigned char m[HASH_LEN], mac[HASH_LEN];
	size_t need, i, seqlen;
	char *p, *line, *nbuf;

	seqlen = (size_t)snprintf(seq, sizeof seq, "%llu",
	    (unsigned long long)a->st.seq);
	now_ts(a, ts);
	need = (size_t)nlfirst + AUDIT_TAGLEN + 5 + seqlen + 4 +
	    (TIME_RFC3339LEN - 1) + 1 + a->hdrlen + 6 + strlen(type);
	for (i = 0; i < n; i++) {
		if (f[i].len > AUDIT_MAXVALUE)
			return fail(a, EMSGSIZE, NULL);
		need += 2 + strlen(f[i].key) + audit_enclen(f[i].value,
		    f[i].len);
		if (need > AUDIT_MAXLINE)
			return fail(a, EMSGSIZE, NULL);
	}
	need += MACTAIL;
	if (need - (size_t)nlfirst > AUDIT_MAXLINE)
		return fail(a, EMSGSIZE, NULL);
	if (a->len + need > a->cap) {
		if ((nbuf = realloc(a->buf, a->len + need + FLUSH_AT)) == NULL)
			return fail(a, errno, NULL);
		a->buf = nbuf;
		a->cap = a->len + need + FLUSH_AT;
	}
	p = a->buf + a->len;
	if (nlfirst)
		*p++ = '\n';
	line = p;
	memcpy(p, AUDIT_TAG " seq=", AUDIT_TAGLEN + 5);
	p += AUDIT_TAGLEN + 5;
	memcpy(p, seq, seqlen);
	p += seqlen;
	memcpy(p, " ts=", 4);
	memcpy(p + 4, ts, TIME_RFC3339LEN - 1);
	p += 4 + TIME_RFC3339LEN - 1;
	*p++ = ' ';
	memcpy(p, a->hdr, a->hdrlen);
	p += a->hdrlen;
	memcpy(p, " type=", 6);
	p += 6;
	memcpy(p, type, strlen(type));
	p += strlen(type);
	for (i = 0; i < n; i++) {
		*p++ = ' ';
		memcpy(p, f[i].key, strlen(f[i].key));
		p += strlen(f[i].key);
		*p++ = '=';
		p += audit_encode(p, f[i].value, f[i].len);
	}
	memcpy(p, " mac=", 5);
	p += 5;
	audit_step(a->st.key, m, a->st.key);
	audit_mac(m, a->st.id, a->st.seq, a->st.mac, line, (size_t)(p - line),
	    mac);
	explicit_bzero(m, sizeof m);
	hash_hex(mac, HASH_LEN, p);
	p += HASH_HEXLEN;
	*p++ = '\n';
	audit_chain(a->st.head, line, (size_t)(p - line));
	memcpy(a->st.mac, mac, HASH_LEN);
	memcpy(a->st.ts, ts, TIME_RFC3339LEN);
	a->st.seq++;
	a->st.size += need;
	a->len += need;
	return 0;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write the records made so far: whole records, one write(2) (retried
 * only if cut short; we hold the lock, so nothing comes in between). */
static int
flush_buf(struct audit *a)
{
	if (a->len == 0)
		return 0;
	a->dirty = 1;
	if (write_all(a->logfd, a->buf, a->len) == -1)
		return fail(a, errno, NULL);
	a->len = 0;
	return 0;
}

static int
lock_wait(int fd)
{
	while (flock(fd, LOCK_EX) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* Whether the log's bytes before st->size end with the record the state
 * says is the last: its seq and its MAC. */
static int
tail_matches(int fd, const struct audit_state *st)
{
	struct audit_rec r;
	char why[128], *buf, *nbuf, *p;
	size_t cap = 4096, n;
	ssize_t got;
	int ok = 0;

	if (st->size < MACTAIL || st->seq == 0)
		return 0;
	if ((buf = malloc(cap)) == NULL)
		return 0;
	for (;;) {
		n = st->size < cap ? (size_t)st->size : cap;
		do
			got = pread(fd, buf, n, (off_t)(st->size - n));
		while (got == -1 && errno == EINTR);
		if (got != (ssize_t)n)
			break;
		/* The last line starts after the newline before it. */
		for (p = buf + n - 1; p > buf && p[-1] != '\n'; p--)
			;
		if (p > buf || n == st->size) {
			ok = audit_parse(p, (size_t)(buf + n - p), &r, why,
			    sizeof why) == 0 && r.seq + 1 == st->seq &&
			    hash_equal(r.mac, st->mac, HASH_LEN);
			break;
		}
		if (cap > AUDIT_MAXLINE ||
		    (nbuf = realloc(buf, cap * 4)) == NULL)
			break;
		buf = nbuf;
		cap *= 4;
	}
	free(buf);
	return ok;
}

/* Whether line is the record that follows st, keyed with st->key. */
static int
verify_next(const struct audit_state *st, const char *line, size_t len,
    struct audit_rec *r)
{
	unsigned char m[HASH_LEN], next[HASH_LEN], mac[HASH_LEN];
	char why[128];
	int ok;

	if (audit_parse(line, len, r, why, sizeof why) == -1 ||
	    r->seq != st->seq)
		return 0;
	audit_step(st->key, m, next);
	audit_mac(m, st->id, r->seq, st->mac, line, r->maclen, mac);
	ok = hash_equal(mac, r->mac, HASH_LEN);
	explicit_bzero(m, sizeof m);
	explicit_bzero(next, sizeof next);
	return ok;
}

/* Take a verified record into st: it ends at offset end of the log. */
static void
take_in(struct audit_state *st, const struct audit_rec *r, uint64_t end)
{
	unsigned char m[HASH_LEN];

	audit_step(st->key, m, st->key);
	explicit_bzero(m, sizeof m);
	memcpy(st->mac, r->mac, HASH_LEN);
	audit_chain(st->head, r->line, r->len);
	memcpy(st->ts, r->ts, TIME_RFC3339LEN - 1);
	st->ts[TIME_RFC3339LEN - 1] = '\0';
	st->seq++;
	st->size = end;
}

/* Whether the log starts with the rotate record that follows the state:
 * a rotation that died before updating the state. */
static int
rotated_start(struct audit *a)
{
	struct audit_reader rd;
	struct audit_rec r;
	const char *line;
	char hex[HASH_HEXLEN + 1], prevmac[HASH_HEXLEN + 1];
	size_t len;
	off_t off;
	int tl, ok = 0;

	if (audit_reader_init(&rd, a->logfd, 0, AUDIT_MAXLINE) == -1)
		return -1;
	if (audit_reader_next(&rd, &line, &len, &off, &tl) == 1 && !tl &&
	    verify_next(&a->st, line, len, &r) && r.typelen == 6 &&
	    memcmp(r.type, "rotate", 6) == 0 &&
	    audit_get(&r, "prevmac", prevmac, sizeof prevmac, NULL) == 0) {
		hash_hex(a->st.mac, HASH_LEN, hex);
		ok = strcmp(hex, prevmac) == 0;
	}
	audit_reader_free(&rd);
	return ok;
}

/*
 * LOG is missing: a rotation that died between its two renames leaves the
 * new log under its temporary name, its one record the rotate record that
 * follows the state.  Put it in place.  0 when done, else -1.
 */
static int
finish_rotation(struct audit *a)
{
	struct audit_reader rd;
	struct audit_rec r;
	struct dirent *de;
	struct stat st;
	const char *line;
	char prev[NAME_MAX + 1];
	size_t len, n = strlen(a->name);
	off_t off;
	int fd, dfd, tl, found = 0;
	DIR *d;

	if ((dfd = openat(a->dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return -1;
	}
	while (!found && (de = readdir(d)) != NULL) {
		if (!atomic_istmp(de->d_name) || strlen(de->d_name) != n + 8 ||
		    strncmp(de->d_name + 1, a->name, n) != 0)
			continue;
		if ((fd = openat(a->dirfd, de->d_name, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC)) == -1)
			continue;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_size <= AUDIT_MAXLINE &&
		    audit_reader_init(&rd, fd, 0, st.st_size) == 0) {
			if (audit_reader_next(&rd, &line, &len, &off,
			    &tl) == 1 && !tl && (off_t)len == st.st_size &&
			    verify_next(&a->st, line, len, &r) &&
			    r.typelen == 6 &&
			    memcmp(r.type, "rotate", 6) == 0 &&
			    audit_get(&r, "prev", prev, sizeof prev,
			    NULL) == 0 &&
			    faccessat(a->dirfd, prev, F_OK,
			    AT_SYMLINK_NOFOLLOW) == 0 &&
			    atomic_rename_noreplace(a->dirfd, de->d_name,
			    a->dirfd, a->name) == 0)
				found = 1;
			audit_reader_free(&rd);
		}
		close(fd);
	}
	closedir(d);
	if (!found) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

/*
 * The log's bytes from base to size are beyond the state: take in the
 * records that follow it and verify under its key; make a recover
 * record for whatever follows them.
 */
static int
recover(struct audit *a, uint64_t base, uint64_t size)
{
	struct audit_reader rd;
	struct audit_rec r;
	struct audit_field f[3];
	unsigned char h[HASH_LEN];
	const char *line;
	char offs[24], lens[24], hex[HASH_HEXLEN + 1], last;
	uint64_t frag = size;
	size_t len;
	off_t off;
	int tl, rc;

	if (audit_reader_init(&rd, a->logfd, (off_t)base, (off_t)size) == -1)
		return fail(a, errno, NULL);
	while ((rc = audit_reader_next(&rd, &line, &len, &off, &tl)) == 1) {
		if (tl || !verify_next(&a->st, line, len, &r)) {
			frag = (uint64_t)off;
			break;
		}
		take_in(&a->st, &r, (uint64_t)off + len);
		a->rolled++;
	}
	audit_reader_free(&rd);
	if (rc == -1)
		return fail(a, errno, NULL);
	if (frag == size) {
		a->st.size = size;
		return 0;
	}
	/* The fragment stays; its offset, length and hash go on record. */
	errno = EIO;
	if (lseek(a->logfd, (off_t)frag, SEEK_SET) == -1 ||
	    hash_fd(a->logfd, h, NULL) == -1 ||
	    pread(a->logfd, &last, 1, (off_t)size - 1) != 1)
		return fail(a, errno, NULL);
	snprintf(offs, sizeof offs, "%llu", (unsigned long long)frag);
	snprintf(lens, sizeof lens, "%llu", (unsigned long long)(size - frag));
	hash_hex(h, HASH_LEN, hex);
	f[0] = (struct audit_field){ "offset", offs, strlen(offs) };
	f[1] = (struct audit_field){ "length", lens, strlen(lens) };
	f[2] = (struct audit_field){ "sha256", hex, HASH_HEXLEN };
	a->st.size = size;
	if (make_record(a, "recover", f, 3, last != '\n') == -1)
		return -1;
	a->recovered++;
	a->fragoff = frag;
	a->fraglen = size - frag;
	return 0;
}

int
audit_begin(struct audit *a)
{
	struct stat st;

	a->reason = NULL;
	a->len = 0;
	a->dirty = 0;
	a->rolled = a->recovered = 0;
	if (lock_wait(a->lockfd) == -1)
		return fail(a, errno, NULL);
	a->locked = 1;
	if (audit_state_read(a->statefd, &a->st) == -1) {
		if (errno == EBADMSG)
			fail(a, EBADMSG, "%s.state: damaged (no valid slot)",
			    a->name);
		else
			fail(a, errno, NULL);
		goto bad;
	}
	a->logfd = openat(a->dirfd, a->name, O_RDWR | O_APPEND | O_NOFOLLOW |
	    O_NOCTTY | O_CLOEXEC);
	if (a->logfd == -1 && errno == ENOENT && finish_rotation(a) == 0)
		a->logfd = openat(a->dirfd, a->name, O_RDWR | O_APPEND |
		    O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (a->logfd == -1) {
		fail(a, errno, NULL);
		goto bad;
	}
	if (fstat(a->logfd, &st) == -1) {
		fail(a, errno, NULL);
		goto bad;
	}
	if (!S_ISREG(st.st_mode)) {
		fail(a, EINVAL, "not a regular file");
		goto bad;
	}
	if ((uint64_t)st.st_size >= a->st.size && tail_matches(a->logfd,
	    &a->st)) {
		if ((uint64_t)st.st_size > a->st.size &&
		    recover(a, a->st.size, (uint64_t)st.st_size) == -1)
			goto bad;
	} else if (rotated_start(a) == 1) {
		if (recover(a, 0, (uint64_t)st.st_size) == -1)
			goto bad;
	} else {
		fail(a, EBADMSG, "does not continue its state (the state "
		    "expects seq %llu ending at byte %llu; the log has %llu "
		    "bytes): truncated or replaced? see auditlog verify",
		    (unsigned long long)a->st.seq - 1,
		    (unsigned long long)a->st.size,
		    (unsigned long long)st.st_size);
		goto bad;
	}
	return 0;
bad:
	audit_abort(a);
	errno = a->err;
	return -1;
}

static int
add_fields(struct audit *a, const char *type, const struct audit_field *f,
    size_t n, int internal, uint64_t *seq)
{
	size_t i;

	if (!a->locked)
		return fail(a, EINVAL, NULL);
	if (!valid_word(type, strlen(type)))
		goto inval;
	for (i = 0; !internal && i < sizeof(reserved) / sizeof(reserved[0]);
	    i++)
		if (strcmp(type, reserved[i]) == 0)
			goto inval;
	for (i = 0; i < n; i++)
		if (f[i].key == NULL || !valid_key(f[i].key, strlen(f[i].key)))
			goto inval;
	if (seq != NULL)
		*seq = a->st.seq;
	if (make_record(a, type, f, n, 0) == -1 ||
	    (a->len >= FLUSH_AT && flush_buf(a) == -1)) {
		audit_abort(a);
		errno = a->err;
		return -1;
	}
	return 0;
inval:
	fail(a, EINVAL, NULL);
	audit_abort(a);
	errno = EINVAL;
	return -1;
}

int
audit_add(struct audit *a, const char *type, const struct audit_field *f,
    size_t n, uint64_t *seq)
{
	return add_fields(a, type, f, n, 0, seq);
}

int
audit_commit(struct audit *a)
{
	if (!a->locked)
		return fail(a, EINVAL, NULL);
	if (flush_buf(a) == -1)
		goto bad;
	if (a->dirty || a->rolled > 0) {
		/* The log first: the state is never ahead of it. */
		if (fdatasync(a->logfd) == -1) {
			fail(a, errno, NULL);
			goto bad;
		}
		if (audit_state_write(a->statefd, &a->st) == -1) {
			fail(a, errno, NULL);
			goto bad;
		}
	}
	audit_abort(a);
	return 0;
bad:
	audit_abort(a);
	errno = a->err;
	return -1;
}

void
audit_abort(struct audit *a)
{
	int serrno = errno;

	a->len = 0;
	if (a->logfd != -1) {
		close(a->logfd);
		a->logfd = -1;
	}
	if (a->locked) {
		flock(a->lockfd, LOCK_UN);
		a->locked = 0;
	}
	explicit_bzero(a->st.key, sizeof a->st.key);
	errno = serrno;
}

int
audit_recordv(struct audit *a, const char *type, const struct audit_field *f,
    size_t n)
{
	if (audit_begin(a) == -1 || audit_add(a, type, f, n, NULL) == -1 ||
	    audit_commit(a) == -1)
		return -1;
	return 0;
}

int
audit_record(struct audit *a, const char *type, const char *const *kv)
{
	struct audit_field *f;
	size_t i, n;
	int r;

	for (n = 0; kv != NULL && kv[2 * n] != NULL; n++)
		if (kv[2 * n + 1] == NULL)
			return fail(a, EINVAL, NULL);
	if ((f = calloc(n + 1, sizeof *f)) == NULL)
		return fail(a, errno, NULL);
	for (i = 0; i < n; i++) {
		f[i].key = kv[2 * i];
		f[i].value = kv[2 * i + 1];
		f[i].len = strlen(kv[2 * i + 1]);
	}
	r = audit_recordv(a, type, f, n);
	free(f);
	return r;
}

int
audit_open(struct audit *a, const char *path)
{
	char dir[PATH_MAX], name[NAME_MAX + 1];
	struct stat st;

	memset(a, 0, sizeof *a);
	a->dirfd = a->lockfd = a->statefd = a->logfd = -1;
	if (split_path(path, dir, sizeof dir, a->name, sizeof a->name) == -1)
		return fail(a, errno, NULL);
	if ((a->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return fail(a, errno, NULL);
	if (suffixed(name, a->name, ".state") == -1)
		return fail(a, errno, NULL);
	a->statefd = openat(a->dirfd, name, O_RDWR | O_NOFOLLOW | O_NOCTTY |
	    O_CLOEXEC);
	if (a->statefd == -1) {
		if (errno != ENOENT)
			return fail(a, errno, "%s: %s", name, strerror(errno));
		if (faccessat(a->dirfd, a->name, F_OK, AT_SYMLINK_NOFOLLOW) ==
		    -1)
			return fail(a, errno, NULL);
		return fail(a, ENOENT, "not an audit log: no %s (auditlog "
		    "init makes one)", name);
	}
	if (fstat(a->statefd, &st) == -1)
		return fail(a, errno, NULL);
	if (!S_ISREG(st.st_mode))
		return fail(a, EINVAL, "%s: not a regular file", name);
	if (suffixed(name, a->name, ".lock") == -1)
		return fail(a, errno, NULL);
	a->lockfd = openat(a->dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_NOCTTY | O_CLOEXEC, 0600);
	if (a->lockfd == -1)
		return fail(a, errno, "%s: %s", name, strerror(errno));
	if (make_hdr(a) == -1)
		return fail(a, errno, NULL);
	/* Whatever a crashed writer left is dealt with now, before the
	 * program changes anything. */
	if (audit_begin(a) == -1)
		return -1;
	if (a->len > 0 || a->rolled > 0)
		return audit_commit(a);
	audit_abort(a);
	return 0;
}

void
audit_close(struct audit *a)
{
	int serrno = errno;

	audit_abort(a);
	explicit_bzero(&a->st, sizeof a->st);
	if (a->dirfd != -1)
		close(a->dirfd);
	if (a->lockfd != -1)
		close(a->lockfd);
	if (a->statefd != -1)
		close(a->statefd);
	a->dirfd = a->lockfd = a->statefd = -1;
	free(a->hdr);
	free(a->buf);
	a->hdr = a->buf = NULL;
	a->cap = 0;
	errno = serrno;
}

/* ---- init and rotation --------------------------------------------- */

int
audit_create(const char *path, const unsigned char k0[HASH_LEN],
    const unsigned char id[AUDIT_IDLEN], const struct audit_field *f,
    size_t n)
{
	struct audit a;
	struct audit_field *all;
	char dir[PATH_MAX], sname[NAME_MAX + 1], lname[NAME_MAX + 1];
	char idhex[2 * AUDIT_IDLEN + 1], image[SLOT_STRIDE + SLOT_SIZE];
	int made = 0, serrno;

	memset(&a, 0, sizeof a);
	memset(image, 0, sizeof image);
	a.dirfd = a.lockfd = a.statefd = a.logfd = -1;
	all = NULL;
	if (split_path(path, dir, sizeof dir, a.name, sizeof a.name) == -1 ||
	    suffixed(sname, a.name, ".state") == -1 ||
	    suffixed(lname, a.name, ".lock") == -1)
		return -1;
	if ((a.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((a.lockfd = openat(a.dirfd, lname, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_NOCTTY | O_CLOEXEC, 0600)) == -1 || lock_wait(a.lockfd) == -1)
		goto bad;
	a.locked = 1;
	if (faccessat(a.dirfd, sname, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		goto bad;
	}
	if ((a.logfd = openat(a.dirfd, a.name, O_RDWR | O_CREAT | O_EXCL |
	    O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600)) == -1)
		goto bad;
	made = 1;
	if ((a.statefd = openat(a.dirfd, sname, O_RDWR | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600)) == -1)
		goto bad;
	made = 2;
	if (fchmod(a.logfd, 0600) == -1 || fchmod(a.statefd, 0600) == -1 ||
	    make_hdr(&a) == -1)
		goto bad;
	if ((all = calloc(n + 1, sizeof *all)) == NULL)
		goto bad;
	hash_hex(id, AUDIT_IDLEN, idhex);
	all[0] = (struct audit_field){ "id", idhex, strlen(idhex) };
	if (n > 0)
		memcpy(all + 1, f, n * sizeof *f);
	memcpy(a.st.id, id, AUDIT_IDLEN);
	memcpy(a.st.key, k0, HASH_LEN);
	if (make_record(&a, "init", all, n + 1, 0) == -1) {
		errno = a.err;
		goto bad;
	}
	if (write_all(a.logfd, a.buf, a.len) == -1 || fdatasync(a.logfd) == -1)
		goto bad;
	/* Both slots' blocks are allocated now, so that updates are
	 * overwrites that need no metadata. */
	state_format(&a.st, image);
	if (write_all(a.statefd, image, sizeof image) == -1 ||
	    fsync(a.statefd) == -1 || atomic_syncdir(a.dirfd, NULL) == -1)
		goto bad;
	explicit_bzero(image, sizeof image);
	free(all);
	audit_close(&a);
	return 0;
bad:
	serrno = errno;
	explicit_bzero(image, sizeof image);
	if (made >= 1)
		unlinkat(a.dirfd, a.name, 0);
	if (made >= 2)
		unlinkat(a.dirfd, sname, 0);
	free(all);
	audit_close(&a);
	errno = serrno;
	return -1;
}

/* Remove the temporaries of interrupted rotations (under the lock). */
static void
clean_tmps(struct audit *a)
{
	struct dirent *de;
	size_t n = strlen(a->name);
	int dfd;
	DIR *d;

	if ((dfd = openat(a->dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (atomic_istmp(de->d_name) && strlen(de->d_name) == n + 8 &&
		    strncmp(de->d_name + 1, a->name, n) == 0)
			unlinkat(a->dirfd, de->d_name, 0);
	closedir(d);
}

int
audit_rotate(struct audit *a, char *newname, size_t size)
{
	struct audit_field f[5];
	struct stat st;
	char stamp[TIME_STAMPLEN], tmp[NAME_MAX + 1], prevseq[24];
	char mac[HASH_HEXLEN + 1], head[HASH_HEXLEN + 1];
	char idhex[2 * AUDIT_IDLEN + 1];
	time_t now;
	int fd;

	if (!a->locked)
		return fail(a, EINVAL, NULL);
	/* A recover record made by audit_begin belongs to the old log. */
	if (flush_buf(a) == -1)
		goto bad;
	if (a->dirty && fdatasync(a->logfd) == -1) {
		fail(a, errno, NULL);
		goto bad;
	}
	if (fstat(a->logfd, &st) == -1) {
		fail(a, errno, NULL);
		goto bad;
	}
	clean_tmps(a);
	for (;;) {
		now = time(NULL);
		if (time_stamp(now, stamp) == -1 ||
		    (size_t)snprintf(newname, size, "%s.%s", a->name, stamp) >=
		    size || strlen(newname) > NAME_MAX) {
			fail(a, ENAMETOOLONG, NULL);
			goto bad;
		}
		if (faccessat(a->dirfd, newname, F_OK, AT_SYMLINK_NOFOLLOW) ==
		    -1)
			break;
		while (time(NULL) == now)
			usleep(50000);
	}
	snprintf(prevseq, sizeof prevseq, "%llu",
	    (unsigned long long)a->st.seq - 1);
	hash_hex(a->st.mac, HASH_LEN, mac);
	hash_hex(a->st.head, HASH_LEN, head);
	hash_hex(a->st.id, AUDIT_IDLEN, idhex);
	f[0] = (struct audit_field){ "prev", newname, strlen(newname) };
	f[1] = (struct audit_field){ "prevseq", prevseq, strlen(prevseq) };
	f[2] = (struct audit_field){ "prevmac", mac, HASH_HEXLEN };
	f[3] = (struct audit_field){ "prevhead", head, HASH_HEXLEN };
	f[4] = (struct audit_field){ "id", idhex, strlen(idhex) };
	if (make_record(a, "rotate", f, 5, 0) == -1)
		goto bad;
	a->st.size = a->len;
	if (atomic_tmpname(tmp, sizeof tmp, a->name) == -1) {
		fail(a, errno, NULL);
		goto bad;
	}
	if ((fd = openat(a->dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_APPEND |
	    O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600)) == -1) {
		fail(a, errno, NULL);
		goto bad;
	}
	if (fchmod(fd, st.st_mode & 07777) == -1 ||
	    write_all(fd, a->buf, a->len) == -1 || fdatasync(fd) == -1 ||
	    atomic_rename_noreplace(a->dirfd, a->name, a->dirfd, newname) ==
	    -1) {
		fail(a, errno, NULL);
		close(fd);
		unlinkat(a->dirfd, tmp, 0);
		goto bad;
	}
	/* From here a crash leaves what finish_rotation completes. */
	if (atomic_rename_noreplace(a->dirfd, tmp, a->dirfd, a->name) == -1) {
		fail(a, errno, NULL);
		close(fd);
		goto bad;
	}
	close(a->logfd);
	a->logfd = fd;
	a->len = 0;
	a->dirty = 1;
	return 0;
bad:
	audit_abort(a);
	errno = a->err;
	return -1;
}
