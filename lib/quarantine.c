/* quarantine.c - removing exactly the entry that was judged, never
 * another one put in its place. */
/* SPDX-License-Identifier: ISC */
#define _GNU_SOURCE	/* SYS_renameat2 */

#include <sys/types.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/quarantine.h"
#include "lib/walk.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	1
#endif

#define SUFFIXLEN	6
#define TRIES		100

static const char alnum[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/* Close fd keeping errno. */
static void
closekeep(int fd)
{
	int serrno = errno;

	(void)close(fd);
	errno = serrno;
}

/* rename(2) never replacing to; where the filesystem cannot say so
 * (EINVAL, ENOSYS), link + unlink for a non-directory, which fails with
 * EEXIST just the same. */
static int
rename_noreplace(int fromfd, const char *from, int tofd, const char *to)
{
	struct stat st;

	if (syscall(SYS_renameat2, fromfd, from, tofd, to,
	    RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (fstatat(fromfd, from, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		/* A directory cannot be linked; an empty one in the way
		 * would be replaced, anything else makes it fail. */
		if (fstatat(tofd, to, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			errno = EEXIST;
			return -1;
		}
		return renameat(fromfd, from, tofd, to);
	}
	if (linkat(fromfd, from, tofd, to, 0) == -1)
		return -1;
	if (unlinkat(fromfd, from, 0) == -1) {
		int serrno = errno;

		(void)unlinkat(tofd, to, 0);
		errno = serrno;
		return -1;
	}
	return 0;
}

int
quarantine_isname(const char *name, const char *prefix)
{
	size_t pl = strlen(prefix), i;

	if (strncmp(name, prefix, pl) != 0 || name[pl] != '.' ||
	    strlen(name + pl + 1) != SUFFIXLEN)
		return 0;
	for (i = pl + 1; name[i] != '\0'; i++)
		if (strchr(alnum, name[i]) == NULL)
			return 0;
	return 1;
}

int
quarantine_create(struct quarantine *q, int dirfd, const char *prefix)
{
	unsigned char rnd[SUFFIXLEN];
	struct stat st;
	size_t pl = strlen(prefix), i;
	struct timespec ts;
	int tries, fd, serrno;

	q->fd = -1;
	q->dirfd = dirfd;
	q->seq = 0;
	if (pl == 0 || pl + 1 + SUFFIXLEN > NAME_MAX) {
		errno = pl == 0 ? EINVAL : ENAMETOOLONG;
		return -1;
	}
	for (tries = 0; tries < TRIES; tries++) {
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
			/* No getrandom: unique enough, and EEXIST retries. */
			clock_gettime(CLOCK_REALTIME, &ts);
			for (i = 0; i < SUFFIXLEN; i++)
				rnd[i] = (unsigned char)((ts.tv_nsec >> i * 5) ^
				    getpid() >> i ^ tries * 7);
		}
		memcpy(q->name, prefix, pl);
		q->name[pl] = '.';
		for (i = 0; i < SUFFIXLEN; i++)
			q->name[pl + 1 + i] =
			    alnum[rnd[i] % (sizeof(alnum) - 1)];
		q->name[pl + 1 + SUFFIXLEN] = '\0';
		if (mkdirat(dirfd, q->name, 0700) == 0)
			break;
		if (errno != EEXIST)
			return -1;
	}
	if (tries == TRIES) {
		errno = EEXIST;
		return -1;
	}
	fd = openat(dirfd, q->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		goto fail;
	/* The umask may have taken bits away, never added any; and the
	 * directory must be the one made, not one put in its place. */
	if (fstat(fd, &st) == -1 || fchmod(fd, 0700) == -1)
		goto fail;
	if (st.st_uid != geteuid()) {
		errno = EPERM;
		goto fail;
	}
	q->fd = fd;
	q->dev = st.st_dev;
	q->ino = st.st_ino;
	return 0;
fail:
	serrno = errno;
	if (fd != -1)
		(void)close(fd);
	(void)unlinkat(dirfd, q->name, AT_REMOVEDIR);
	errno = serrno;
	return -1;
}

/* The slot for origin: "SEQ-ENCODED", or "SEQ" if that does not fit. */
static void
mkslot(struct quarantine *q, const char *origin, char *slot)
{
	size_t n, i;
	int len;

	len = snprintf(slot, NAME_MAX + 1, "%llu", ++q->seq);
	n = (size_t)len;
	if (origin == NULL || *origin == '\0')
		return;
	slot[n++] = '-';
	for (i = 0; origin[i] != '\0'; i++) {
		if (n + 3 > NAME_MAX) {
			slot[len] = '\0';
			return;
		}
		if (origin[i] == '%' || origin[i] == '/') {
			slot[n++] = '%';
			slot[n++] = '2';
			slot[n++] = origin[i] == '%' ? '5' : 'F';
		} else
			slot[n++] = origin[i];
	}
	slot[n] = '\0';
}

int
quarantine_putback(struct quarantine *q, const char *slot, int dirfd,
    const char *name)
{
	return rename_noreplace(q->fd, slot, dirfd, name);
}

int
quarantine_take(struct quarantine *q, int dirfd, const char *name,
    const char *origin, const struct stat *judged, int flags, char *slot)
{
	struct stat st;

	mkslot(q, origin, slot);
	if (rename_noreplace(dirfd, name, q->fd, slot) == -1)
		return -1;
	/* Nobody else can change the quarantine: this is what will be
	 * unlinked. */
	if (fstatat(q->fd, slot, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_dev == judged->st_dev && st.st_ino == judged->st_ino &&
	    (!(flags & QUARANTINE_MTIME) ||
	    (st.st_mtim.tv_sec == judged->st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == judged->st_mtim.tv_nsec)))
		return 0;
	if (quarantine_putback(q, slot, dirfd, name) == 0)
		return 1;
	return 2;
}

int
quarantine_drop(struct quarantine *q, char *slot, int dirfd,
    const char *name, int isdir)
{
	int serrno;

	if (unlinkat(q->fd, slot, isdir ? AT_REMOVEDIR : 0) == 0) {
		slot[0] = '\0';
		return 0;
	}
	serrno = errno;
	if (quarantine_putback(q, slot, dirfd, name) == 0)
		slot[0] = '\0';
	errno = serrno;
	return -1;
}

int
quarantine_remove(struct quarantine *q, int dirfd, const char *name,
    const char *origin, const struct stat *judged, int flags, char *slot)
{
	int r;

	if ((r = quarantine_take(q, dirfd, name, origin, judged, flags,
	    slot)) != 0) {
		if (r != 2)
			slot[0] = '\0';
		return r;
	}
	return quarantine_drop(q, slot, dirfd, name,
	    S_ISDIR(judged->st_mode));
}

int
quarantine_close(struct quarantine *q)
{
	struct stat st;
	int r = 0;

	if (q->fd == -1)
		return 0;
	if (fstatat(q->dirfd, q->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_dev == q->dev && st.st_ino == q->ino &&
	    unlinkat(q->dirfd, q->name, AT_REMOVEDIR) == -1 &&
	    (errno == ENOTEMPTY || errno == EEXIST)) {
		errno = ENOTEMPTY;
		r = -1;
	}
	closekeep(q->fd);
	q->fd = -1;
	return r;
}

/* Decode a slot's origin into out[PATH_MAX]; 0, or -1 if unknown. */
static int
slot_origin(const char *slot, char *out)
{
	const char *p = slot;
	size_t n = 0;

	while (*p >= '0' && *p <= '9')
		p++;
	if (p == slot || *p != '-' || p[1] == '\0')
		return -1;
	for (p++; *p != '\0'; p++) {
		if (n + 1 >= PATH_MAX)
			return -1;
		if (*p == '%') {
			if (p[1] == '2' && p[2] == '5')
				out[n++] = '%';
			else if (p[1] == '2' && p[2] == 'F')
				out[n++] = '/';
			else
				return -1;
			p += 2;
		} else
			out[n++] = *p;
	}
	out[n] = '\0';
	return 0;
}

/* Rename slot (in qfd) back to origin beneath dirfd. */
static int
restore(int qfd, const char *slot, int dirfd, char *origin)
{
	char *base = strrchr(origin, '/');
	int fd, r, serrno;

	if (base == NULL)
		return rename_noreplace(qfd, slot, dirfd, origin);
	*base = '\0';
	fd = walk_open(dirfd, origin, O_RDONLY | O_DIRECTORY);
	*base = '/';
	if (fd == -1)
		return -1;
	if (base[1] == '\0' || strcmp(base + 1, ".") == 0 ||
	    strcmp(base + 1, "..") == 0) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	r = rename_noreplace(qfd, slot, fd, base + 1);
	serrno = errno;
	close(fd);
	errno = serrno;
	return r;
}

long
quarantine_recover(int dirfd, const char *qname,
    void (*report)(const char *origin, const char *slot, int error,
    void *arg), void *arg)
{
	char origin[PATH_MAX];
	struct dirent *de;
	struct stat st;
	long left = 0;
	DIR *dp;
	int fd, ok;

	fd = openat(dirfd, qname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		closekeep(fd);
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 07777) != 0700) {
		closekeep(fd);
		errno = EPERM;
		return -1;
	}
	if ((dp = fdopendir(fd)) == NULL) {
		closekeep(fd);
		return -1;
	}
	/* Renaming entries out while reading is safe: nothing is added. */
	while ((errno = 0, de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		ok = slot_origin(de->d_name, origin) == 0;
		if (ok && restore(fd, de->d_name, dirfd, origin) == 0) {
			report(origin, de->d_name, 0, arg);
			continue;
		}
		report(ok ? origin : NULL, de->d_name, ok ? errno : ENOENT,
		    arg);
		left++;
	}
	if (errno != 0) {
		int serrno = errno;

		closedir(dp);
		errno = serrno;
		return -1;
	}
	closedir(dp);
	if (left == 0 && unlinkat(dirfd, qname, AT_REMOVEDIR) == -1) {
		/* Something came in meanwhile: count it as left. */
		if (errno != ENOTEMPTY && errno != EEXIST)
			return -1;
		left = 1;
	}
	return left;
}
