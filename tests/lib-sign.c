/* lib-sign.c - unit tests for lib/sign: RFC 6979 P-256 vectors, key
 * checks, tampered signatures, base64 (RFC 4648) and its strictness. */
/* SPDX-License-Identifier: ISC */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/sign.h"
#include "tests/tap.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* RFC 6979, A.2.5: the P-256 key and the SHA-256 signature of "sample". */
static const char *const rfc_x =
    "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
static const char *const rfc_ux =
    "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6";
static const char *const rfc_uy =
    "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";
static const char *const rfc_r =
    "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716";
static const char *const rfc_s =
    "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8";

static const struct {
	const char	*in, *out;
} b64vec[] = {
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static const char *const b64bad[] = {
	"Zg=", "Zh==", "Zm9=", "Zm9v\n", "Z===", "Zm9vY===", "=Zm9", "Zm 9",
	"Zm-v", "Zm8=Zm8=",
};

/* Decode a DER ECDSA signature's r and s into 32 bytes each. */
static int
der_rs(const unsigned char *sig, size_t len, unsigned char r[32],
    unsigned char s[32])
{
	size_t i = 2, n, k;
	unsigned char *out[2] = { r, s };

	if (len < 8 || sig[0] != 0x30 || sig[1] != len - 2)
		return -1;
	for (k = 0; k < 2; k++) {
		if (i + 2 > len || sig[i] != 0x02)
			return -1;
		n = sig[i + 1];
		i += 2;
		if (i + n > len)
			return -1;
		if (n == 33 && sig[i] == 0) {
			i++;
			n--;
		}
		if (n > 32)
			return -1;
		memset(out[k], 0, 32);
		memcpy(out[k] + 32 - n, sig + i, n);
		i += n;
	}
	return i == len ? 0 : -1;
}

int
main(void)
{
	struct sign_key k, k2;
	unsigned char sec[SIGN_SECLEN], sig[SIGN_MAXSIG], r[32], s[32];
	unsigned char spki[SIGN_SPKILEN], buf[64], h[HASH_LEN];
	char hex[2 * SIGN_PUBLEN + 1], out[64];
	size_t n, siglen, i, bad;
	uint32_t id;

	tap_plan(29);

	/* The RFC 6979 key. */
	hash_unhex(rfc_x, sec, sizeof sec);
	tap_ok(sign_setsec(&k, sec) == 0, "setsec of the RFC 6979 key");
	hash_hex(k.pub + 1, 32, hex);
	tap_same(hex, rfc_ux, "its public x");
	hash_hex(k.pub + 33, 32, hex);
	tap_same(hex, rfc_uy, "its public y");
	tap_ok(k.pub[0] == 0x04, "the point is uncompressed");
	tap_ok(sign_pubvalid(k.pub), "the point is on the curve");

	/* Deterministic: the RFC's r and s for "sample". */
	siglen = sign_sign(&k, "sample", 6, sig);
	tap_ok(siglen >= 8 && siglen <= SIGN_MAXSIG, "a signature is made "
	    "(%zu bytes)", siglen);
	tap_ok(der_rs(sig, siglen, r, s) == 0, "it is DER SEQUENCE { r, s }");
	hash_hex(r, 32, hex);
	tap_same(hex, rfc_r, "r is RFC 6979's");
	hash_hex(s, 32, hex);
	tap_same(hex, rfc_s, "s is RFC 6979's");
	tap_ok(sign_verify(k.pub, "sample", 6, sig, siglen) == 1,
	    "the signature verifies");
	tap_ok(sign_verify(k.pub, "samplE", 6, sig, siglen) == 0,
	    "not for another message");
	for (bad = 0, i = 0; i < siglen; i++) {
		sig[i] ^= 0x01;
		bad += sign_verify(k.pub, "sample", 6, sig, siglen);
		sig[i] ^= 0x01;
	}
	tap_ok(bad == 0, "no signature with one bit flipped verifies");
	tap_ok(sign_verify(k.pub, "sample", 6, sig, siglen - 1) == 0,
	    "nor a truncated one");
	tap_ok(sign_verify(k.pub, "sample", 6, sig, 0) == 0,
	    "nor an empty one");

	/* SPKI and key id. */
	sign_spki(k.pub, spki);
	tap_ok(spki[0] == 0x30 && spki[1] == 0x59 && spki[26] == 0x04 &&
	    memcmp(spki + 26, k.pub, SIGN_PUBLEN) == 0,
	    "the SPKI is SEQUENCE(89) ending with the point");
	hash_buf(spki, sizeof spki, h);
	id = sign_keyid(k.pub);
	tap_ok(id == ((uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3]), "the key id is SHA-256(SPKI)[:4]");

	/* Bad scalars. */
	memset(sec, 0, sizeof sec);
	errno = 0;
	tap_ok(sign_setsec(&k2, sec) == -1 && errno == EINVAL,
	    "a zero scalar is refused");
	hash_unhex("ffffffff00000000ffffffffffffffff"
	    "bce6faada7179e84f3b9cac2fc632551", sec, sizeof sec);
	tap_ok(sign_setsec(&k2, sec) == -1 && errno == EINVAL,
	    "the group order is refused");
	sec[31] = 0x50;
	tap_ok(sign_setsec(&k2, sec) == 0, "order - 1 is accepted");
	memset(k.pub + 40, 0x5a, 8);
	tap_ok(!sign_pubvalid(k.pub), "a point off the curve is invalid");

	/* Fresh keys differ and work. */
	tap_ok(sign_keygen(&k) == 0 && sign_keygen(&k2) == 0,
	    "two keys are made");
	tap_ok(memcmp(k.sec, k2.sec, SIGN_SECLEN) != 0, "they differ");
	siglen = sign_sign(&k, "note\n", 5, sig);
	tap_ok(sign_verify(k.pub, "note\n", 5, sig, siglen) == 1 &&
	    sign_verify(k2.pub, "note\n", 5, sig, siglen) == 0,
	    "a signature verifies under its key only");
	sign_wipe(&k);
	for (bad = 0, i = 0; i < sizeof k; i++)
		bad |= ((unsigned char *)&k)[i];
	tap_ok(bad == 0, "sign_wipe leaves zeros");

	/* base64. */
	for (bad = 0, i = 0; i < nitems(b64vec); i++) {
		n = sign_b64enc(out, b64vec[i].in, strlen(b64vec[i].in));
		if (n != strlen(b64vec[i].out) ||
		    strcmp(out, b64vec[i].out) != 0)
			bad++;
	}
	tap_ok(bad == 0, "base64 of the RFC 4648 vectors");
	for (bad = 0, i = 0; i < nitems(b64vec); i++) {
		if (sign_b64dec(b64vec[i].out, strlen(b64vec[i].out), buf,
		    sizeof buf, &n) == -1 || n != strlen(b64vec[i].in) ||
		    memcmp(buf, b64vec[i].in, n) != 0)
			bad++;
	}
	tap_ok(bad == 0, "and back");
	for (bad = 0, i = 0; i < nitems(b64bad); i++) {
		errno = 0;
		if (sign_b64dec(b64bad[i], strlen(b64bad[i]), buf, sizeof buf,
		    &n) != -1 || errno != EINVAL) {
			tap_diag("accepted: '%s'", b64bad[i]);
			bad++;
		}
	}
	tap_ok(bad == 0, "every other form is refused (%zu cases)",
	    nitems(b64bad));
	tap_ok(sign_b64dec("Zm9vYmFy", 8, buf, 5, &n) == -1 &&
	    errno == ENAMETOOLONG, "a result too long for the buffer fails");
	for (bad = 0, i = 0; i < 256; i++) {
		unsigned char in[3] = { (unsigned char)i, (unsigned char)~i,
		    (unsigned char)(i * 7) };
		size_t m;

		for (m = 0; m <= 3; m++) {
			sign_b64enc(out, in, m);
			if (sign_b64dec(out, strlen(out), buf, sizeof buf,
			    &n) == -1 || n != m || memcmp(buf, in, m) != 0)
				bad++;
		}
	}
	tap_ok(bad == 0, "round trips of every byte value in every position");
	return tap_done();
}
