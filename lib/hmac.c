/* hmac.c - HMAC-SHA256 with the key's inner and outer states computed once. */
/* SPDX-License-Identifier: ISC */

#include <stdint.h>
#include <string.h>

#include "lib/hmac.h"

#define HMAC_BLOCK	64

/* The chaining value after one block of key ^ pad. */
static void
pad_state(const br_hash_class *vt, const unsigned char kb[HMAC_BLOCK],
    unsigned char pad, unsigned char state[HASH_LEN])
{
	unsigned char block[HMAC_BLOCK];
	hash_ctx ctx;
	size_t i;

	for (i = 0; i < HMAC_BLOCK; i++)
		block[i] = kb[i] ^ pad;
	vt->init(&ctx.vtable);
	vt->update(&ctx.vtable, block, HMAC_BLOCK);
	vt->state(&ctx.vtable, state);
	explicit_bzero(block, sizeof block);
	explicit_bzero(&ctx, sizeof ctx);
}

void
hmac_key_init(struct hmac_key *k, const void *key, size_t keylen)
{
	unsigned char kb[HMAC_BLOCK];

	memset(kb, 0, sizeof kb);
	if (keylen > HMAC_BLOCK)
		hash_buf(key, keylen, kb);
	else if (keylen > 0)
		memcpy(kb, key, keylen);
	k->vtable = hash_sha256();
	pad_state(k->vtable, kb, 0x36, k->istate);
	pad_state(k->vtable, kb, 0x5c, k->ostate);
	explicit_bzero(kb, sizeof kb);
}

void
hmac_key_wipe(struct hmac_key *k)
{
	explicit_bzero(k, sizeof *k);
}

void
hmac_start(const struct hmac_key *k, hash_ctx *ctx)
{
	/* set_state leaves the vtable alone: it must be there first. */
	ctx->vtable = k->vtable;
	k->vtable->set_state(&ctx->vtable, k->istate, HMAC_BLOCK);
}

void
hmac_finish(const struct hmac_key *k, hash_ctx *ctx,
    unsigned char out[HASH_LEN])
{
	unsigned char inner[HASH_LEN];

	k->vtable->out(&ctx->vtable, inner);
	ctx->vtable = k->vtable;
	k->vtable->set_state(&ctx->vtable, k->ostate, HMAC_BLOCK);
	k->vtable->update(&ctx->vtable, inner, sizeof inner);
	k->vtable->out(&ctx->vtable, out);
	explicit_bzero(inner, sizeof inner);
	explicit_bzero(ctx, sizeof *ctx);
}

/* A message that fits in one block with its padding: each of the two
 * hashes is one compression of a block padded here, whose chaining value
 * afterwards is the digest. */
static void
hmac_short(const struct hmac_key *k, const void *msg, size_t len,
    unsigned char out[HASH_LEN])
{
	unsigned char block[HMAC_BLOCK];
	uint64_t bits;
	hash_ctx ctx;
	int i;

	memcpy(block, msg, len);
	block[len] = 0x80;
	memset(block + len + 1, 0, HMAC_BLOCK - 8 - len - 1);
	bits = (uint64_t)(HMAC_BLOCK + len) << 3;
	for (i = 0; i < 8; i++)
		block[HMAC_BLOCK - 1 - i] = (unsigned char)(bits >> (8 * i));
	ctx.vtable = k->vtable;
	k->vtable->set_state(&ctx.vtable, k->istate, HMAC_BLOCK);
	k->vtable->update(&ctx.vtable, block, HMAC_BLOCK);
	k->vtable->state(&ctx.vtable, block);

	block[HASH_LEN] = 0x80;
	memset(block + HASH_LEN + 1, 0, HMAC_BLOCK - 8 - HASH_LEN - 1);
	bits = (uint64_t)(HMAC_BLOCK + HASH_LEN) << 3;
	for (i = 0; i < 8; i++)
		block[HMAC_BLOCK - 1 - i] = (unsigned char)(bits >> (8 * i));
	k->vtable->set_state(&ctx.vtable, k->ostate, HMAC_BLOCK);
	k->vtable->update(&ctx.vtable, block, HMAC_BLOCK);
	k->vtable->state(&ctx.vtable, out);
}

void
hmac_buf(const struct hmac_key *k, const void *msg, size_t len,
    unsigned char out[HASH_LEN])
{
	hash_ctx ctx;

	if (len <= HMAC_BLOCK - 9) {
		hmac_short(k, msg, len, out);
		return;
	}
	hmac_start(k, &ctx);
	k->vtable->update(&ctx.vtable, msg, len);
	hmac_finish(k, &ctx, out);
}
