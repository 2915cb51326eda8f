/* lib-hmac.c - unit tests for lib/hmac: RFC 4231 vectors, agreement with
 * hash_hmac() and hash_buf() around the one-block limit, both lanes. */
/* SPDX-License-Identifier: ISC */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/hmac.h"
#include "tests/tap.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* RFC 4231, section 4: keys and data as (byte, count) runs or strings. */
struct vector {
	const char	*name;
	int		 kbyte;
	size_t		 klen;
	const char	*kstr;
	int		 mbyte;
	size_t		 mlen;
	const char	*mstr;
	size_t		 outlen;	/* case 5 is truncated to 128 bits */
	const char	*want;
};

static const struct vector vectors[] = {
	{ "RFC 4231 case 1", 0x0b, 20, NULL, 0, 0, "Hi There", 32,
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ "RFC 4231 case 2", 0, 0, "Jefe", 0, 0,
	    "what do ya want for nothing?", 32,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ "RFC 4231 case 3", 0xaa, 20, NULL, 0xdd, 50, NULL, 32,
	    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
	{ "RFC 4231 case 4", -1, 25, NULL, 0xcd, 50, NULL, 32,
	    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
	{ "RFC 4231 case 5", 0x0c, 20, NULL, 0, 0, "Test With Truncation", 16,
	    "a3b6167473100ee06e0c796c2955552b" },
	{ "RFC 4231 case 6", 0xaa, 131, NULL, 0, 0,
	    "Test Using Larger Than Block-Size Key - Hash Key First", 32,
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	{ "RFC 4231 case 7", 0xaa, 131, NULL, 0, 0,
	    "This is a test using a larger than block-size key and a larger "
	    "than block-size data. The key needs to be hashed before being "
	    "used by the HMAC algorithm.", 32,
	    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
};

static uint64_t prng_state = 0x9e3779b97f4a7c15ULL;

/* xorshift64*: reproducible data, not randomness. */
static void
prng_fill(unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		prng_state ^= prng_state >> 12;
		prng_state ^= prng_state << 25;
		prng_state ^= prng_state >> 27;
		p[i] = (unsigned char)((prng_state * 0x2545f4914f6cdd1dULL) >>
		    56);
	}
}

/* The vectors through hmac_buf and through the streaming calls (the
 * message fed in pieces of 1, 2, 3, ... bytes). */
static void
test_vectors(const char *impl)
{
	unsigned char key[131], msg[160], mac[HASH_LEN];
	char hex[2 * HASH_LEN + 1], hex2[2 * HASH_LEN + 1];
	struct hmac_key k;
	hash_ctx ctx;
	size_t i, klen, mlen, off, n;

	for (i = 0; i < nitems(vectors); i++) {
		const struct vector *v = &vectors[i];

		if (v->kstr != NULL) {
			klen = strlen(v->kstr);
			memcpy(key, v->kstr, klen);
		} else if (v->kbyte == -1) {
			klen = v->klen;
			for (n = 0; n < klen; n++)
				key[n] = (unsigned char)(n + 1);
		} else {
			klen = v->klen;
			memset(key, v->kbyte, klen);
		}
		if (v->mstr != NULL) {
			mlen = strlen(v->mstr);
			memcpy(msg, v->mstr, mlen);
		} else {
			mlen = v->mlen;
			memset(msg, v->mbyte, mlen);
		}
		hmac_key_init(&k, key, klen);
		hmac_buf(&k, msg, mlen, mac);
		hash_hex(mac, v->outlen, hex);
		hmac_start(&k, &ctx);
		for (off = 0, n = 1; off < mlen; off += n, n++)
			hash_update(&ctx, msg + off,
			    n < mlen - off ? n : mlen - off);
		hmac_finish(&k, &ctx, mac);
		hash_hex(mac, v->outlen, hex2);
		hmac_key_wipe(&k);
		if (!tap_ok(strcmp(hex, v->want) == 0 &&
		    strcmp(hex2, v->want) == 0, "%s: %s", impl, v->name))
			tap_diag("got %s and %s, want %s", hex, hex2, v->want);
	}
}

/* Every message length from 0 to 200 under keys of several lengths, as
 * hash_hmac() computes it. */
static void
test_agree(const char *impl)
{
	static const size_t klens[] = { 0, 1, 16, 32, 63, 64, 65, 131 };
	unsigned char key[131], msg[200], a[HASH_LEN], b[HASH_LEN];
	struct hmac_key k;
	size_t i, len, bad = 0;

	for (i = 0; i < nitems(klens); i++) {
		prng_fill(key, klens[i]);
		hmac_key_init(&k, key, klens[i]);
		for (len = 0; len <= sizeof msg; len++) {
			prng_fill(msg, len);
			hmac_buf(&k, msg, len, a);
			hash_hmac(key, klens[i], msg, len, b);
			if (memcmp(a, b, HASH_LEN) != 0 && bad++ == 0)
				tap_diag("key of %zu bytes, message of %zu "
				    "differ", klens[i], len);
		}
		hmac_key_wipe(&k);
	}
	tap_ok(bad == 0, "%s: agrees with hash_hmac for every key and "
	    "message length", impl);
}

/* hmac_buf2 against hmac_buf for pairs of lengths on both sides of the
 * one-block limit (55 bytes), and from unaligned addresses. */
static void
test_two(const char *impl)
{
	unsigned char key[40], m[2][130], a1[HASH_LEN], a2[HASH_LEN];
	unsigned char b1[HASH_LEN], b2[HASH_LEN];
	struct hmac_key k;
	size_t l1, l2, bad = 0;

	prng_fill(key, sizeof key);
	hmac_key_init(&k, key, sizeof key);
	for (l1 = 0; l1 <= 64; l1++)
		for (l2 = 0; l2 <= 64; l2 += 3) {
			prng_fill(m[0], sizeof m[0]);
			prng_fill(m[1], sizeof m[1]);
			hmac_buf2(&k, m[0] + 1, l1, m[1] + 3, l2, a1, a2);
			hmac_buf(&k, m[0] + 1, l1, b1);
			hmac_buf(&k, m[1] + 3, l2, b2);
			if ((memcmp(a1, b1, HASH_LEN) != 0 ||
			    memcmp(a2, b2, HASH_LEN) != 0) && bad++ == 0)
				tap_diag("lengths %zu and %zu differ", l1, l2);
		}
	tap_ok(bad == 0, "%s: hmac_buf2 is two hmac_buf (two lanes: %s)",
	    impl, k.x2 ? "yes" : "no");
	hmac_key_wipe(&k);
}

/* hmac_salted2 against hash_buf of the concatenations, salts of 1 to 60
 * bytes and messages on both sides of the one-block limit. */
static void
test_salted(const char *impl)
{
	unsigned char salt[60], m[2][70], cat[140], a1[HASH_LEN], a2[HASH_LEN];
	unsigned char b1[HASH_LEN], b2[HASH_LEN];
	size_t sl, l1, l2, bad = 0;

	for (sl = 1; sl <= sizeof salt; sl += 3) {
		prng_fill(salt, sl);
		for (l1 = 0; l1 <= 64; l1++) {
			l2 = (l1 * 7) % 65;
			prng_fill(m[0], sizeof m[0]);
			prng_fill(m[1], sizeof m[1]);
			hmac_salted2(m[0] + 1, l1, m[1], l2, salt, sl, a1, a2);
			memcpy(cat, m[0] + 1, l1);
			memcpy(cat + l1, salt, sl);
			hash_buf(cat, l1 + sl, b1);
			memcpy(cat, m[1], l2);
			memcpy(cat + l2, salt, sl);
			hash_buf(cat, l2 + sl, b2);
			if ((memcmp(a1, b1, HASH_LEN) != 0 ||
			    memcmp(a2, b2, HASH_LEN) != 0) && bad++ == 0)
				tap_diag("salt %zu, lengths %zu and %zu differ",
				    sl, l1, l2);
		}
	}
	tap_ok(bad == 0, "%s: hmac_salted2 is SHA-256 of message || salt",
	    impl);
}

static void
test_wipe(void)
{
	static const unsigned char zero[sizeof(struct hmac_key)];
	struct hmac_key k;

	hmac_key_init(&k, "0123456789abcdef", 16);
	hmac_key_wipe(&k);
	tap_ok(memcmp(&k, zero, sizeof k) == 0, "hmac_key_wipe zeroes it");
}

int
main(void)
{
	tap_plan(2 * ((int)nitems(vectors) + 3) + 1);
	hash_select(HASH_PORTABLE);
	test_vectors("portable");
	test_agree("portable");
	test_two("portable");
	test_salted("portable");
	if (hash_select(HASH_SHANI) == 0) {
		test_vectors("sha-ni");
		test_agree("sha-ni");
		test_two("sha-ni");
		test_salted("sha-ni");
	} else
		tap_skip((int)nitems(vectors) + 3, "no SHA extensions");
	test_wipe();
	return tap_done();
}
