/* pii-hash.h - what the parts of pii-hash share: the options, the
 * normalizations, and the output of whole records with their hashes. */
/* SPDX-License-Identifier: ISC */
#ifndef PII_HASH_H
#define PII_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/hmac.h"

enum format	{ FMT_CSV, FMT_TSV, FMT_JSONL };
enum action	{ ACT_HMAC = 1, ACT_SALTED, ACT_MASK, ACT_REDACT, ACT_DROP };
enum norm	{ NORM_NONE, NORM_TRIM, NORM_LOWER, NORM_EMAIL, NORM_IP,
		  NORM_DIGITS };

/* One COLUMN[:ACTION[:NORM]] operand. */
struct column {
	const char	*spec;		/* as given */
	size_t		 labellen;	/* of its COLUMN part */
	const char	*name;		/* a header name or JSON key, */
	size_t		 namelen;
	size_t		 pos;		/* or a position (#N) */
	int		 action;
	int		 norm;
};

/* The parsed options, set once in main and read-only afterwards (the
 * hashing thread reads key and salt). */
struct options {
	int		 format;
	int		 noheader;	/* -N */
	int		 ragged;	/* --ragged pass */
	size_t		 hexlen;	/* -l */
	int		 hash;		/* ACT_HMAC or ACT_SALTED */
	struct hmac_key	 key;
	unsigned char	*salt;
	size_t		 saltlen;
	struct column	*cols;
	size_t		 ncols;
};

extern struct options opt;

#define IP_MAXTEXT	46	/* the longest address text and a NUL */
#define MASK_KEEP	4	/* the characters mask leaves */
#define REDACTED	"REDACTED"

/*
 * memcpy for the short copies of a field or two, which are most of what
 * pii-hash copies: musl's memcpy (rep movsq, then bytes) costs more than
 * the copy at these sizes.  Loads and stores of 4, 8 or 16 bytes that may
 * overlap, and memcpy itself past 64 bytes.
 */
static inline void
fastcopy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	uint64_t a, b;
	uint32_t x, y;

	if (n > 64) {
		memcpy(d, s, n);
	} else if (n >= 16) {
		for (; n > 16; d += 16, s += 16, n -= 16) {
			memcpy(&a, s, 8);
			memcpy(&b, s + 8, 8);
			memcpy(d, &a, 8);
			memcpy(d + 8, &b, 8);
		}
		memcpy(&a, s + n - 16, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d + n - 16, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 8) {
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4) {
		memcpy(&x, s, 4);
		memcpy(&y, s + n - 4, 4);
		memcpy(d, &x, 4);
		memcpy(d + n - 4, &y, 4);
	} else if (n > 0) {
		d[0] = s[0];
		d[n / 2] = s[n / 2];
		d[n - 1] = s[n - 1];
	}
}

/* value.c: normalizations and masking, on bytes (NUL allowed). */

/* The part of v[n] a normalization looks at: without the ASCII blanks
 * around it for trim, email and ip. */
void	norm_trim(int norm, const char **v, size_t *n);
/* Copy in[n] to out (room for n bytes) lowercased (lower, email) or
 * keeping only the digits (digits); returns the length written. */
size_t	norm_map(int norm, const char *in, size_t n, char *out);
/* The canonical text of an IPv4 or IPv6 address in s[n] into out:
 * its length, or -1 if s is not an address. */
int	ip_canon(const char *s, size_t n, char out[IP_MAXTEXT]);
/* Where the last MASK_KEEP characters of s[n] (UTF-8; each byte of an
 * ill-formed sequence is a character) begin, and how many characters
 * come before them. */
size_t	mask_split(const char *s, size_t n, size_t *nstars);
/* The length of the well-formed UTF-8 character at p[n] (RFC 3629: no
 * overlong form, surrogate or code point past U+10FFFF), or 0. */
size_t	utf8_char(const unsigned char *p, size_t n);
int	action_parse(const char *s, size_t n);
int	norm_parse(const char *s, size_t n);
const char *action_name(int action);

/*
 * out.c: the output, in batches of whole records.  A hash is a job: its
 * place in the batch is kept for opt.hexlen hex digits, and the jobs run
 * when the batch is full, on the hashing thread where there is one while
 * the next batch fills.  Batches are written in order, each up to its
 * last complete record.  Write errors end the program ("pii-hash:
 * stdout: reason", exit 1), and so does a value that a job finds is not
 * an address, once what comes before its record is written.
 */
struct out;

struct out *out_open(int fd, int format);
void	out_put(struct out *o, const void *p, size_t n);
void	out_putc(struct out *o, int c);
/* Write the value v[n], not empty, of the record beginning on line, as
 * the column's action makes it, quoted or escaped as the format needs.
 * 0, or -1 when v is not an address for NORM ip. */
int	out_value(struct out *o, const struct column *c, const char *v,
	    size_t n, unsigned long long line);
#define UTF8_BOM	"\xef\xbb\xbf"

/* A record is complete: what was put so far is kept. */
void	out_record(struct out *o);
/*
 * The input had no byte order mark: if the first record comes out
 * beginning with the bytes of one (a field that begins with U+FEFF once
 * those before it are dropped, or a masked value), put a mark before
 * it, so that a reader takes those bytes for data, as they were.
 */
void	out_bomguard(struct out *o);
/* Forget what was put since the last complete record. */
void	out_discard(struct out *o);
/* How many bytes were put since the last complete record. */
size_t	out_pending(const struct out *o);
/* Whether what was put since then ends with a CR. */
int	out_endcr(const struct out *o);
/* An error in the input: the record being put is forgotten, everything
 * before it written, and "pii-hash: stdin: line N: ..." said. */
void	out_error(struct out *o, unsigned long long line, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));
/* Run the jobs left, write everything, stop the thread, free o. */
void	out_close(struct out *o);

/* table.c, jsonl.c: filter infd to o; the exit status. */
int	table_run(int infd, struct out *o);
int	jsonl_run(int infd, struct out *o);

/* main.c: say "pii-hash: stdin: line N: ..." (see also out_error). */
void	input_error(unsigned long long line, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* A usage error found once the input is open: "pii-hash: ...", exit 2. */
void	usage_error(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
