/* value.c - pii-hash: normalizations (trim, lower, email, ip, digits),
 * canonical IP addresses, and where a mask starts. */
/* SPDX-License-Identifier: ISC */

#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "bin/pii-hash/pii-hash.h"

static const char *const actions[] = {
	NULL, "hmac", "salted", "mask", "redact", "drop"
};
static const char *const norms[] = {
	"none", "trim", "lower", "email", "ip", "digits"
};

static int
word(const char *const *words, int n, const char *s, size_t len)
{
	int i;

	for (i = 0; i < n; i++)
		if (words[i] != NULL && strlen(words[i]) == len &&
		    memcmp(words[i], s, len) == 0)
			return i;
	return -1;
}

int
action_parse(const char *s, size_t n)
{
	return word(actions, sizeof actions / sizeof actions[0], s, n);
}

int
norm_parse(const char *s, size_t n)
{
	return word(norms, sizeof norms / sizeof norms[0], s, n);
}

const char *
action_name(int action)
{
	return actions[action];
}

static int
blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

void
norm_trim(int norm, const char **v, size_t *n)
{
	const char *p = *v;
	size_t len = *n;

	if (norm != NORM_TRIM && norm != NORM_EMAIL && norm != NORM_IP)
		return;
	while (len > 0 && blank(p[0])) {
		p++;
		len--;
	}
	while (len > 0 && blank(p[len - 1]))
		len--;
	*v = p;
	*n = len;
}

size_t
norm_map(int norm, const char *in, size_t n, char *out)
{
	size_t i, m = 0;
	unsigned char c;

	switch (norm) {
	case NORM_LOWER:
	case NORM_EMAIL:
		i = 0;
#ifdef __SSE2__
		/* 16 at a time, the last 16 overlapping the ones before:
		 * the bytes from 'A' to 'Z' (signed compares: bytes from
		 * 0x80 on are below both) get 32 added. */
		if (n >= 16) {
			const __m128i a1 = _mm_set1_epi8('A' - 1);
			const __m128i z1 = _mm_set1_epi8('Z' + 1);
			const __m128i sp = _mm_set1_epi8(32);
			__m128i v, m;
			size_t at;

			for (;;) {
				at = i + 16 <= n ? i : n - 16;
				v = _mm_loadu_si128((const __m128i *)
				    (const void *)(in + at));
				m = _mm_and_si128(_mm_cmpgt_epi8(v, a1),
				    _mm_cmpgt_epi8(z1, v));
				_mm_storeu_si128((__m128i *)(void *)(out + at),
				    _mm_add_epi8(v, _mm_and_si128(m, sp)));
				if ((i = at + 16) == n)
					break;
			}
		}
#endif
		for (; i < n; i++) {
			c = in[i];
			out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		return n;
	case NORM_DIGITS:
		for (i = 0; i < n; i++)
			if (in[i] >= '0' && in[i] <= '9')
				out[m++] = in[i];
		return m;
	default:
		fastcopy(out, in, n);
		return n;
	}
}

/* A dotted quad: four decimal numbers of 1 to 3 digits up to 255 (a
 * leading zero does not make a number octal).  0 if s is one, 1 if it is
 * in canonical form too (no leading zero), or -1. */
static int
ipv4_parse(const char *s, size_t n, unsigned char out[4])
{
	size_t i = 0, digits;
	unsigned v;
	int part, canonical = 1;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i == n || s[i] != '.')
				return -1;
			i++;
		}
		if (i + 1 < n && s[i] == '0' && s[i + 1] >= '0' &&
		    s[i + 1] <= '9')
			canonical = 0;
		for (v = 0, digits = 0; i < n && s[i] >= '0' && s[i] <= '9';
		    i++, digits++)
			v = v * 10 + (unsigned)(s[i] - '0');
		if (digits == 0 || digits > 3 || v > 255)
			return -1;
		out[part] = (unsigned char)v;
	}
	return i == n ? canonical : -1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 4291 text: up to eight groups of 1 to 4 hex digits, "::" once for
 * one or more zero groups, the last 32 bits possibly a dotted quad.  No
 * zone, prefix length or brackets.  0, or -1. */
