/* hash.c - SHA-256 (x86 SHA extensions or BearSSL), HMAC, hex, files. */
/* SPDX-License-Identifier: ISC */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define HASH_X86	1
#endif

#include "lib/hash.h"

/*
 * Read sizes of hash_fd(): a small buffer on the stack (it fits a
 * thread's default stack), and for large files one on the heap, large
 * enough that the cost of read(2) all but vanishes next to hashing.
 */
#define HASH_FDBUF	(64 * 1024)
#define HASH_FDBIGBUF	(1024 * 1024)

/*
 * BearSSL's HMAC keeps the inner and outer hash contexts in a
 * br_hash_compat_context, so our context must fit in one.  (C99 has no
 * _Static_assert: a negative array size is the compile-time error.)
 */
typedef char hash_ctx_fits_compat[
    sizeof(hash_ctx) <= sizeof(br_hash_compat_context) ? 1 : -1];

/* The implementation hash_sha256() returns; NULL until first chosen. */
static const br_hash_class *hash_selected;

#ifdef HASH_X86

#define SHANI(vt)	(&((hash_ctx *)(void *)(vt))->shani)
#define CSHANI(vt)	(&((const hash_ctx *)(const void *)(vt))->shani)

static const uint32_t sha256_iv[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
};

static const uint32_t sha256_k[64] __attribute__((aligned(16))) = {
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
 * Four rounds: sha256rnds2 does two rounds with the message-plus-constant
 * words in the low half of its third operand, so the high half is moved
 * down for the second pair.  The state lives in two registers, ABEF and
 * CDGH, the order the instruction wants.
 */
#define K4(i)	\
	_mm_load_si128((const __m128i *)(const void *)&sha256_k[4 * (i)])
#define RNDS4(w, i) do {						\
	m = _mm_add_epi32((w), K4(i));					\
	cdgh = _mm_sha256rnds2_epu32(cdgh, abef, m);			\
	m = _mm_shuffle_epi32(m, 0x0e);					\
	abef = _mm_sha256rnds2_epu32(abef, cdgh, m);			\
} while (0)

/* Message schedule: w[t..t+3] from the four previous groups of words;
 * msg1 is applied three groups ahead, alignr + msg2 one group ahead. */
#define MSG1(prev, cur)		((prev) = _mm_sha256msg1_epu32((prev), (cur)))
#define MSG2(next, cur, prev)	((next) = _mm_sha256msg2_epu32(		\
	_mm_add_epi32((next), _mm_alignr_epi8((cur), (prev), 4)), (cur)))

/*
 * The compression function on nblocks consecutive 64-byte blocks of data
 * (any alignment), state val[] in the usual a..h order.  The state is
 * shuffled into ABEF/CDGH once per call, not once per block.
 */
