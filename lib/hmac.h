/* hmac.h - HMAC-SHA256 with the key's states computed once, and salted
 * SHA-256; two short messages at a time on the x86 SHA extensions. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_HMAC_H
#define DATAKEEP_HMAC_H

#include <stddef.h>
#include <stdint.h>

#include "lib/hash.h"

/*
 * HMAC-SHA256 (RFC 2104) for many messages under one key: the chaining
 * values after the blocks key ^ ipad and key ^ opad are computed once by
 * hmac_key_init, so that a short message costs two compressions instead
 * of four.  The states are as secret as the key itself: the caller owns
 * the struct and wipes it with hmac_key_wipe when done.  These functions
 * cannot fail.
 */
struct hmac_key {
	const br_hash_class	*vtable;	/* hash_sha256() at init */
	unsigned char		 istate[HASH_LEN];	/* big-endian */
	unsigned char		 ostate[HASH_LEN];
	uint32_t		 iv[8], ov[8];	/* the same, as words */
	int			 x2;	/* hmac_buf2 has two lanes */
};

/* Compute the states for key[keylen]; a key longer than the 64-byte
 * block is hashed first.  Stack copies of the key are wiped. */
void	hmac_key_init(struct hmac_key *k, const void *key, size_t keylen);

/* Erase k (explicit_bzero). */
void	hmac_key_wipe(struct hmac_key *k);

/*
 * A streaming MAC: hmac_start sets ctx to the inner state, the message
 * goes in through hash_update(ctx, ...), and hmac_finish writes the MAC
 * and wipes ctx.
 */
void	hmac_start(const struct hmac_key *k, hash_ctx *ctx);
void	hmac_finish(const struct hmac_key *k, hash_ctx *ctx,
	    unsigned char out[HASH_LEN]);

/* The MAC of msg[len] in one call. */
void	hmac_buf(const struct hmac_key *k, const void *msg, size_t len,
	    unsigned char out[HASH_LEN]);

/*
 * The MACs of two messages, as two hmac_buf calls compute them.  Where
 * the selected SHA-256 is the SHA-extensions one (hash_is_shani() when
 * the key was set up) and both messages are at most 55 bytes, the two
 * are computed together, their rounds interleaved: almost twice the
 * MACs per second.
 */
void	hmac_buf2(const struct hmac_key *k, const void *m1, size_t l1,
	    const void *m2, size_t l2, unsigned char o1[HASH_LEN],
	    unsigned char o2[HASH_LEN]);

/*
 * SHA-256(m1 || salt) and SHA-256(m2 || salt), the salted hash that
 * PostgreSQL's sha256(value || salt) computes: two lanes at once on the
 * SHA extensions when each message with the salt fits one block (55
 * bytes), else one hash after the other.  Not a MAC: see pii-hash(1)
 * on what a salt does not protect.
 */
void	hmac_salted2(const void *m1, size_t l1, const void *m2, size_t l2,
	    const void *salt, size_t slen, unsigned char o1[HASH_LEN],
	    unsigned char o2[HASH_LEN]);

#endif
