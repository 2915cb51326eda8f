/* hmac.h - HMAC-SHA256 with the key's inner and outer states computed once. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_HMAC_H
#define DATAKEEP_HMAC_H

#include <stddef.h>

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
	unsigned char		 istate[HASH_LEN];
	unsigned char		 ostate[HASH_LEN];
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

#endif
