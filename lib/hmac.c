/* hmac.c - HMAC-SHA256 with the key's states computed once, and salted
 * SHA-256; two short messages at a time on the x86 SHA extensions. */
/* SPDX-License-Identifier: ISC */

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HMAC_X86	1
#endif

#include "lib/hmac.h"

#define HMAC_BLOCK	64
#define HMAC_SHORT	(HMAC_BLOCK - 9)	/* fits one block, padded */

static uint32_t
dec32be(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Pad the len bytes (at most HMAC_SHORT) at the start of block, the
 * rest of which is zero, as the last block of a message of total bytes
 * (below 2^13, so that its length in bits takes the last two bytes). */
static void
pad_end(unsigned char block[HMAC_BLOCK], size_t len, size_t total)
{
	unsigned bits = (unsigned)total << 3;

	block[len] = 0x80;
	block[HMAC_BLOCK - 2] = (unsigned char)(bits >> 8);
	block[HMAC_BLOCK - 1] = (unsigned char)bits;
}

/*
 * Word by word, the last word overlapping the one before: a call to
 * memcpy costs more than these short copies (and a loop over the last
 * bytes is one: the compiler turns it into a call).
 */
static void
copy_short(unsigned char *dst, const void *src, size_t len)
{
	const unsigned char *m = src;
	size_t i;

	if (len >= 8) {
		for (i = 0; i + 8 <= len; i += 8)
			memcpy(dst + i, m + i, 8);
		if (i < len)
			memcpy(dst + len - 8, m + len - 8, 8);
	} else if (len >= 4) {
		memcpy(dst, m, 4);
		memcpy(dst + len - 4, m + len - 4, 4);
	} else if (len > 0) {
		dst[0] = m[0];
		dst[len / 2] = m[len / 2];
		dst[len - 1] = m[len - 1];
	}
}

/* msg[len] into block, padded as what follows the key block. */
static void
pad_short(unsigned char block[HMAC_BLOCK], const void *msg, size_t len)
{
	memset(block, 0, HMAC_BLOCK);
	copy_short(block, msg, len);
	pad_end(block, len, HMAC_BLOCK + len);
}

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
	int i;

	memset(kb, 0, sizeof kb);
	if (keylen > HMAC_BLOCK)
		hash_buf(key, keylen, kb);
	else if (keylen > 0)
		memcpy(kb, key, keylen);
	k->vtable = hash_sha256();
	pad_state(k->vtable, kb, 0x36, k->istate);
	pad_state(k->vtable, kb, 0x5c, k->ostate);
	for (i = 0; i < 8; i++) {
		k->iv[i] = dec32be(k->istate + 4 * i);
		k->ov[i] = dec32be(k->ostate + 4 * i);
	}
	/* The two-lane code needs the SHA extensions, as the selected
	 * hash does exactly when the CPU has them. */
	k->x2 = hash_is_shani();
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
	hash_ctx ctx;

	pad_short(block, msg, len);
	ctx.vtable = k->vtable;
	k->vtable->set_state(&ctx.vtable, k->istate, HMAC_BLOCK);
	k->vtable->update(&ctx.vtable, block, HMAC_BLOCK);
	memset(block + HASH_LEN, 0, HMAC_BLOCK - HASH_LEN);
	k->vtable->state(&ctx.vtable, block);
	pad_end(block, HASH_LEN, HMAC_BLOCK + HASH_LEN);
	k->vtable->set_state(&ctx.vtable, k->ostate, HMAC_BLOCK);
	k->vtable->update(&ctx.vtable, block, HMAC_BLOCK);
	k->vtable->state(&ctx.vtable, out);
}

void
hmac_buf(const struct hmac_key *k, const void *msg, size_t len,
    unsigned char out[HASH_LEN])
{
	hash_ctx ctx;

	if (len <= HMAC_SHORT) {
		hmac_short(k, msg, len, out);
		return;
	}
	hmac_start(k, &ctx);
	k->vtable->update(&ctx.vtable, msg, len);
	hmac_finish(k, &ctx, out);
}

#ifdef HMAC_X86

static const uint32_t k256[64] __attribute__((aligned(16))) = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
	0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
	0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
	0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