static void __attribute__((target("sha,sse4.1")))
sha256_shani_blocks(uint32_t val[8], const unsigned char *data,
    size_t nblocks)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL,
	    0x0405060700010203ULL);
	__m128i abef, cdgh, abef0, cdgh0, t, m;
	__m128i w0, w1, w2, w3;

	t = _mm_loadu_si128((const __m128i *)(const void *)&val[0]);
	cdgh = _mm_loadu_si128((const __m128i *)(const void *)&val[4]);
	t = _mm_shuffle_epi32(t, 0xb1);		/* CDAB */
	cdgh = _mm_shuffle_epi32(cdgh, 0x1b);	/* EFGH */
	abef = _mm_alignr_epi8(t, cdgh, 8);	/* ABEF */
	cdgh = _mm_blend_epi16(cdgh, t, 0xf0);	/* CDGH */

	for (; nblocks > 0; nblocks--, data += 64) {
		abef0 = abef;
		cdgh0 = cdgh;

		w0 = _mm_shuffle_epi8(_mm_loadu_si128(
		    (const __m128i *)(const void *)(data + 0)), bswap);
		w1 = _mm_shuffle_epi8(_mm_loadu_si128(
		    (const __m128i *)(const void *)(data + 16)), bswap);
		w2 = _mm_shuffle_epi8(_mm_loadu_si128(
		    (const __m128i *)(const void *)(data + 32)), bswap);
		w3 = _mm_shuffle_epi8(_mm_loadu_si128(
		    (const __m128i *)(const void *)(data + 48)), bswap);

		RNDS4(w0, 0);
		RNDS4(w1, 1);	MSG1(w0, w1);
		RNDS4(w2, 2);	MSG1(w1, w2);
		RNDS4(w3, 3);	MSG2(w0, w3, w2);	MSG1(w2, w3);
		RNDS4(w0, 4);	MSG2(w1, w0, w3);	MSG1(w3, w0);
		RNDS4(w1, 5);	MSG2(w2, w1, w0);	MSG1(w0, w1);
		RNDS4(w2, 6);	MSG2(w3, w2, w1);	MSG1(w1, w2);
		RNDS4(w3, 7);	MSG2(w0, w3, w2);	MSG1(w2, w3);
		RNDS4(w0, 8);	MSG2(w1, w0, w3);	MSG1(w3, w0);
		RNDS4(w1, 9);	MSG2(w2, w1, w0);	MSG1(w0, w1);
		RNDS4(w2, 10);	MSG2(w3, w2, w1);	MSG1(w1, w2);
		RNDS4(w3, 11);	MSG2(w0, w3, w2);	MSG1(w2, w3);
		RNDS4(w0, 12);	MSG2(w1, w0, w3);	MSG1(w3, w0);
		RNDS4(w1, 13);	MSG2(w2, w1, w0);
		RNDS4(w2, 14);	MSG2(w3, w2, w1);
		RNDS4(w3, 15);

		abef = _mm_add_epi32(abef, abef0);
		cdgh = _mm_add_epi32(cdgh, cdgh0);
	}

	t = _mm_shuffle_epi32(abef, 0x1b);	/* FEBA */
	cdgh = _mm_shuffle_epi32(cdgh, 0xb1);	/* DCHG */
	abef = _mm_blend_epi16(t, cdgh, 0xf0);	/* DCBA */
	cdgh = _mm_alignr_epi8(cdgh, t, 8);	/* HGFE */
	_mm_storeu_si128((__m128i *)(void *)&val[0], abef);
	_mm_storeu_si128((__m128i *)(void *)&val[4], cdgh);
}

#undef K4
#undef RNDS4
#undef MSG1
#undef MSG2

static void
enc32be(unsigned char *p, uint32_t x)
{
	p[0] = x >> 24;
	p[1] = x >> 16;
	p[2] = x >> 8;
	p[3] = x;
}

