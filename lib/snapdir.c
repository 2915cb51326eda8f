/* snapdir.c - a snapback backup directory: names, completeness, cleanup. */
/* SPDX-License-Identifier: ISC */

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/atomic.h"
#include "lib/snapdir.h"
#include "lib/time.h"
#include "lib/walk.h"

int
snapdir_open(struct snapdir *d, const char *path)
{
	memset(d, 0, sizeof(*d));
	if ((d->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if (snapdir_record(d) == -1) {
		int saved = errno;

		close(d->fd);
		d->fd = -1;
		errno = saved;
		return -1;
	}
	return 0;
}

int
snapdir_record(struct snapdir *d)
{
	ssize_t n;
	int fd, saved;

	d->source[0] = '\0';
	if ((fd = openat(d->fd, SNAPDIR_RECORD, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return errno == ENOENT ? 1 : -1;
	n = read(fd, d->source, sizeof(d->source) - 1);
	saved = errno;
	close(fd);
	errno = saved;
	if (n == -1)
		return -1;
	if (n < 3 || d->source[0] != '/' || d->source[n - 1] != '\n' ||
	    memchr(d->source, '\0', n) != NULL) {
		d->source[0] = '\0';
		errno = EINVAL;
		return -1;
	}
	d->source[n - 1] = '\0';
	return 0;
}

int
snapdir_names(struct snapdir *d)
{
	const char *base = strrchr(d->source, '/'), *dot;
	size_t n;

	base = base ? base + 1 : d->source;
	if (*base == '\0')
		base = "root";
	dot = d->isdir ? NULL : strrchr(base, '.');
	if (dot == base)
		dot = NULL;
	n = dot ? (size_t)(dot - base) : strlen(base);
	/* Room for "_YYYYmmdd_HHMMSS", ".sha256" and a temporary's
	 * ".XXXXXX" within NAME_MAX. */
	if (n + (dot ? strlen(dot) : 0) + 16 + 7 + 8 > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(d->stem, base, n);
	d->stem[n] = '\0';
	strcpy(d->ext, dot ? dot : "");
	snprintf(d->latest, sizeof(d->latest), "latest%.*s",
	    (int)(sizeof(d->latest) - 7), d->ext);
	return 0;
}

int
snapdir_is_snapshot(const struct snapdir *d, const char *name, time_t *t)
{
	size_t sl = strlen(d->stem), el = strlen(d->ext), n = strlen(name);
	char stamp[TIME_STAMPLEN];
	time_t tt;

	if (sl == 0 || n != sl + 1 + 15 + el ||
	    strncmp(name, d->stem, sl) != 0 || name[sl] != '_' ||
	    strcmp(name + sl + 16, d->ext) != 0)
		return 0;
	memcpy(stamp, name + sl + 1, 15);
	stamp[15] = '\0';
	if (time_parse_stamp(stamp, &tt) == -1)
		return 0;
	if (t != NULL)
		*t = tt;
	return 1;
}

int
snapdir_manifest(char *buf, const char *name)
{
	if ((size_t)snprintf(buf, NAME_MAX + 1, "%s.sha256", name) >=
	    NAME_MAX + 1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
snapdir_complete(const struct snapdir *d, const char *name)
{
	char man[NAME_MAX + 1];
	struct stat st;

	return snapdir_manifest(man, name) == 0 &&
	    fstatat(d->fd, man, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode);
}

/*
 * Whether name is a temporary or trash that a run on this directory made:
 * atomic_tmpname's shape around a snapshot's name, a manifest's, the
 * latest link's or the record's.  Anything else, a user's ".notes.backup"
 * say, is never taken for a leftover.
 */
static int
own_tmp(const struct snapdir *d, const char *name)
{
	char target[NAME_MAX + 1];
	size_t n = strlen(name);

	if (!atomic_istmp(name) || n - 8 >= sizeof(target))
		return 0;
	memcpy(target, name + 1, n - 8);
	target[n - 8] = '\0';
	if (strcmp(target, d->latest) == 0 ||
	    strcmp(target, SNAPDIR_RECORD) == 0 ||
	    snapdir_is_snapshot(d, target, NULL))
		return 1;
	if (n - 8 > 7 && strcmp(target + n - 8 - 7, ".sha256") == 0) {
		target[n - 8 - 7] = '\0';
		return snapdir_is_snapshot(d, target, NULL);
	}
	return 0;
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
free_snaps(struct snapdir *d)
{
	size_t i;

	for (i = 0; i < d->nsnap; i++)
		free(d->snap[i]);
	free(d->snap);
	d->snap = NULL;
	d->nsnap = 0;
}

int
snapdir_scan(struct snapdir *d, int clean,
    void (*removed)(const char *name, int err, void *arg), void *arg)
{
	struct dirent *de;
	size_t cap = 0;
	char **v;
	DIR *dp;
	int fd, saved;

	free_snaps(d);
	if ((fd = openat(d->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((dp = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	while ((errno = 0, de = readdir(dp)) != NULL) {
		if (clean && (own_tmp(d, de->d_name) ||
		    (snapdir_is_snapshot(d, de->d_name, NULL) &&
		    !snapdir_complete(d, de->d_name)))) {
			saved = walk_remove(d->fd, de->d_name, WALK_XDEV) == -1 &&
			    errno != ENOENT ? errno : 0;
			if (removed != NULL)
				removed(de->d_name, saved, arg);
			continue;
		}
		if (!snapdir_is_snapshot(d, de->d_name, NULL))
			continue;
		if (d->nsnap == cap) {
			cap = cap ? cap * 2 : 64;
			if ((v = reallocarray(d->snap, cap, sizeof(*v))) == NULL)
				goto fail;
			d->snap = v;
		}
		if ((d->snap[d->nsnap] = strdup(de->d_name)) == NULL)
			goto fail;
		d->nsnap++;
	}
	if (errno != 0)
		goto fail;
	closedir(dp);
	/* One stem, so name order is time order. */
	if (d->nsnap > 0)
		qsort(d->snap, d->nsnap, sizeof(*d->snap), cmpstr);
	return 0;
fail:
	saved = errno;
	closedir(dp);
	errno = saved;
	return -1;
}

int
snapdir_kind(struct snapdir *d)
{
	struct stat st;
	size_t i;

	for (d->isdir = 0; d->isdir <= 1; d->isdir++) {
		if (snapdir_names(d) == -1 || snapdir_scan(d, 0, NULL,
		    NULL) == -1)
			return -1;
		for (i = 0; i < d->nsnap; i++)
			if (fstatat(d->fd, d->snap[i], &st,
			    AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISDIR(st.st_mode) == d->isdir)
				return 0;
	}
	/* No snapshot at all: the source's own kind, if it exists. */
	d->isdir = stat(d->source, &st) == 0 && S_ISDIR(st.st_mode);
	if (snapdir_names(d) == -1 || snapdir_scan(d, 0, NULL, NULL) == -1)
		return -1;
	return 0;
}

const char *
snapdir_newest(const struct snapdir *d)
{
	size_t i;

	for (i = d->nsnap; i > 0; i--)
		if (snapdir_complete(d, d->snap[i - 1]))
			return d->snap[i - 1];
	return NULL;
}

void
snapdir_latest(const struct snapdir *d, char *buf, size_t size)
{
	ssize_t n = readlinkat(d->fd, d->latest, buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (strchr(buf, '/') != NULL || strcmp(buf, ".") == 0 ||
	    strcmp(buf, "..") == 0)
		buf[0] = '\0';
}

int
snapdir_remove(struct snapdir *d, const char *name)
{
	char man[NAME_MAX + 1], trash[NAME_MAX + 1];

	if (snapdir_manifest(man, name) == -1 ||
	    atomic_tmpname(trash, sizeof(trash), name) == -1)
		return -1;
	if (unlinkat(d->fd, man, 0) == -1 && errno != ENOENT)
		return -1;
	if (atomic_syncdir(d->fd, NULL) == -1)
		return -1;
	if (renameat(d->fd, name, d->fd, trash) == -1)
		return -1;
	if (atomic_syncdir(d->fd, NULL) == -1)
		return -1;
	if (walk_remove(d->fd, trash, WALK_XDEV) == -1)
		return -1;
	return atomic_syncdir(d->fd, NULL);
}

void
snapdir_close(struct snapdir *d)
{
	free_snaps(d);
	if (d->fd != -1)
		close(d->fd);
	d->fd = -1;
}
