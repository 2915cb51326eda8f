/* sign.c - ECDSA P-256 signatures (BearSSL, RFC 6979) and base64. */
/* SPDX-License-Identifier: ISC */

#include <sys/random.h>

#include <errno.h>
#include <string.h>

#include "lib/sign.h"

/* SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING }: the
 * DER of a P-256 SubjectPublicKeyInfo up to the point (RFC 5480). */
static const unsigned char spki_prefix[SIGN_SPKILEN - SIGN_PUBLEN] = {
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d,
	0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01,
	0x07, 0x03, 0x42, 0x00
};

/* The order of the P-256 group, big-endian. */
static const unsigned char p256_order[SIGN_SECLEN] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
	0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51
};

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int	fill_random(void *buf, size_t len);
static int	scalar_ok(const unsigned char sec[SIGN_SECLEN]);
static int	b64val(int c);

static int
fill_random(void *buf, size_t len)
{
	unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = getrandom(p, len, 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* 0 < sec < order, compared without branching on the secret. */
static int
scalar_ok(const unsigned char sec[SIGN_SECLEN])
{
	unsigned int borrow = 0, nonzero = 0;
	int i;

	for (i = SIGN_SECLEN - 1; i >= 0; i--) {
		borrow = ((unsigned int)sec[i] - p256_order[i] - borrow) >> 31;
		nonzero |= sec[i];
	}
	return borrow == 1 && nonzero != 0;
}

int
sign_keygen(struct sign_key *k)
{
	br_hmac_drbg_context rng;
	br_ec_private_key sk;
	unsigned char seed[48], kbuf[BR_EC_KBUF_PRIV_MAX_SIZE];
	int r = -1;

	if (fill_random(seed, sizeof seed) == -1)
		return -1;
	br_hmac_drbg_init(&rng, hash_sha256(), seed, sizeof seed);
	if (br_ec_keygen(&rng.vtable, &br_ec_p256_m31, &sk, kbuf,
	    BR_EC_secp256r1) != SIGN_SECLEN)
		errno = EINVAL;
	else
		r = sign_setsec(k, kbuf);
	explicit_bzero(seed, sizeof seed);
	explicit_bzero(kbuf, sizeof kbuf);
	explicit_bzero(&rng, sizeof rng);
	return r;
}

int
sign_setsec(struct sign_key *k, const unsigned char sec[SIGN_SECLEN])
{
	br_ec_private_key sk;

	if (!scalar_ok(sec)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(k->sec, sec, SIGN_SECLEN);
	sk.curve = BR_EC_secp256r1;
	sk.x = k->sec;
	sk.xlen = SIGN_SECLEN;
	if (br_ec_compute_pub(&br_ec_p256_m31, NULL, k->pub, &sk) !=
	    SIGN_PUBLEN) {
		sign_wipe(k);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

void
sign_wipe(struct sign_key *k)
{
	explicit_bzero(k, sizeof *k);
}

int
sign_pubvalid(const unsigned char pub[SIGN_PUBLEN])
{
	unsigned char pt[SIGN_PUBLEN], one[1] = { 1 };

	/* mul() decodes the point and fails on one off the curve. */
	if (pub[0] != 0x04)
		return 0;
	memcpy(pt, pub, SIGN_PUBLEN);
	return br_ec_p256_m31.mul(pt, SIGN_PUBLEN, one, sizeof one,
	    BR_EC_secp256r1) == 1;
}

void
sign_spki(const unsigned char pub[SIGN_PUBLEN], unsigned char out[SIGN_SPKILEN])
{
	memcpy(out, spki_prefix, sizeof spki_prefix);
	memcpy(out + sizeof spki_prefix, pub, SIGN_PUBLEN);
}

uint32_t
sign_keyid(const unsigned char pub[SIGN_PUBLEN])
{
	unsigned char spki[SIGN_SPKILEN], h[HASH_LEN];

	sign_spki(pub, spki);
	hash_buf(spki, sizeof spki, h);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3];
}

size_t
sign_sign(const struct sign_key *k, const void *msg, size_t len,
    unsigned char sig[SIGN_MAXSIG])
{
	br_ec_private_key sk;
	unsigned char h[HASH_LEN];
	size_t n;

	hash_buf(msg, len, h);
	sk.curve = BR_EC_secp256r1;
	sk.x = (unsigned char *)k->sec;
	sk.xlen = SIGN_SECLEN;
	n = br_ecdsa_i31_sign_asn1(&br_ec_p256_m31, hash_sha256(), h, &sk,
	    sig);
	explicit_bzero(&sk, sizeof sk);
	return n;
}

int
sign_verify(const unsigned char pub[SIGN_PUBLEN], const void *msg,
    size_t len, const void *sig, size_t siglen)
{
	br_ec_public_key pk;
	unsigned char h[HASH_LEN], q[SIGN_PUBLEN];

	if (siglen == 0 || siglen > SIGN_MAXSIG)
		return 0;
	hash_buf(msg, len, h);
	memcpy(q, pub, SIGN_PUBLEN);
	pk.curve = BR_EC_secp256r1;
	pk.q = q;
	pk.qlen = SIGN_PUBLEN;
	return br_ecdsa_i31_vrfy_asn1(&br_ec_p256_m31, h, sizeof h, &pk, sig,
	    siglen) == 1;
}

size_t
sign_b64enc(char *out, const void *in, size_t len)
{
	const unsigned char *p = in;
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64[v >> 18];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = b64[v >> 6 & 63];
		out[o++] = b64[v & 63];
	}
	if (i < len) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		out[o++] = b64[v >> 18];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < len ? b64[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
sign_b64dec(const char *in, size_t len, unsigned char *out, size_t size,
    size_t *outlen)
{
	size_t i, o = 0, pad = 0;
	uint32_t v;
	int j, d;

	if (len % 4 != 0) {
		errno = EINVAL;
		return -1;
	}
	if (len > 0 && in[len - 1] == '=')
		pad = len > 1 && in[len - 2] == '=' ? 2 : 1;
	if (len / 4 * 3 - pad > size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (i = 0; i < len; i += 4) {
		v = 0;
		for (j = 0; j < 4; j++) {
			if (i + 4 == len && j >= 4 - (int)pad)
				d = 0;
			else if ((d = b64val((unsigned char)in[i + j])) < 0) {
				errno = EINVAL;
				return -1;
			}
			v = v << 6 | (uint32_t)d;
		}
		/* The bits the padding leaves unused must be zero. */
		if ((pad == 1 && i + 4 == len && (v & 0xff) != 0) ||
		    (pad == 2 && i + 4 == len && (v & 0xffff) != 0)) {
			errno = EINVAL;
			return -1;
		}
		out[o++] = v >> 16;
		if (i + 4 < len || pad < 2)
			out[o++] = v >> 8 & 0xff;
		if (i + 4 < len || pad < 1)
			out[o++] = v & 0xff;
	}
	*outlen = o;
	return 0;
}