/*
 * One block of each of two independent messages, their rounds
 * interleaved: sha256rnds2 waits for its previous result, so one stream
 * leaves the unit idle half the time and two fill it (1.9 times the
 * blocks per second of lib/hash's one-stream function, measured on
 * AMD EPYC).  Same scheme as lib/hash.c: four rounds per step, the state
 * in ABEF/CDGH order, the message schedule run ahead with msg1/msg2.
 */
#define K4(i)	\
	_mm_load_si128((const __m128i *)(const void *)&k256[4 * (i)])
#define RNDS4(i, wa, wb) do {						\
	ma = _mm_add_epi32((wa), K4(i));				\
	mb = _mm_add_epi32((wb), K4(i));				\
	cdgha = _mm_sha256rnds2_epu32(cdgha, abefa, ma);		\
	cdghb = _mm_sha256rnds2_epu32(cdghb, abefb, mb);		\
	ma = _mm_shuffle_epi32(ma, 0x0e);				\
	mb = _mm_shuffle_epi32(mb, 0x0e);				\
	abefa = _mm_sha256rnds2_epu32(abefa, cdgha, ma);		\
	abefb = _mm_sha256rnds2_epu32(abefb, cdghb, mb);		\
} while (0)
#define MSG1(p, c) do {							\
	p##a = _mm_sha256msg1_epu32(p##a, c##a);			\
	p##b = _mm_sha256msg1_epu32(p##b, c##b);			\
} while (0)
#define MSG2(n, c, p) do {						\
	n##a = _mm_sha256msg2_epu32(_mm_add_epi32(n##a,			\
	    _mm_alignr_epi8(c##a, p##a, 4)), c##a);			\
	n##b = _mm_sha256msg2_epu32(_mm_add_epi32(n##b,			\
	    _mm_alignr_epi8(c##b, p##b, 4)), c##b);			\
} while (0)
#define LOADW(p, o)	_mm_shuffle_epi8(_mm_loadu_si128(		\
	(const __m128i *)(const void *)((p) + (o))), bswap)
#define TOABEF(v, abef, cdgh) do {					\
	t = _mm_loadu_si128((const __m128i *)(const void *)&(v)[0]);	\
	(cdgh) = _mm_loadu_si128((const __m128i *)(const void *)&(v)[4]); \
	t = _mm_shuffle_epi32(t, 0xb1);					\
	(cdgh) = _mm_shuffle_epi32(cdgh, 0x1b);				\
	(abef) = _mm_alignr_epi8(t, cdgh, 8);				\
	(cdgh) = _mm_blend_epi16(cdgh, t, 0xf0);			\
} while (0)
/*
 * Two HMACs at once, entirely in registers: the inner hashes of the two
 * padded blocks b1 and b2 from the key's inner state, then the outer
 * hashes, whose message words are the inner digests (as words already)
 * and constant padding for 64 + 32 bytes.
 */
#define ROUNDS(w0a, w1a, w2a, w3a, w0b, w1b, w2b, w3b) do {		\
	sa0 = abefa;							\
	sa1 = cdgha;							\
	sb0 = abefb;							\
	sb1 = cdghb;							\
	RNDS4(0, w0a, w0b);						\
	RNDS4(1, w1a, w1b); MSG1(w0, w1);				\
	RNDS4(2, w2a, w2b); MSG1(w1, w2);				\
	RNDS4(3, w3a, w3b); MSG2(w0, w3, w2); MSG1(w2, w3);		\
	RNDS4(4, w0a, w0b); MSG2(w1, w0, w3); MSG1(w3, w0);		\
	RNDS4(5, w1a, w1b); MSG2(w2, w1, w0); MSG1(w0, w1);		\
	RNDS4(6, w2a, w2b); MSG2(w3, w2, w1); MSG1(w1, w2);		\
	RNDS4(7, w3a, w3b); MSG2(w0, w3, w2); MSG1(w2, w3);		\
	RNDS4(8, w0a, w0b); MSG2(w1, w0, w3); MSG1(w3, w0);		\
	RNDS4(9, w1a, w1b); MSG2(w2, w1, w0); MSG1(w0, w1);		\
	RNDS4(10, w2a, w2b); MSG2(w3, w2, w1); MSG1(w1, w2);		\
	RNDS4(11, w3a, w3b); MSG2(w0, w3, w2); MSG1(w2, w3);		\
	RNDS4(12, w0a, w0b); MSG2(w1, w0, w3); MSG1(w3, w0);		\
	RNDS4(13, w1a, w1b); MSG2(w2, w1, w0);				\
	RNDS4(14, w2a, w2b); MSG2(w3, w2, w1);				\
	RNDS4(15, w3a, w3b);						\
	abefa = _mm_add_epi32(abefa, sa0);				\
	cdgha = _mm_add_epi32(cdgha, sa1);				\
	abefb = _mm_add_epi32(abefb, sb0);				\
	cdghb = _mm_add_epi32(cdghb, sb1);				\
} while (0)

