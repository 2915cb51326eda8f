/* archive.c - retain: move what is too old into an archive directory
 * under its path below DIR; never over anything already there. */
/* SPDX-License-Identifier: ISC */
#define _GNU_SOURCE	/* SYS_renameat2 */

#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/atomic.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/quarantine.h"
#include "bin/retain/retain.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	1
#endif

#define ABSENT	(-2)	/* dry run: the directory would be made */

/* Leave the archive directory now open: its renames made durable. */
static void
leave(struct rule *ru)
{
	if (ru->curfd >= 0) {
		if (ru->curdirty)
			(void)atomic_syncdir(ru->curfd, NULL);
		close(ru->curfd);
	}
	ru->curfd = -1;
	ru->curdirty = 0;
	free(ru->curdir);
	ru->curdir = NULL;
}

void
archive_done(struct rule *ru)
{
	leave(ru);
}

/*
 * The archive's directory dir (relative to DEST, "" for DEST itself),
 * opened without following symlinks and, unless dry, made (mode 0700) as
 * needed.  Returns its descriptor (the rule's, not to be closed), ABSENT
 * in a dry run when it does not exist yet, or -1 with errno and *failed
 * the length of dir that names what failed.
 */
static int
destdir(struct rule *ru, const char *dir, size_t *failed)
{
	char *buf, *p, *slash;
	int fd, next, serrno;

	if (ru->curdir != NULL && strcmp(ru->curdir, dir) == 0)
		return ru->curfd;
	leave(ru);
	buf = xstrdup(dir);
	fd = ru->destfd;
	for (p = buf; *p != '\0'; p = slash + 1) {
		if ((slash = strchr(p, '/')) != NULL)
			*slash = '\0';
		next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (next == -1 && errno == ENOENT) {
			if (opt.dry) {
				next = ABSENT;
				goto out;
			}
			if (mkdirat(fd, p, 0700) == -1 && errno != EEXIST)
				goto fail;
			/* The new name is durable before anything goes in. */
			if (atomic_syncdir(fd, NULL) == -1)
				goto fail;
			next = openat(fd, p, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
		}
		if (next == -1)
			goto fail;
		if (fd != ru->destfd)
			close(fd);
		fd = next;
		if (slash == NULL)
			break;
		*slash = '/';
	}
	if (fd == ru->destfd && (fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		*failed = 0;
		goto err;
	}
	ru->curdir = buf;
	ru->curfd = fd;
	return fd;
fail:
	*failed = (size_t)(p - buf) + strlen(p);
err:
	serrno = errno;
	if (fd != ru->destfd && fd >= 0)
		close(fd);
	free(buf);
	errno = serrno;
	return -1;
out:
	if (fd != ru->destfd)
		close(fd);
	free(buf);
	return next;
}

/*
 * Copy the file or symlink slot (in qfd, lstat st) to name in dfd on
 * another filesystem: a temporary beside name, data, owner, mode and
 * times, fsync, then read back and compared by SHA-256 with the source,
 * and renamed to name, never over anything, the directory fsynced.
 * Returns 0, or -1 with errno and nothing left in dfd (EOPNOTSUPP for
 * anything but a regular file or a symlink, EIO when the copy reads
 * back different).
 */
static int
copy_across(int qfd, const char *slot, const struct stat *st, int dfd,
    const char *name)
{
	unsigned char h1[HASH_LEN], h2[HASH_LEN];
	char tmp[NAME_MAX + 1], target[PATH_MAX];
	struct timespec times[2];
	struct stat ist;
	uint64_t n1, n2;
	ssize_t len;
	int in = -1, out = -1, serrno;

	if (!S_ISREG(st->st_mode) && !S_ISLNK(st->st_mode)) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (atomic_tmpname(tmp, sizeof(tmp), name) == -1)
		return -1;
	if (S_ISLNK(st->st_mode)) {
		if ((len = readlinkat(qfd, slot, target, sizeof(target))) ==
		    -1)
			return -1;
		if ((size_t)len == sizeof(target)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		target[len] = '\0';
		if (symlinkat(target, dfd, tmp) == -1)
			return -1;
		times[0] = st->st_atim;
		times[1] = st->st_mtim;
		if (utimensat(dfd, tmp, times, AT_SYMLINK_NOFOLLOW) == -1 ||
		    (geteuid() == 0 && fchownat(dfd, tmp, st->st_uid,
		    st->st_gid, AT_SYMLINK_NOFOLLOW) == -1))
			goto fail;
		goto publish;
	}
	if ((in = openat(qfd, slot, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(in, &ist) == -1)
		goto fail;
	if (ist.st_dev != st->st_dev || ist.st_ino != st->st_ino) {
		errno = ESTALE;
		goto fail;
	}
	if ((out = openat(dfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		goto fail;
	if (atomic_copy_data(in, out, ist.st_size, NULL) == -1 ||
	    fsync(out) == -1 || atomic_copy_meta(out, st) == -1 ||
	    fsync(out) == -1)
		goto fail;
	/* Read back what was written and compare with the source. */
	if (lseek(in, 0, SEEK_SET) == -1 || lseek(out, 0, SEEK_SET) == -1 ||
	    hash_fd(in, h1, &n1) == -1 || hash_fd(out, h2, &n2) == -1)
		goto fail;
	if (n1 != n2 || n1 != (uint64_t)ist.st_size ||
	    memcmp(h1, h2, HASH_LEN) != 0) {
		errno = EIO;
		goto fail;
	}
	close(out);
	out = -1;
	close(in);
	in = -1;
publish:
	if (atomic_rename_noreplace(dfd, tmp, dfd, name) == -1)
		goto fail;
	return 0;
fail:
	serrno = errno;
	if (in != -1)
		close(in);
	if (out != -1)
		close(out);
	(void)unlinkat(dfd, tmp, 0);
	errno = serrno;
	return -1;
}

int
archive_entry(struct run *r, struct target *tg, struct rule *ru,
    struct quarantine *q, const struct tree_entry *e, const char *origin)
{
	char slot[NAME_MAX + 1], *dir;
	size_t failed = 0;
	struct stat st;
	int dfd, res, serrno;

	dir = xstrdup(e->path);
	dir[e->pathlen - strlen(e->name)] = '\0';
	if (*dir != '\0')
		dir[strlen(dir) - 1] = '\0';
	dfd = destdir(ru, dir, &failed);
	if (dfd == -1) {
		dir[failed] = '\0';
		warnp(ru->dest, dir, "%s; %s/%s kept", strerror(errno),
		    tg->dir, e->path);
		goto kept;
	}
	free(dir);
	if (dfd != ABSENT && fstatat(dfd, e->name, &st,
	    AT_SYMLINK_NOFOLLOW) == 0) {
		warnp(ru->dest, e->path, "already exists; the one in %s is "
		    "kept", tg->dir);
		r->status = EXIT_FAIL;
		return 1;
	}
	if (opt.dry) {
		action_line(tg, e->path, ru);
		return 0;
	}

	res = quarantine_take(q, e->dirfd, e->name, origin, &e->st,
	    QUARANTINE_MTIME, slot);
	if (res == -1 && errno == ENOENT)
		return -1;
	if (res != 0) {
		r->status = EXIT_FAIL;
		if (res == 1)
			warnp(tg->dir, e->path, "changed since it was judged; "
			    "kept");
		else if (res == 2)
			warnp(tg->dir, e->path, "changed since it was judged "
			    "and its name was taken again; kept in %s as %s",
			    q->name, slot);
		else
			warnp(tg->dir, e->path, "%s", strerror(errno));
		return 1;
	}
	if (syscall(SYS_renameat2, q->fd, slot, dfd, e->name,
	    RENAME_NOREPLACE) == 0)
		ru->curdirty = 1;
	else if (errno == EXDEV && copy_across(q->fd, slot, &e->st, dfd,
	    e->name) == 0) {
		if (unlinkat(q->fd, slot, 0) == -1)
			warnp(tg->dir, e->path, "copied to %s/%s, but the "
			    "original stays in %s as %s: %s", ru->dest,
			    e->path, q->name, slot, strerror(errno));
	} else {
		serrno = errno;
		if (quarantine_putback(q, slot, e->dirfd, e->name) == -1)
			warnp(tg->dir, e->path, "cannot be put back (%s); "
			    "kept in %s as %s", strerror(errno), q->name,
			    slot);
		r->status = EXIT_FAIL;
		warnp(ru->dest, e->path, "%s; %s/%s kept",
		    serrno == EOPNOTSUPP ? "only regular files and symlinks "
		    "can be archived to another filesystem" :
		    strerror(serrno), tg->dir, e->path);
		return 1;
	}
	if (opt.verbose)
		action_line(tg, e->path, ru);
	audit_change(r, "archive", tg->absdir, e->path, ru->absdest, e->path);
	return 0;
kept:
	free(dir);
	r->status = EXIT_FAIL;
	return 1;
}