static uint32_t
dec32be(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static const br_hash_class shani_class;

static void
shani_init(const br_hash_class **vt)
{
	SHANI(vt)->vtable = &shani_class;
	memcpy(SHANI(vt)->val, sha256_iv, sizeof sha256_iv);
	SHANI(vt)->count = 0;
}

/* Whole blocks go to the compression function straight from data;
 * only a partial block at either end passes through buf. */
static void
shani_update(const br_hash_class **vt, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t used, n;

	if (len == 0)
		return;
	used = SHANI(vt)->count & 63;
	SHANI(vt)->count += len;
	if (used != 0) {
		n = 64 - used;
		if (n > len)
			n = len;
		memcpy(SHANI(vt)->buf + used, p, n);
		p += n;
		len -= n;
		if (used + n < 64)
			return;
		sha256_shani_blocks(SHANI(vt)->val, SHANI(vt)->buf, 1);
	}
	if (len >= 64) {
		sha256_shani_blocks(SHANI(vt)->val, p, len / 64);
		p += len & ~(size_t)63;
		len &= 63;
	}
	if (len != 0)
		memcpy(SHANI(vt)->buf, p, len);
}

/* Pads a copy, so the context can be continued afterwards. */
static void
shani_out(const br_hash_class *const *vt, void *dst)
{
	unsigned char buf[64], *out = dst;
	uint32_t val[8];
	uint64_t bits = CSHANI(vt)->count << 3;
	size_t used = CSHANI(vt)->count & 63;
	int i;

	memcpy(buf, CSHANI(vt)->buf, used);
	memcpy(val, CSHANI(vt)->val, sizeof val);
	buf[used++] = 0x80;
	if (used > 56) {
		memset(buf + used, 0, 64 - used);
		sha256_shani_blocks(val, buf, 1);
		used = 0;
	}
	memset(buf + used, 0, 56 - used);
	enc32be(buf + 56, (uint32_t)(bits >> 32));
	enc32be(buf + 60, (uint32_t)bits);
	sha256_shani_blocks(val, buf, 1);
	for (i = 0; i < 8; i++)
		enc32be(out + 4 * i, val[i]);
}

/* The chaining value, big-endian as BearSSL's own SHA-256 writes it, so
 * states can be exchanged between the two implementations. */
static uint64_t
shani_state(const br_hash_class *const *vt, void *dst)
{
	unsigned char *out = dst;
	int i;

	for (i = 0; i < 8; i++)
		enc32be(out + 4 * i, CSHANI(vt)->val[i]);
	return CSHANI(vt)->count;
}

/* As in BearSSL, count should be a multiple of 64: a partial block is
 * not part of the state. */
static void
shani_set_state(const br_hash_class **vt, const void *stb, uint64_t count)
{
	const unsigned char *in = stb;
	int i;

	for (i = 0; i < 8; i++)
		SHANI(vt)->val[i] = dec32be(in + 4 * i);
	SHANI(vt)->count = count;
}

static const br_hash_class shani_class = {
	sizeof(hash_ctx),
	BR_HASHDESC_ID(br_sha256_ID) | BR_HASHDESC_OUT(32) |
	    BR_HASHDESC_STATE(32) | BR_HASHDESC_LBLEN(6) |
	    BR_HASHDESC_MD_PADDING | BR_HASHDESC_MD_PADDING_BE,
	shani_init,
	shani_update,
	shani_out,
	shani_state,
	shani_set_state
};

/* SHA (leaf 7 EBX bit 29) for the rounds and the message schedule,
 * SSSE3 for pshufb and palignr, SSE4.1 for pblendw. */
static int
cpu_has_shani(void)
{
	unsigned int a, b, c, d;

	if (__get_cpuid_max(0, NULL) < 7)
		return 0;
	__cpuid(1, a, b, c, d);
	if ((c & bit_SSSE3) == 0 || (c & bit_SSE4_1) == 0)
		return 0;
	__cpuid_count(7, 0, a, b, c, d);
	return (b & bit_SHA) != 0;
}

static const br_hash_class *
shani_vtable(void)
{
	return cpu_has_shani() ? &shani_class : NULL;
}

#else

static const br_hash_class *
shani_vtable(void)
{
	return NULL;
}

#endif /* HASH_X86 */

static const br_hash_class *
hash_auto(void)
{
	const br_hash_class *vt = shani_vtable();

	return vt != NULL ? vt : &br_sha256_vtable;
}

const br_hash_class *
hash_sha256(void)
{
	if (hash_selected == NULL)
		hash_selected = hash_auto();
	return hash_selected;
}

int
hash_select(enum hash_impl impl)
{
	const br_hash_class *vt;

	switch (impl) {
	case HASH_AUTO:
		hash_selected = hash_auto();
		return 0;
	case HASH_PORTABLE:
		hash_selected = &br_sha256_vtable;
		return 0;
	case HASH_SHANI:
		if ((vt = shani_vtable()) == NULL) {
			errno = ENOTSUP;
			return -1;
		}
		hash_selected = vt;
		return 0;
	}
	errno = EINVAL;
	return -1;
}

int
hash_is_shani(void)
{
	return hash_sha256() != &br_sha256_vtable;
}

void
hash_init(hash_ctx *ctx)
{
	hash_sha256()->init(&ctx->vtable);
}

void
hash_update(hash_ctx *ctx, const void *data, size_t len)
{
	ctx->vtable->update(&ctx->vtable, data, len);
}

void
hash_final(hash_ctx *ctx, unsigned char out[HASH_LEN])
{
	ctx->vtable->out(&ctx->vtable, out);
}

void
hash_buf(const void *data, size_t len, unsigned char out[HASH_LEN])
{
	hash_ctx ctx;

	hash_init(&ctx);
	hash_update(&ctx, data, len);
	hash_final(&ctx, out);
}

void
hash_hmac(const void *key, size_t keylen, const void *msg, size_t len,
    unsigned char out[HASH_LEN])
{
	br_hmac_key_context kc;
	br_hmac_context hc;

	br_hmac_key_init(&kc, hash_sha256(), key, keylen);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, msg, len);
	br_hmac_out(&hc, out);
	/* Both contexts hold states derived from the key. */
	explicit_bzero(&kc, sizeof kc);
	explicit_bzero(&hc, sizeof hc);
}