static int
ipv6_parse(const char *s, size_t n, unsigned char out[16])
{
	unsigned g[8];
	unsigned char q[4];
	size_t i = 0, j;
	int ng = 0, dc = -1, k, d;
	unsigned v;

	if (n < 2)
		return -1;
	if (s[0] == ':') {
		if (s[1] != ':')
			return -1;
		dc = 0;
		i = 2;
	}
	while (i < n) {
		for (j = i, v = 0; j < n && (d = hexval(s[j])) >= 0; j++)
			v = v << 4 | (unsigned)d;
		if (j < n && s[j] == '.') {
			if (ng > 6 || ipv4_parse(s + i, n - i, q) < 0)
				return -1;
			g[ng++] = (unsigned)q[0] << 8 | q[1];
			g[ng++] = (unsigned)q[2] << 8 | q[3];
			break;
		}
		if (j == i || j - i > 4 || ng == 8)
			return -1;
		g[ng++] = v;
		if ((i = j) == n)
			break;
		if (s[i++] != ':' || i == n)
			return -1;
		if (s[i] == ':') {
			if (dc >= 0)
				return -1;
			dc = ng;
			i++;
		}
	}
	if (dc < 0 ? ng != 8 : ng > 7)
		return -1;
	memset(out, 0, 16);
	for (k = 0; k < ng; k++) {
		d = k < dc || dc < 0 ? k : k + 8 - ng;
		out[2 * d] = (unsigned char)(g[k] >> 8);
		out[2 * d + 1] = (unsigned char)g[k];
	}
	return 0;
}

static int
put_quad(char *out, const unsigned char a[4])
{
	int i, len = 0;
	unsigned v;

	for (i = 0; i < 4; i++) {
		if (i > 0)
			out[len++] = '.';
		v = a[i];
		if (v >= 100)
			out[len++] = (char)('0' + v / 100);
		if (v >= 10)
			out[len++] = (char)('0' + v / 10 % 10);
		out[len++] = (char)('0' + v % 10);
	}
	out[len] = '\0';
	return len;
}

/* RFC 5952: lower-case hex without leading zeros; the longest run of two
 * or more zero groups (the first of equals) as "::". */
static int
ipv6_format(const unsigned char a[16], char *out)
{
	int g[8], i, best = -1, bestlen = 1, run, len = 0, shift;

	for (i = 0; i < 8; i++)
		g[i] = a[2 * i] << 8 | a[2 * i + 1];
	for (i = 0; i < 8; i += run > 0 ? run : 1) {
		for (run = 0; i + run < 8 && g[i + run] == 0; run++)
			continue;
		if (run > bestlen) {
			best = i;
			bestlen = run;
		}
	}
	for (i = 0; i < 8; i++) {
		if (i == best) {
			out[len++] = ':';
			out[len++] = ':';
			i += bestlen - 1;
			continue;
		}
		if (i > 0 && i != best + bestlen)
			out[len++] = ':';
		for (shift = 12; shift > 0 && (g[i] >> shift) == 0; shift -= 4)
			continue;
		for (; shift >= 0; shift -= 4)
			out[len++] = "0123456789abcdef"[g[i] >> shift & 15];
	}
	out[len] = '\0';
	return len;
}

int
ip_canon(const char *s, size_t n, char out[IP_MAXTEXT])
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	unsigned char a[16];

	int v4;

	if (n >= IP_MAXTEXT)
		return -1;
	if ((v4 = ipv4_parse(s, n, a)) == 1) {
		fastcopy(out, s, n);
		out[n] = '\0';
		return (int)n;
	}
	if (v4 == 0)
		return put_quad(out, a);
	if (ipv6_parse(s, n, a) == -1)
		return -1;
	/* An IPv4-mapped address is the IPv4 host: the same pseudonym. */
	if (memcmp(a, mapped, sizeof mapped) == 0)
		return put_quad(out, a + 12);
	return ipv6_format(a, out);
}

size_t
utf8_char(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	len = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

size_t
mask_split(const char *s, size_t n, size_t *nstars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t start[MASK_KEEP], i, k, count = 0;

	for (i = 0; i < n; i += k > 0 ? k : 1) {
		k = utf8_char(p + i, n - i);
		start[count++ % MASK_KEEP] = i;
	}
	if (count <= MASK_KEEP) {
		*nstars = 0;
		return 0;
	}
	*nstars = count - MASK_KEEP;
	return start[count % MASK_KEEP];
}
