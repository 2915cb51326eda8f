/* mountinfo.c - mount ids and where a directory lies on its filesystem. */
/* SPDX-License-Identifier: ISC */
#define _GNU_SOURCE	/* AT_EMPTY_PATH, SYS_statx */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/mountinfo.h"

#define MISTATX_MNT_ID		0x1000U
#ifndef AT_STATX_DONT_SYNC
#define AT_STATX_DONT_SYNC	0x4000
#endif

/* statx(2) as the kernel defines it (musl 1.2.3 has no wrapper); own
 * names, so that a libc that does define struct statx does not clash. */
struct mistatx_ts {
	int64_t		sec;
	uint32_t	nsec;
	int32_t		spare;
};

struct mistatx {
	uint32_t	mask;
	uint32_t	blksize;
	uint64_t	attributes;
	uint32_t	nlink;
	uint32_t	uid;
	uint32_t	gid;
	uint16_t	mode;
	uint16_t	spare0;
	uint64_t	ino;
	uint64_t	size;
	uint64_t	blocks;
	uint64_t	attributes_mask;
	struct mistatx_ts atime, btime, ctime, mtime;
	uint32_t	rdev_major;
	uint32_t	rdev_minor;
	uint32_t	dev_major;
	uint32_t	dev_minor;
	uint64_t	mnt_id;
	uint64_t	spare2[13];
};

/* The kernel writes 256 bytes; fail the build if the layout is off. */
typedef char mistatx_size_check[sizeof(struct mistatx) == 256 ? 1 : -1];

static int	field(char **, char **);
static int	unescape(char *);

int
mountinfo_id(int fd, uint64_t *id)
{
	struct mistatx stx;

	if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC,
	    MISTATX_MNT_ID, &stx) == -1) {
		if (errno == EINVAL || errno == EPERM)
			errno = ENOSYS;
		return -1;
	}
	if (!(stx.mask & MISTATX_MNT_ID)) {
		errno = ENOSYS;
		return -1;
	}
	*id = stx.mnt_id;
	return 0;
}

int
mountinfo_below(const char *path, const char *top)
{
	size_t n = strlen(top);

	if (strcmp(top, "/") == 0)
		return path[0] == '/';
	return strncmp(path, top, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/');
}

int
mountinfo_fspath(int fd, const char *path, char *out, size_t size)
{
	char *line = NULL, *p, *f[5], *root = NULL, *point = NULL;
	const char *rest;
	size_t cap = 0, best = 0, len, n;
	unsigned long long want = 0;
	uint64_t id;
	int haveid, i, serrno;
	FILE *fp;

	if (path[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	haveid = mountinfo_id(fd, &id) == 0;
	if (haveid)
		want = id;
	if ((fp = fopen("/proc/self/mountinfo", "re")) == NULL) {
		errno = ENOENT;
		return -1;
	}
	while (getline(&line, &cap, fp) != -1) {
		/* id parent major:minor root mount-point options ... */
		p = line;
		for (i = 0; i < 5; i++)
			if (field(&p, &f[i]) == -1)
				break;
		if (i < 5 || unescape(f[3]) == -1 || unescape(f[4]) == -1)
			continue;
		if (haveid) {
			if (strtoull(f[0], NULL, 10) != want)
				continue;
		} else if (!mountinfo_below(path, f[4]) ||
		    strlen(f[4]) < best)
			continue;
		free(root);
		free(point);
		root = strdup(f[3]);
		point = strdup(f[4]);
		if (root == NULL || point == NULL)
			goto fail;
		best = strlen(point);
		if (haveid)
			break;
	}
	if (ferror(fp))
		goto fail;
	if (point == NULL || !mountinfo_below(path, point)) {
		errno = ENOENT;
		goto fail;
	}
	/* What path adds to the mount point: "" or "/a/b". */
	rest = path + (strcmp(point, "/") == 0 ? 0 : strlen(point));
	len = strcmp(root, "/") == 0 && *rest != '\0' ? 0 : strlen(root);
	n = strlen(rest);
	if (len + n + 1 > size) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	memcpy(out, root, len);
	memcpy(out + len, rest, n + 1);
	free(root);
	free(point);
	free(line);
	fclose(fp);
	return 0;
fail:
	serrno = errno;
	free(root);
	free(point);
	free(line);
	fclose(fp);
	errno = serrno;
	return -1;
}

/* The next space-separated field of *p, NUL-terminated in place. */
static int
field(char **p, char **out)
{
	char *s = *p, *e;

	if (*s == '\0' || *s == '\n')
		return -1;
	e = s + strcspn(s, " \n");
	if (*e != '\0')
		*e++ = '\0';
	*out = s;
	*p = e;
	return 0;
}

/* Undo the kernel's octal escapes (\040 for a space, \011, \012, \134)
 * in place.  -1 on a malformed escape. */
static int
unescape(char *s)
{
	char *q = s;
	int i, v;

	for (; *s != '\0'; s++) {
		if (*s != '\\') {
			*q++ = *s;
			continue;
		}
		for (v = 0, i = 1; i <= 3; i++) {
			if (s[i] < '0' || s[i] > '7')
				return -1;
			v = v * 8 + (s[i] - '0');
		}
		if (v == 0 || v > 255)
			return -1;
		*q++ = (char)v;
		s += 3;
	}
	*q = '\0';
	return 0;
}
