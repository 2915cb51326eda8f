/* hash.h - SHA-256 (x86 SHA extensions or BearSSL), HMAC, hex, files. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_HASH_H
#define DATAKEEP_HASH_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

#define HASH_LEN	32
#define HASH_HEXLEN	64

/*
 * The SHA-256 used everywhere: a br_hash_class whose compression function
 * uses the x86 SHA extensions when CPUID reports them (with SSSE3 and
 * SSE4.1), else BearSSL's own br_sha256_vtable.  Because it is a complete
 * br_hash_class (state() and set_state() exchange the same big-endian
 * chaining value as BearSSL's), BearSSL's HMAC and anything else taking a
 * hash class runs on it.  The first call chooses; later calls return the
 * same class until hash_select().
 */
const br_hash_class *hash_sha256(void);

/* Force an implementation (tests and benchmarks): HASH_AUTO selects by
 * CPUID; HASH_PORTABLE is BearSSL's; HASH_SHANI fails with -1 (ENOTSUP)
 * when the CPU lacks the extensions (always, off x86), leaving the
 * selection as it was; any other value is EINVAL.  Returns 0 or -1.
 * The choice is process-wide state: not for use from several threads. */
enum hash_impl { HASH_AUTO, HASH_PORTABLE, HASH_SHANI };
int	hash_select(enum hash_impl impl);

/* Whether the selected implementation is the SHA-extensions one. */
int	hash_is_shani(void);

/* A context for any implementation; the first member is the vtable.
 * shani is laid out like br_sha256_context and fits in a
 * br_hash_compat_context, where BearSSL's HMAC keeps its hash states. */
typedef union {
	const br_hash_class	*vtable;
	br_sha256_context	 portable;
	struct {
		const br_hash_class	*vtable;
		unsigned char		 buf[64];
		uint64_t		 count;
		uint32_t		 val[8];
	}			 shani;
} hash_ctx;

/* hash_final() writes the digest of everything so far without changing
 * ctx, so hashing may go on. */
void	hash_init(hash_ctx *ctx);
void	hash_update(hash_ctx *ctx, const void *data, size_t len);
void	hash_final(hash_ctx *ctx, unsigned char out[HASH_LEN]);

/* SHA-256 of data[len], in one call. */
void	hash_buf(const void *data, size_t len, unsigned char out[HASH_LEN]);

/* HMAC-SHA256 of msg[len] under key[keylen] (keys longer than 64 bytes
 * are hashed first, per RFC 2104); the key-derived states are wiped. */
void	hash_hmac(const void *key, size_t keylen, const void *msg, size_t len,
	    unsigned char out[HASH_LEN]);

/*
 * SHA-256 of everything readable from fd, from its current offset to end
 * of file, with 64 KiB reads into a buffer on the stack (1 MiB reads into
 * one on the heap for regular files larger than that); EINTR is
 * retried.  Returns 0 and sets *nbytes (if not NULL) to the bytes read, or
 * -1 with errno from read(2), leaving out and *nbytes untouched.  Either
 * way the offset of fd has moved.
 */
int	hash_fd(int fd, unsigned char out[HASH_LEN], uint64_t *nbytes);

/* Lower-case hex of in[len] into out[2 * len + 1], NUL-terminated. */
void	hash_hex(const unsigned char *in, size_t len, char *out);

/* Decode exactly 2 * len hex digits (either case) from in into out[len];
 * what follows them is not read, so in may point into a line.  0, or -1
 * with EINVAL (a non-digit, or the string ends early) and out untouched.
 * Valid input is decoded without branches or tables on its value. */
int	hash_unhex(const char *in, unsigned char *out, size_t len);

/* Compare a[len] and b[len] in time independent of their contents;
 * 1 if equal, 0 if not. */
int	hash_equal(const void *a, const void *b, size_t len);

#endif
