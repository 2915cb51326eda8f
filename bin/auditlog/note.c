/* note.c - auditlog's key files and checkpoints: signed notes in the
 * shape of C2SP tlog-checkpoint, signed with ECDSA P-256. */
/* SPDX-License-Identifier: ISC */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/hash.h"
#include "bin/auditlog/auditlog.h"

#define EMDASH		"\xe2\x80\x94"	/* U+2014, which starts a signature */

static int	hexfield(const char **p, const char *end, unsigned char *out,
		    size_t len, int last);

/* Whether path is "-": standard input. */
int
stdin_file(const char *path)
{
	return strcmp(path, "-") == 0;
}

/* Make path (which must not exist) holding buf[len], mode mode, synced. */
int
file_create(const char *path, int mode, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;
	int fd, serrno;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY |
	    O_CLOEXEC, mode);
	if (fd == -1)
		return -1;
	if (fchmod(fd, (mode_t)mode) == -1)
		goto bad;
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			goto bad;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1)
		goto bad;
	return close(fd);
bad:
	serrno = errno;
	close(fd);
	unlink(path);
	errno = serrno;
	return -1;
}

/* Read a small file (or stdin for "-") into buf[size], NUL-terminated;
 * EFBIG when it does not fit. */
int
file_read(const char *path, char *buf, size_t size, size_t *len)
{
	size_t got = 0;
	ssize_t n;
	int fd, serrno;

	if (stdin_file(path))
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC |
	    O_NONBLOCK)) == -1)
		return -1;
	for (;;) {
		if (got + 1 >= size) {
			errno = EFBIG;
			goto bad;
		}
		if ((n = read(fd, buf + got, size - 1 - got)) == -1) {
			if (errno == EINTR)
				continue;
			goto bad;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*len = got;
	if (fd != STDIN_FILENO)
		close(fd);
	return 0;
bad:
	serrno = errno;
	if (fd != STDIN_FILENO)
		close(fd);
	errno = serrno;
	return -1;
}

/* Read exactly 2 * len hex digits at *p, then a space (or, if last, a
 * newline), and move *p past them. */
static int
hexfield(const char **p, const char *end, unsigned char *out, size_t len,
    int last)
{
	size_t i;

	if ((size_t)(end - *p) < 2 * len + 1)
		return -1;
	for (i = 0; i < 2 * len; i++)
		if (!(((*p)[i] >= '0' && (*p)[i] <= '9') ||
		    ((*p)[i] >= 'a' && (*p)[i] <= 'f')))
			return -1;
	if ((*p)[2 * len] != (last ? '\n' : ' ') ||
	    hash_unhex(*p, out, len) == -1)
		return -1;
	*p += 2 * len + 1;
	return 0;
}

/* KEYFILE: "dkaudit1-key ID K0\n"; only the first line counts. */
int
keyfile_line(char *buf, size_t size, const unsigned char *id,
    const unsigned char *k0)
{
	char idhex[2 * AUDIT_IDLEN + 1], khex[HASH_HEXLEN + 1];
	int n;

	hash_hex(id, AUDIT_IDLEN, idhex);
	hash_hex(k0, HASH_LEN, khex);
	n = snprintf(buf, size, "%s %s %s\n", KEY_TAG, idhex, khex);
	explicit_bzero(khex, sizeof khex);
	return n;
}

int
keyfile_read(const char *path, unsigned char id[AUDIT_IDLEN],
    unsigned char k0[HASH_LEN])
{
	char buf[1024];
	const char *p = buf, *end;
	size_t len;
	int r = 0;

	if (file_read(path, buf, sizeof buf, &len) == -1)
		return -1;
	end = buf + len;
	if (len < sizeof(KEY_TAG) || memcmp(buf, KEY_TAG " ",
	    sizeof(KEY_TAG)) != 0)
		r = -1;
	p += sizeof(KEY_TAG);
	if (r == 0 && (hexfield(&p, end, id, AUDIT_IDLEN, 0) == -1 ||
	    hexfield(&p, end, k0, HASH_LEN, 1) == -1))
		r = -1;
	explicit_bzero(buf, sizeof buf);
	if (r == -1)
		errno = EINVAL;
	return r;
}

/* LOG.sign: "dkaudit1-sign HEX\n", the private scalar. */
int
signkey_read(const char *path, struct sign_key *k)
{
	unsigned char sec[SIGN_SECLEN];
	char buf[256];
	const char *p = buf;
	size_t len;
	int r = -1;

	if (file_read(path, buf, sizeof buf, &len) == -1)
		return -1;
	errno = EINVAL;
	if (len > sizeof(SIGN_TAG) && memcmp(buf, SIGN_TAG " ",
	    sizeof(SIGN_TAG)) == 0) {
		p += sizeof(SIGN_TAG);
		if (hexfield(&p, buf + len, sec, SIGN_SECLEN, 1) == 0 &&
		    p == buf + len)
			r = sign_setsec(k, sec);
	}
	explicit_bzero(buf, sizeof buf);
	explicit_bzero(sec, sizeof sec);
	return r;
}

/*
 * LOG.pub: the verifier key as C2SP notes write them,
 * "NAME+KEYID+BASE64(0x02 || SPKI)", KEYID 8 hex digits, NAME
 * datakeep-auditlog/ID.
 */
void
pubkey_line(char *buf, size_t size, const unsigned char *id,
    const unsigned char pub[SIGN_PUBLEN])
{
	unsigned char raw[1 + SIGN_SPKILEN];
	char idhex[2 * AUDIT_IDLEN + 1], b64[SIGN_B64LEN(sizeof raw)];

	raw[0] = SIGTYPE_ECDSA;
	sign_spki(pub, raw + 1);
	sign_b64enc(b64, raw, sizeof raw);
	hash_hex(id, AUDIT_IDLEN, idhex);
	snprintf(buf, size, "%s%s+%08lx+%s\n", NOTE_ORIGIN, idhex,
	    (unsigned long)sign_keyid(pub), b64);
}

int
pubkey_read(const char *path, char *name, size_t namesize,
    unsigned char pub[SIGN_PUBLEN], const char **why)
{
	unsigned char raw[1 + SIGN_SPKILEN + 3], spki[SIGN_SPKILEN];
	char buf[1024], *plus1, *plus2, *nl;
	size_t len, rawlen;
	unsigned long id;

	*why = NULL;
	if (file_read(path, buf, sizeof buf, &len) == -1)
		return -1;
	*why = "not a verifier key (NAME+KEYID+BASE64)";
	errno = EINVAL;
	if ((nl = memchr(buf, '\n', len)) == NULL || nl != buf + len - 1)
		return -1;
	*nl = '\0';
	if ((plus1 = strchr(buf, '+')) == NULL ||
	    (plus2 = strchr(plus1 + 1, '+')) == NULL ||
	    plus2 - plus1 != 9 || plus1 == buf ||
	    (size_t)(plus1 - buf) >= namesize)
		return -1;
	memcpy(name, buf, (size_t)(plus1 - buf));
	name[plus1 - buf] = '\0';
	*plus2 = '\0';
	if (strspn(plus1 + 1, "0123456789abcdef") != 8)
		return -1;
	id = strtoul(plus1 + 1, NULL, 16);
	if (sign_b64dec(plus2 + 1, strlen(plus2 + 1), raw, sizeof raw,
	    &rawlen) == -1 || rawlen != 1 + SIGN_SPKILEN ||
	    raw[0] != SIGTYPE_ECDSA)
		return -1;
	memcpy(pub, raw + 1 + SIGN_SPKILEN - SIGN_PUBLEN, SIGN_PUBLEN);
	sign_spki(pub, spki);
	if (memcmp(spki, raw + 1, SIGN_SPKILEN) != 0) {
		*why = "not an ECDSA P-256 key";
		return -1;
	}
	if (!sign_pubvalid(pub)) {
		*why = "not a point of the curve";
		return -1;
	}
	if (id != sign_keyid(pub)) {
		*why = "the key id does not match the key";
		return -1;
	}
	*why = NULL;
	return 0;
}

/*
 * A checkpoint: the note text
 *
 *	datakeep-auditlog/ID		origin, also the key's name
 *	COUNT				records: the last seq + 1
 *	BASE64(HEAD)			the chain head after the last record
 *	host HOST			percent-encoded as in records
 *	mac BASE64(MAC)			the last record's MAC
 *	time RFC3339			when the checkpoint was made
 *
 * then an empty line and "— NAME BASE64(KEYID || SIGNATURE)".
 */
size_t
note_make(char *buf, size_t size, const struct note *n,
    const struct sign_key *k)
{
	unsigned char sig[4 + SIGN_MAXSIG];
	char head[SIGN_B64LEN(HASH_LEN)], mac[SIGN_B64LEN(HASH_LEN)];
	char b64[SIGN_B64LEN(sizeof sig)];
	size_t body, siglen;
	uint32_t id;
	int len;

	sign_b64enc(head, n->head, HASH_LEN);
	sign_b64enc(mac, n->mac, HASH_LEN);
	len = snprintf(buf, size, "%s\n%llu\n%s\nhost %s\nmac %s\ntime %s\n",
	    n->origin, (unsigned long long)n->count, head, n->host, mac,
	    n->time);
	if (len < 0 || (size_t)len >= size)
		return 0;
	body = (size_t)len;
	id = sign_keyid(k->pub);
	sig[0] = id >> 24;
	sig[1] = id >> 16 & 0xff;
	sig[2] = id >> 8 & 0xff;
	sig[3] = id & 0xff;
	if ((siglen = sign_sign(k, buf, body, sig + 4)) == 0)
		return 0;
	sign_b64enc(b64, sig, 4 + siglen);
	len = snprintf(buf + body, size - body, "\n" EMDASH " %s %s\n",
	    n->origin, b64);
	if (len < 0 || (size_t)len >= size - body)
		return 0;
	return body + (size_t)len;
}

/* The next line of [*p, end) without its newline; NULL at the end or
 * when the last line has none. */
static const char *
nextline(const char **p, const char *end, size_t *len)
{
	const char *s = *p, *nl;

	if (s >= end || (nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
		return NULL;
	*len = (size_t)(nl - s);
	*p = nl + 1;
	return s;
}

/*
 * Read and check the checkpoint at path: the shape above exactly, and a
 * signature line by keyname whose key id is pub's, verifying.  0, or -1
 * with *why (or errno when the file cannot be read).
 */
int
note_read(const char *path, const unsigned char pub[SIGN_PUBLEN],
    const char *keyname, struct note *n, const char **why)
{
	static const char *const ext[] = { "host ", "mac ", "time " };
	unsigned char sig[4 + SIGN_MAXSIG + 3];
	char buf[NOTE_MAX + 1], tmp[sizeof n->host];
	const char *p, *end, *l, *sep, *name;
	size_t len, body, siglen, i, n2;
	uint32_t want = sign_keyid(pub);
	int found = 0;

	*why = NULL;
	memset(n, 0, sizeof *n);
	if (file_read(path, buf, sizeof buf, &len) == -1) {
		if (errno == EFBIG)
			*why = "too big for a checkpoint";
		return -1;
	}
	*why = "not a checkpoint";
	/* The text ends at the last empty line. */
	for (sep = NULL, i = 0; i + 1 < len; i++)
		if (buf[i] == '\n' && buf[i + 1] == '\n')
			sep = buf + i;
	if (sep == NULL || memchr(buf, '\0', len) != NULL)
		return -1;
	body = (size_t)(sep - buf) + 1;
	p = buf;
	end = buf + body;
	if ((l = nextline(&p, end, &n2)) == NULL || n2 >= sizeof n->origin ||
	    n2 != strlen(NOTE_ORIGIN) + 2 * AUDIT_IDLEN ||
	    memcmp(l, NOTE_ORIGIN, strlen(NOTE_ORIGIN)) != 0 ||
	    hash_unhex(l + strlen(NOTE_ORIGIN), n->id, AUDIT_IDLEN) == -1)
		return -1;
	memcpy(n->origin, l, n2);
	if ((l = nextline(&p, end, &n2)) == NULL ||
	    audit_number(l, n2, &n->count) == -1 || n->count == 0)
		return -1;
	if ((l = nextline(&p, end, &n2)) == NULL || sign_b64dec(l, n2, n->head,
	    HASH_LEN, &len) == -1 || len != HASH_LEN)
		return -1;
	for (i = 0; i < 3; i++) {
		if ((l = nextline(&p, end, &n2)) == NULL ||
		    n2 < strlen(ext[i]) || memcmp(l, ext[i], strlen(ext[i])) !=
		    0)
			return -1;
		l += strlen(ext[i]);
		n2 -= strlen(ext[i]);
		if (i == 0) {
			if (n2 >= sizeof n->host ||
			    audit_decode(l, n2, tmp, &len) == -1)
				return -1;
			memcpy(n->host, l, n2);
			n->host[n2] = '\0';
		} else if (i == 1 && (sign_b64dec(l, n2, n->mac, HASH_LEN,
		    &len) == -1 || len != HASH_LEN))
			return -1;
		else if (i == 2) {
			if (n2 != TIME_RFC3339LEN - 1)
				return -1;
			memcpy(n->time, l, n2);
			n->time[n2] = '\0';
		}
	}
	if (p != end)
		return -1;
	/* The signatures: "— NAME BASE64" lines after the empty one. */
	p = sep + 2;
	end = buf + strlen(buf);
	while ((l = nextline(&p, end, &n2)) != NULL) {
		if (n2 < 4 || memcmp(l, EMDASH " ", 4) != 0)
			return -1;
		name = l + 4;
		if ((sep = memchr(name, ' ', n2 - 4)) == NULL)
			return -1;
		if ((size_t)(sep - name) != strlen(keyname) ||
		    memcmp(name, keyname, strlen(keyname)) != 0)
			continue;
		if (sign_b64dec(sep + 1, (size_t)(l + n2 - sep - 1), sig,
		    sizeof sig, &siglen) == -1 || siglen < 5)
			return -1;
		if (((uint32_t)sig[0] << 24 | (uint32_t)sig[1] << 16 |
		    (uint32_t)sig[2] << 8 | sig[3]) != want)
			continue;
		/* A signature by our key that fails rejects the note. */
		if (!sign_verify(pub, buf, body, sig + 4, siglen - 4)) {
			*why = "bad signature";
			return -1;
		}
		found = 1;
	}
	if (p != end)
		return -1;
	if (!found) {
		*why = "no signature by the key given";
		return -1;
	}
	*why = NULL;
	return 0;
}