/* ABEF/CDGH back to the words a..d and e..h. */
#define WORDS(abef, cdgh, lo, hi) do {					\
	t = _mm_shuffle_epi32(abef, 0x1b);				\
	(hi) = _mm_shuffle_epi32(cdgh, 0xb1);				\
	(lo) = _mm_blend_epi16(t, hi, 0xf0);				\
	(hi) = _mm_alignr_epi8(hi, t, 8);				\
} while (0)

static void __attribute__((target("sha,sse4.1")))
hmac_x2_blocks(const struct hmac_key *k, const unsigned char *b1,
    const unsigned char *b2, unsigned char o1[HASH_LEN],
    unsigned char o2[HASH_LEN])
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL,
	    0x0405060700010203ULL);
	const __m128i pad2 = _mm_set_epi32(0, 0, 0, (int)0x80000000);
	const __m128i pad3 = _mm_set_epi32(0x300, 0, 0, 0);
	__m128i abefa, cdgha, abefb, cdghb, sa0, sa1, sb0, sb1, t, ma, mb;
	__m128i w0a, w1a, w2a, w3a, w0b, w1b, w2b, w3b;

	TOABEF(k->iv, abefa, cdgha);
	abefb = abefa;
	cdghb = cdgha;
	w0a = LOADW(b1, 0);
	w1a = LOADW(b1, 16);
	w2a = LOADW(b1, 32);
	w3a = LOADW(b1, 48);
	w0b = LOADW(b2, 0);
	w1b = LOADW(b2, 16);
	w2b = LOADW(b2, 32);
	w3b = LOADW(b2, 48);
	ROUNDS(w0a, w1a, w2a, w3a, w0b, w1b, w2b, w3b);

	WORDS(abefa, cdgha, w0a, w1a);
	WORDS(abefb, cdghb, w0b, w1b);
	w2a = w2b = pad2;
	w3a = w3b = pad3;
	TOABEF(k->ov, abefa, cdgha);
	abefb = abefa;
	cdghb = cdgha;
	ROUNDS(w0a, w1a, w2a, w3a, w0b, w1b, w2b, w3b);

	WORDS(abefa, cdgha, w0a, w1a);
	WORDS(abefb, cdghb, w0b, w1b);
	_mm_storeu_si128((__m128i *)(void *)o1, _mm_shuffle_epi8(w0a, bswap));
	_mm_storeu_si128((__m128i *)(void *)(o1 + 16),
	    _mm_shuffle_epi8(w1a, bswap));
	_mm_storeu_si128((__m128i *)(void *)o2, _mm_shuffle_epi8(w0b, bswap));
	_mm_storeu_si128((__m128i *)(void *)(o2 + 16),
	    _mm_shuffle_epi8(w1b, bswap));
}

/* One block each of two messages from the state iv: their digests, if
 * the blocks are the messages' last. */