int
hash_fd(int fd, unsigned char out[HASH_LEN], uint64_t *nbytes)
{
	unsigned char small[HASH_FDBUF] __attribute__((aligned(64)));
	unsigned char *buf = small, *big = NULL;
	size_t size = sizeof small;
	struct stat st;
	hash_ctx ctx;
	uint64_t total = 0;
	ssize_t n;
	int saved;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > HASH_FDBIGBUF && (big = malloc(HASH_FDBIGBUF)) != NULL) {
		buf = big;
		size = HASH_FDBIGBUF;
	}
	/* Only a hint: pipes and the like refuse it, which changes nothing. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	hash_init(&ctx);
	for (;;) {
		n = read(fd, buf, size);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			free(big);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		hash_update(&ctx, buf, (size_t)n);
		total += (uint64_t)n;
	}
	free(big);
	hash_final(&ctx, out);
	if (nbytes != NULL)
		*nbytes = total;
	return 0;
}

void
hash_hex(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

/*
 * The value of hex digit c, or -1.  No table and no branch on c (the
 * masks are libsodium's), so decoding a key leaks nothing through the
 * cache or the branch predictor.
 */
static int
unhex_digit(unsigned int c)
{
	unsigned int num = c ^ 48, alpha = (c & ~32U) - 55;
	unsigned int isnum = (num - 10) >> 8;		/* ~0 if '0'-'9' */
	unsigned int isalpha = ((alpha - 10) ^ (alpha - 16)) >> 8;
	unsigned int v = (isnum & num) | (isalpha & alpha);

	return (int)v - (int)(1 - ((isnum | isalpha) & 1));
}

int
hash_unhex(const char *in, unsigned char *out, size_t len)
{
	size_t i;
	int hi, lo;

	/* Validate first, stopping at a NUL, so out is untouched on error
	 * and nothing past the end of a short string is read. */
	for (i = 0; i < 2 * len; i++)
		if (unhex_digit((unsigned char)in[i]) < 0) {
			errno = EINVAL;
			return -1;
		}
	for (i = 0; i < len; i++) {
		hi = unhex_digit((unsigned char)in[2 * i]);
		lo = unhex_digit((unsigned char)in[2 * i + 1]);
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int
hash_equal(const void *a, const void *b, size_t len)
{
	const unsigned char *pa = a, *pb = b;
	unsigned int d = 0;
	size_t i;

	for (i = 0; i < len; i++)
		d |= pa[i] ^ pb[i];
	/* 1 when d == 0, without a branch on d. */
	return (int)(1 & ((d - 1) >> 8));
}
