/* manifest.c - snapshot manifests in the format of GNU sha256sum. */
/* SPDX-License-Identifier: ISC */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/hash.h"
#include "lib/manifest.h"

#define MANIFEST_MAXSIZE	(1UL << 30)

static uint64_t
fnv(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

void
manifest_init(struct manifest *m)
{
	memset(m, 0, sizeof(*m));
}

void
manifest_free(struct manifest *m)
{
	free(m->v);
	free(m->slot);
	free(m->arena);
	free(m->out);
	manifest_init(m);
}

static int
out_reserve(struct manifest *m, size_t more)
{
	size_t cap;
	char *p;

	if (m->outcap - m->outlen >= more)
		return 0;
	cap = m->outcap ? m->outcap : 4096;
	while (cap - m->outlen < more) {
		if (cap > SIZE_MAX / 2) {
			errno = ENOMEM;
			return -1;
		}
		cap *= 2;
	}
	if ((p = realloc(m->out, cap)) == NULL)
		return -1;
	m->out = p;
	m->outcap = cap;
	return 0;
}

int
manifest_add(struct manifest *m, const unsigned char hash[32],
    const char *path)
{
	size_t plen = strlen(path), i;
	int esc = strpbrk(path, "\\\n") != NULL;
	char *p;

	/* Worst case: every byte escaped, plus prefix, hash, blanks, \n. */
	if (plen > (SIZE_MAX - 80) / 2) {
		errno = ENOMEM;
		return -1;
	}
	if (out_reserve(m, 2 * plen + 80) == -1)
		return -1;
	p = m->out + m->outlen;
	if (esc)
		*p++ = '\\';
	hash_hex(hash, 32, p);
	p += 64;
	*p++ = ' ';
	*p++ = ' ';
	for (i = 0; i < plen; i++) {
		if (esc && path[i] == '\\') {
			*p++ = '\\';
			*p++ = '\\';
		} else if (esc && path[i] == '\n') {
			*p++ = '\\';
			*p++ = 'n';
		} else
			*p++ = path[i];
	}
	*p++ = '\n';
	m->outlen = p - m->out;
	return 0;
}

static int
index_entries(struct manifest *m)
{
	size_t i, j, nslot = 16;

	while (nslot < m->n * 2 + 1)
		nslot *= 2;
	if ((m->slot = calloc(nslot, sizeof(*m->slot))) == NULL)
		return -1;
	m->nslot = nslot;
	for (i = 0; i < m->n; i++) {
		j = fnv(m->v[i].path) & (nslot - 1);
		while (m->slot[j] != 0) {
			/* A duplicate path: the first line wins, as in a
			 * table; verification still checks every line. */
			if (strcmp(m->v[m->slot[j] - 1].path, m->v[i].path) == 0)
				break;
			j = (j + 1) & (nslot - 1);
		}
		if (m->slot[j] == 0)
			m->slot[j] = i + 1;
	}
	return 0;
}

int
manifest_parse(struct manifest *m, const char *buf, size_t len)
{
	size_t nlines = 0, i, n = 0;
	const char *p, *end, *eol;
	char *a;
	unsigned long line = 0;
	int esc;

	/* An empty manifest may come as NULL: no arithmetic on that. */
	if (len == 0)
		buf = "";
	end = buf + len;
	for (i = 0; i < len; i++)
		if (buf[i] == '\n')
			nlines++;
	if (len > 0 && buf[len - 1] != '\n')
		nlines++;
	if (memchr(buf, '\0', len) != NULL) {
		/* Name the line holding the NUL. */
		const char *z = memchr(buf, '\0', len);
		m->badline = 1;
		for (p = buf; p < z; p++)
			if (*p == '\n')
				m->badline++;
		errno = EINVAL;
		return -1;
	}
	if ((m->v = reallocarray(NULL, nlines ? nlines : 1,
	    sizeof(*m->v))) == NULL)
		return -1;
	if ((m->arena = malloc(len + 1)) == NULL)
		return -1;
	a = m->arena;
	for (p = buf; p < end; p = eol + 1) {
		line++;
		if ((eol = memchr(p, '\n', end - p)) == NULL)
			eol = end;
		esc = *p == '\\';
		if (esc)
			p++;
		if (eol - p < 67 || p[64] != ' ' || (p[65] != ' ' &&
		    p[65] != '*') || hash_unhex(p, m->v[n].hash, 32) == -1)
			goto bad;
		m->v[n].path = a;
		m->v[n].line = line;
		for (p += 66; p < eol; p++) {
			if (esc && *p == '\\') {
				if (++p == eol)
					goto bad;
				if (*p == 'n')
					*a++ = '\n';
				else if (*p == '\\')
					*a++ = '\\';
				else
					goto bad;
			} else
				*a++ = *p;
		}
		*a++ = '\0';
		n++;
		if (eol == end)
			break;
	}
	m->n = n;
	return index_entries(m);
bad:
	m->badline = line;
	errno = EINVAL;
	return -1;
}

int
manifest_load(struct manifest *m, int dirfd, const char *name)
{
	struct stat st;
	char *buf = NULL;
	size_t off = 0;
	ssize_t r;
	int fd, saved;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((unsigned long long)st.st_size > MANIFEST_MAXSIZE) {
		errno = EFBIG;
		goto fail;
	}
	if ((buf = malloc(st.st_size + 1)) == NULL)
		goto fail;
	while (off < (size_t)st.st_size) {
		r = read(fd, buf + off, st.st_size - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail;
		if (r == 0)
			break;
		off += r;
	}
	close(fd);
	fd = -1;
	if (manifest_parse(m, buf, off) == -1)
		goto fail;
	free(buf);
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	free(buf);
	errno = saved;
	return -1;
}

const struct manifest_entry *
manifest_find(const struct manifest *m, const char *path)
{
	size_t j;

	if (m->nslot == 0)
		return NULL;
	j = fnv(path) & (m->nslot - 1);
	while (m->slot[j] != 0) {
		if (strcmp(m->v[m->slot[j] - 1].path, path) == 0)
			return &m->v[m->slot[j] - 1];
		j = (j + 1) & (m->nslot - 1);
	}
	return NULL;
}
