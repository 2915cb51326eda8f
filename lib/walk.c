/* walk.c - tree walks and removal relative to directory descriptors. */
/* SPDX-License-Identifier: ISC */
#define _GNU_SOURCE	/* AT_EMPTY_PATH, SYS_getdents64, SYS_statx */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/walk.h"

/*
 * Every directory is opened this way, relative to its parent: a symlink
 * swapped in for a directory makes the open fail (ELOOP or ENOTDIR)
 * instead of leading out of the tree.
 */
#define DIROPEN		(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/*
 * How often a name that flips between directory and non-directory under
 * us (or a directory refilled while we empty it) is retried before giving
 * up: enough for honest concurrent changes, bounded so that a hostile
 * writer cannot keep us busy forever.
 */
#define RETRIES		16

#define DENTSIZE	32768	/* getdents64 buffer */

#ifndef DT_DIR
#define DT_DIR		4
#endif
#ifndef DT_UNKNOWN
#define DT_UNKNOWN	0
#endif

/*
 * statx(2) as the kernel defines it (musl 1.2.3 has no wrapper).  Own
 * names, so that a libc that does define struct statx does not clash.
 */
#define WSTATX_MNT_ID		0x1000U
#ifndef AT_STATX_DONT_SYNC
#define AT_STATX_DONT_SYNC	0x4000
#endif

struct wstatx_ts {
	int64_t		sec;
	uint32_t	nsec;
	int32_t		spare;
};

struct wstatx {
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
	struct wstatx_ts atime, btime, ctime, mtime;
	uint32_t	rdev_major;
	uint32_t	rdev_minor;
	uint32_t	dev_major;
	uint32_t	dev_minor;
	uint64_t	mnt_id;
	uint64_t	spare2[13];
};

/* The kernel writes 256 bytes; fail the build if the layout is off. */
typedef char wstatx_size_check[sizeof(struct wstatx) == 256 ? 1 : -1];

/* A record as getdents64 returns it. */
struct dent64 {
	uint64_t	d_ino;
	int64_t		d_off;
	unsigned short	d_reclen;
	unsigned char	d_type;
	char		d_name[];
};

/*
 * The names of one directory: buf holds, for each name, its d_type byte
 * followed by the name and its NUL; names[] points at the names.  One per
 * depth, reused for every directory at that depth, so a walk allocates a
 * few buffers rather than one string per entry.
 */
struct level {
	char	 *buf;
	size_t	  len;
	size_t	  cap;
	char	**names;
	size_t	  ncap;
};

/* What "the same filesystem as the top" means for WALK_XDEV. */
struct xdev {
	dev_t		dev;
	uint64_t	mnt;
	int		havemnt;	/* statx gave a mount id for the top */
};

struct walk {
	walk_fn		 fn;
	void		*arg;
	int		 flags;
	struct xdev	 x;
	size_t		 pathlen;
	char		 path[PATH_MAX];
	char		 top[PATH_MAX];
	struct level	 lv[WALK_MAXDEPTH + 1];
	union {
		uint64_t align;
		char	 b[DENTSIZE];
	}		 dent;
};

static int	 cmpname(const void *, const void *);
static long	 readnames(struct walk *, int, struct level *);
static int	 striptop(struct walk *, const char *);
static int	 mntid(int, uint64_t *, int *);
static int	 xdev_init(struct xdev *, int, const struct stat *);
static int	 xdev_other(const struct xdev *, int, const struct stat *);
static int	 pathpush(struct walk *, const char *, int);
static int	 visit(struct walk *, int, const char *, int);
static int	 rmdir_at(struct walk *, int, const char *, int);
static int	 empty(struct walk *, int, int);
static struct walk *walk_new(void);
static void	 walk_free(struct walk *);