static void __attribute__((target("sha,sse4.1")))
sha256_x2_last(const uint32_t iv[8], const unsigned char *b1,
    const unsigned char *b2, unsigned char o1[HASH_LEN],
    unsigned char o2[HASH_LEN])
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL,
	    0x0405060700010203ULL);
	__m128i abefa, cdgha, abefb, cdghb, sa0, sa1, sb0, sb1, t, ma, mb;
	__m128i w0a, w1a, w2a, w3a, w0b, w1b, w2b, w3b;

	TOABEF(iv, abefa, cdgha);
	abefb = abefa;
	cdghb = cdgha;
	w0a = LOADW(b1, 0);
	w1a = LOADW(b1, 16);
	w2a = LOADW(b1, 32);
	w3a = LOADW(b1, 48);
	w0b = LOADW(b2, 0);
	w1b = LOADW(b2, 16);
	w2b = LOADW(b2, 32);
	w3b = LOADW(b2, 48);
	ROUNDS(w0a, w1a, w2a, w3a, w0b, w1b, w2b, w3b);
	WORDS(abefa, cdgha, w0a, w1a);
	WORDS(abefb, cdghb, w0b, w1b);
	_mm_storeu_si128((__m128i *)(void *)o1, _mm_shuffle_epi8(w0a, bswap));
	_mm_storeu_si128((__m128i *)(void *)(o1 + 16),
	    _mm_shuffle_epi8(w1a, bswap));
	_mm_storeu_si128((__m128i *)(void *)o2, _mm_shuffle_epi8(w0b, bswap));
	_mm_storeu_si128((__m128i *)(void *)(o2 + 16),
	    _mm_shuffle_epi8(w1b, bswap));
}

#undef K4
#undef RNDS4
#undef MSG1
#undef MSG2
#undef LOADW
#undef TOABEF
#undef ROUNDS
#undef WORDS

/* Two short messages: padded here, hashed together. */
static void
hmac_x2(const struct hmac_key *k, const void *m1, size_t l1, const void *m2,
    size_t l2, unsigned char o1[HASH_LEN], unsigned char o2[HASH_LEN])
{
	unsigned char b1[HMAC_BLOCK], b2[HMAC_BLOCK];

	pad_short(b1, m1, l1);
	pad_short(b2, m2, l2);
	hmac_x2_blocks(k, b1, b2, o1, o2);
}

static const uint32_t sha256_iv[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
};

#endif /* HMAC_X86 */

void
hmac_buf2(const struct hmac_key *k, const void *m1, size_t l1,
    const void *m2, size_t l2, unsigned char o1[HASH_LEN],
    unsigned char o2[HASH_LEN])
{
#ifdef HMAC_X86
	if (l1 <= HMAC_SHORT && l2 <= HMAC_SHORT && k->x2) {
		hmac_x2(k, m1, l1, m2, l2, o1, o2);
		return;
	}
#endif
	hmac_buf(k, m1, l1, o1);
	hmac_buf(k, m2, l2, o2);
}

/* SHA-256 of msg[len] || salt[slen], one message. */
static void
salted_one(const void *msg, size_t len, const void *salt, size_t slen,
    unsigned char out[HASH_LEN])
{
	hash_ctx ctx;

	hash_init(&ctx);
	hash_update(&ctx, msg, len);
	hash_update(&ctx, salt, slen);
	hash_final(&ctx, out);
}

void
hmac_salted2(const void *m1, size_t l1, const void *m2, size_t l2,
    const void *salt, size_t slen, unsigned char o1[HASH_LEN],
    unsigned char o2[HASH_LEN])
{
#ifdef HMAC_X86
	unsigned char b1[HMAC_BLOCK], b2[HMAC_BLOCK];

	if (slen <= HMAC_SHORT && l1 <= HMAC_SHORT - slen &&
	    l2 <= HMAC_SHORT - slen && hash_is_shani()) {
		memset(b1, 0, sizeof b1);
		memset(b2, 0, sizeof b2);
		copy_short(b1, m1, l1);
		copy_short(b1 + l1, salt, slen);
		copy_short(b2, m2, l2);
		copy_short(b2 + l2, salt, slen);
		pad_end(b1, l1 + slen, l1 + slen);
		pad_end(b2, l2 + slen, l2 + slen);
		sha256_x2_last(sha256_iv, b1, b2, o1, o2);
		return;
	}
#endif
	salted_one(m1, l1, salt, slen, o1);
	salted_one(m2, l2, salt, slen, o2);
}
