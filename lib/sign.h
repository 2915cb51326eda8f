/* sign.h - ECDSA P-256 signatures (BearSSL, RFC 6979) and base64. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_SIGN_H
#define DATAKEEP_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "lib/hash.h"

/*
 * Signatures for auditlog's checkpoints, in the shape of C2SP signed
 * notes with signature type 0x02 (ECDSA): the key is a P-256 key pair,
 * its id the first four bytes of the SHA-256 of the public key's DER
 * SubjectPublicKeyInfo, a signature the ASN.1 DER ECDSA signature of the
 * SHA-256 of the message.  Signing is deterministic (RFC 6979), so it
 * needs no randomness; making a key draws it from getrandom(2).
 */

#define SIGN_SECLEN	32	/* the private scalar, big-endian */
#define SIGN_PUBLEN	65	/* the public point, uncompressed */
#define SIGN_SPKILEN	91	/* its DER SubjectPublicKeyInfo */
#define SIGN_MAXSIG	72	/* a DER signature, at most */

struct sign_key {
	unsigned char	 sec[SIGN_SECLEN];
	unsigned char	 pub[SIGN_PUBLEN];
};

/* Make a new key pair from getrandom(2).  0, or -1 with errno. */
int	sign_keygen(struct sign_key *k);

/* Set k from a private scalar and compute its public point.  0, or -1
 * with EINVAL when sec is 0 or not below the group order. */
int	sign_setsec(struct sign_key *k, const unsigned char sec[SIGN_SECLEN]);

/* Erase k. */
void	sign_wipe(struct sign_key *k);

/* Whether pub is a point of the curve, in uncompressed form. */
int	sign_pubvalid(const unsigned char pub[SIGN_PUBLEN]);

/* The DER SubjectPublicKeyInfo of pub, and the key id made from it. */
void	sign_spki(const unsigned char pub[SIGN_PUBLEN],
	    unsigned char out[SIGN_SPKILEN]);
uint32_t sign_keyid(const unsigned char pub[SIGN_PUBLEN]);

/* Sign msg[len]: the DER signature goes into sig, its length is
 * returned (0 only if BearSSL refuses the key). */
size_t	sign_sign(const struct sign_key *k, const void *msg, size_t len,
	    unsigned char sig[SIGN_MAXSIG]);

/* 1 if sig[siglen] is pub's signature of msg[len], else 0. */
int	sign_verify(const unsigned char pub[SIGN_PUBLEN], const void *msg,
	    size_t len, const void *sig, size_t siglen);

/* Standard base64 (RFC 4648, section 4) of in[len] into out, which
 * must hold SIGN_B64LEN(len) bytes; NUL-terminated; returns the length. */
#define SIGN_B64LEN(n)	(((n) + 2) / 3 * 4 + 1)
size_t	sign_b64enc(char *out, const void *in, size_t len);

/* Decode exactly in[len] (padded, no blanks, unused bits zero: the one
 * encoding sign_b64enc makes) into out[size], setting *outlen.  0, or -1
 * with EINVAL (malformed) or ENAMETOOLONG (does not fit). */
int	sign_b64dec(const char *in, size_t len, unsigned char *out,
	    size_t size, size_t *outlen);

#endif