static int
cmpname(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct walk *
walk_new(void)
{
	return calloc(1, sizeof(struct walk));
}

static void
walk_free(struct walk *w)
{
	int serrno = errno, i;

	for (i = 0; i <= WALK_MAXDEPTH; i++) {
		free(w->lv[i].buf);
		free(w->lv[i].names);
	}
	free(w);
	errno = serrno;
}

/* Close fd keeping errno: the caller is reporting an earlier failure. */
static void
closekeep(int fd)
{
	int serrno = errno;

	(void)close(fd);
	errno = serrno;
}

/*
 * Copy name to w->top without trailing slashes ("link/" would make the
 * kernel follow the symlink even with O_NOFOLLOW), keeping "/" itself.
 * Returns 0, or -1 with ENOENT (empty name) or ENAMETOOLONG.
 */
static int
striptop(struct walk *w, const char *name)
{
	size_t len = strlen(name);

	if (len == 0) {
		errno = ENOENT;
		return -1;
	}
	if (len >= sizeof(w->top)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	while (len > 1 && name[len - 1] == '/')
		len--;
	memcpy(w->top, name, len);
	w->top[len] = '\0';
	return 0;
}

/*
 * Read every name of directory fd (but "." and "..") into lv, from the
 * start of the directory.  Returns the number of names or -1.  A directory
 * removed since it was opened reads as empty.
 */
static long
readnames(struct walk *w, int fd, struct level *lv)
{
	struct dent64 *d;
	size_t n = 0, nl, i;
	long got, off;
	char *p, **names;

	lv->len = 0;
	if (lseek(fd, 0, SEEK_SET) == -1)
		return -1;
	for (;;) {
		got = syscall(SYS_getdents64, fd, w->dent.b, sizeof(w->dent.b));
		if (got == -1 && errno == ENOENT)
			break;
		if (got == -1)
			return -1;
		if (got == 0)
			break;
		for (off = 0; off < got; off += d->d_reclen) {
			d = (struct dent64 *)(w->dent.b + off);
			if (d->d_name[0] == '.' && (d->d_name[1] == '\0' ||
			    (d->d_name[1] == '.' && d->d_name[2] == '\0')))
				continue;
			nl = strlen(d->d_name);
			if (lv->cap - lv->len < nl + 2) {
				size_t ncap = lv->cap ? lv->cap : 4096;

				while (ncap - lv->len < nl + 2) {
					if (ncap > SIZE_MAX / 2) {
						errno = ENOMEM;
						return -1;
					}
					ncap *= 2;
				}
				if ((p = realloc(lv->buf, ncap)) == NULL)
					return -1;
				lv->buf = p;
				lv->cap = ncap;
			}
			lv->buf[lv->len] = (char)d->d_type;
			memcpy(lv->buf + lv->len + 1, d->d_name, nl + 1);
			lv->len += nl + 2;
			n++;
		}
	}
	if (n > lv->ncap) {
		names = reallocarray(lv->names, n, sizeof(*names));
		if (names == NULL)
			return -1;
		lv->names = names;
		lv->ncap = n;
	}
	for (i = 0, p = lv->buf; i < n; i++) {
		lv->names[i] = p + 1;
		p += strlen(p + 1) + 2;
	}
	if (n > LONG_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	return (long)n;
}

/*
 * The mount id of fd.  *have is 0 if the kernel cannot tell (statx or
 * STATX_MNT_ID missing, or statx filtered by a sandbox): the caller then
 * relies on st_dev alone.  Returns 0, or -1 on another failure.
 */
static int
mntid(int fd, uint64_t *id, int *have)
{
	struct wstatx stx;

	*have = 0;
	if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC,
	    WSTATX_MNT_ID, &stx) == -1) {
		if (errno == ENOSYS || errno == EINVAL || errno == EPERM)
			return 0;
		return -1;
	}
	if (stx.mask & WSTATX_MNT_ID) {
		*id = stx.mnt_id;
		*have = 1;
	}
	return 0;
}

static int
xdev_init(struct xdev *x, int fd, const struct stat *st)
{
	x->dev = st->st_dev;
	return mntid(fd, &x->mnt, &x->havemnt);
}

/*
 * Is directory fd (with fstat st) on another filesystem than the top?
 * st_dev catches most mounts; the mount id also catches a bind mount of
 * the same filesystem, which has the same st_dev.  Returns 1, 0, or -1.
 */
static int
xdev_other(const struct xdev *x, int fd, const struct stat *st)
{
	uint64_t id;
	int have;

	if (st->st_dev != x->dev)
		return 1;
	if (!x->havemnt)
		return 0;
	if (mntid(fd, &id, &have) == -1)
		return -1;
	return have && id != x->mnt;
}

/*
 * Append name to w->path for an entry of a directory at depth.  Returns 0,
 * or -1 with ENAMETOOLONG if the path would not fit in PATH_MAX.
 */
static int
pathpush(struct walk *w, const char *name, int depth)
{
	size_t nl = strlen(name), sep = depth > 0;

	if (nl + sep >= sizeof(w->path) - w->pathlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (sep)
		w->path[w->pathlen++] = '/';
	memcpy(w->path + w->pathlen, name, nl + 1);
	w->pathlen += nl;
	return 0;
}

/*
 * Report name in pfd (at depth, path in w->path) and, for a directory,
 * everything below it.  The lstat decides whether to try opening the name
 * as a directory; once opened, the descriptor's own fstat is what is
 * reported, so the stat and the descriptor always describe the same
 * directory even if the name was replaced by another one in between.  A
 * name that turns out not to be a directory any more (a symlink swapped
 * in: the open fails with ELOOP or ENOTDIR) is examined again.
 */
static int
visit(struct walk *w, int pfd, const char *name, int depth)
{
	struct walk_entry e;
	struct level *lv;
	size_t save, i;
	long n;
	int fd, r, tries;

	e.dirfd = pfd;
	e.name = name;
	e.path = w->path;
	e.fd = -1;
	e.depth = depth;
	for (tries = 0;; tries++) {
		if (fstatat(pfd, name, &e.st, AT_SYMLINK_NOFOLLOW) == -1) {
			/* Vanished since readdir: not an error inside. */
			if (errno == ENOENT && depth > 0)
				return 0;
			return -1;
		}
		if (!S_ISDIR(e.st.st_mode))
			return w->fn(WALK_OTHER, &e, w->arg) < 0 ? -1 : 0;
		if ((fd = openat(pfd, name, DIROPEN)) != -1)
			break;
		if (errno == ENOENT && depth > 0)
			return 0;
		if (errno != ELOOP && errno != ENOTDIR)
			return -1;
		/* An entry that never holds still is treated as vanished. */
		if (tries == RETRIES)
			return depth > 0 ? 0 : -1;
	}
	if (fstat(fd, &e.st) == -1)
		goto fail;
	if (depth == 0) {
		if ((w->flags & WALK_XDEV) && xdev_init(&w->x, fd, &e.st) == -1)
			goto fail;
	} else if (w->flags & WALK_XDEV) {
		if ((r = xdev_other(&w->x, fd, &e.st)) == -1)
			goto fail;
		if (r) {
			(void)close(fd);
			return w->fn(WALK_MOUNT, &e, w->arg) < 0 ? -1 : 0;
		}
	}

	e.fd = fd;
	if ((r = w->fn(WALK_DIR_PRE, &e, w->arg)) < 0)
		goto fail;
	if (r == 1) {
		(void)close(fd);
		return 0;
	}
	lv = &w->lv[depth];
	if ((n = readnames(w, fd, lv)) == -1)
		goto fail;
	if (n > 0 && depth >= WALK_MAXDEPTH) {
		errno = ELOOP;
		goto fail;
	}
	if (n > 1)
		qsort(lv->names, (size_t)n, sizeof(*lv->names), cmpname);
	save = w->pathlen;
	for (i = 0; i < (size_t)n; i++) {
		if (pathpush(w, lv->names[i], depth) == -1)
			goto fail;
		r = visit(w, fd, lv->names[i], depth + 1);
		w->pathlen = save;
		w->path[save] = '\0';
		if (r == -1)
			goto fail;
	}
	if (w->fn(WALK_DIR_POST, &e, w->arg) < 0)
		goto fail;
	(void)close(fd);
	return 0;

fail:
	closekeep(fd);
	return -1;
}

int
walk_tree(int dirfd, const char *root, int flags, walk_fn fn, void *arg)
{
	struct walk *w;
	int r;

	if ((w = walk_new()) == NULL)
		return -1;
	w->fn = fn;
	w->arg = arg;
	w->flags = flags;
	if (striptop(w, root) == -1) {
		walk_free(w);
		return -1;
	}
	r = visit(w, dirfd, w->top, 0);
	walk_free(w);
	return r;
}

/*
 * Remove every entry of directory fd (at depth).  Names are read first,
 * then removed; what is added meanwhile is left to the caller's retry.
 * d_type only saves a failing unlink per directory: whatever it says,
 * directories are opened O_NOFOLLOW relative to fd.
 */
static int
empty(struct walk *w, int fd, int depth)
{
	struct level *lv = &w->lv[depth];
	size_t i;
	long n;
	char *name;

	if ((n = readnames(w, fd, lv)) == -1)
		return -1;
	if (n > 0 && depth >= WALK_MAXDEPTH) {
		errno = ELOOP;
		return -1;
	}
	for (i = 0; i < (size_t)n; i++) {
		name = lv->names[i];
		if (name[-1] != DT_DIR) {
			if (unlinkat(fd, name, 0) == 0 || errno == ENOENT)
				continue;
			/* Linux says EISDIR for a directory, POSIX EPERM. */
			if (errno != EISDIR && errno != EPERM)
				return -1;
		}
		if (rmdir_at(w, fd, name, depth + 1) == -1)
			return -1;
	}
	return 0;
}

/*
 * Remove directory name in pfd and everything below it; a name that is
 * not (or no longer) a directory is unlinked instead, never followed.  A
 * name that vanishes is success: it is gone.  The directory is emptied
 * and removed again if something refills it before the rmdir, at most
 * RETRIES times.
 */
static int
rmdir_at(struct walk *w, int pfd, const char *name, int depth)
{
	struct stat st;
	int fd, r, tries;

	for (tries = 0; tries < RETRIES; tries++) {
		if ((fd = openat(pfd, name, DIROPEN)) == -1) {
			if (errno == ENOENT)
				return 0;
			if (errno != ELOOP && errno != ENOTDIR)
				return -1;
			if (unlinkat(pfd, name, 0) == 0 || errno == ENOENT)
				return 0;
			if (errno != EISDIR)
				return -1;
			continue;	/* a directory again */
		}
		if (w->flags & WALK_XDEV) {
			if (fstat(fd, &st) == -1)
				goto fail;
			if (depth == 0) {
				if (xdev_init(&w->x, fd, &st) == -1)
					goto fail;
			} else {
				if ((r = xdev_other(&w->x, fd, &st)) == -1)
					goto fail;
				if (r) {
					errno = EXDEV;
					goto fail;
				}
			}
		}
		if (empty(w, fd, depth) == -1)
			goto fail;
		(void)close(fd);
		if (unlinkat(pfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		/* Refilled (ENOTEMPTY, EEXIST) or replaced (ENOTDIR). */
		if (errno != ENOTEMPTY && errno != EEXIST && errno != ENOTDIR)
			return -1;
	}
	return -1;

fail:
	closekeep(fd);
	return -1;
}

int
walk_remove(int dirfd, const char *name, int flags)
{
	struct walk *w;
	struct stat st;
	const char *last;
	int r;

	if ((w = walk_new()) == NULL)
		return -1;
	w->flags = flags;
	if (striptop(w, name) == -1)
		goto fail;
	last = strrchr(w->top, '/');
	last = last != NULL ? last + 1 : w->top;
	/* "/", "." and ".." name a directory that cannot be removed. */
	if (*last == '\0' || strcmp(last, ".") == 0 ||
	    strcmp(last, "..") == 0) {
		errno = EINVAL;
		goto fail;
	}
	if (fstatat(dirfd, w->top, &st, AT_SYMLINK_NOFOLLOW) == -1)
		goto fail;
	r = -1;
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, w->top, 0) == 0)
			r = 0;
		else if (errno == ENOENT || errno == EISDIR)
			r = 1;	/* changed since the lstat: look again */
	} else
		r = 1;
	if (r == 1)
		r = rmdir_at(w, dirfd, w->top, 0);
	walk_free(w);
	return r;

fail:
	walk_free(w);
	return -1;
}

int
walk_open(int dirfd, const char *path, int flags)
{
	struct {
		uint64_t flags, mode, resolve;
	} how = { (uint64_t)(flags | O_CLOEXEC), 0, 0x04 | 0x08 };
	char buf[PATH_MAX], *p, *slash;
	const char *q;
	int fd, next, saved;

	if (path[0] == '/') {
		errno = EXDEV;
		return -1;
	}
	/*
	 * RESOLVE_BENEATH lets a ".." pass while it stays below dirfd, the
	 * fallback never does: refuse it up front for the same answer on
	 * every kernel.
	 */
	for (q = path; (q = strstr(q, "..")) != NULL; q += 2)
		if ((q == path || q[-1] == '/') &&
		    (q[2] == '\0' || q[2] == '/')) {
			errno = EXDEV;
			return -1;
		}
#ifdef SYS_openat2
	/* RESOLVE_NO_SYMLINKS (0x04) | RESOLVE_BENEATH (0x08) */
	fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	if (fd != -1 || (errno != ENOSYS && errno != EPERM))
		return fd;
#else
	(void)how;
#endif
	if (strlen(path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, path);
	fd = dirfd;
	for (p = buf;; p = slash + 1) {
		slash = strchr(p, '/');
		if (slash != NULL)
			*slash = '\0';
		if (strcmp(p, "..") == 0) {
			errno = EXDEV;
			next = -1;
		} else if (slash != NULL)
			next = openat(fd, *p ? p : ".", O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
		else
			next = openat(fd, p, flags | O_NOFOLLOW | O_CLOEXEC);
		saved = errno;
		if (fd != dirfd)
			close(fd);
		errno = saved;
		if (next == -1 || slash == NULL)
			return next;
		fd = next;
	}
}
