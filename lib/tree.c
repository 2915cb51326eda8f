/* tree.c - a walk of a tree of any depth and width, in bounded memory,
 * relative to directory descriptors. */
/* SPDX-License-Identifier: ISC */
#define _GNU_SOURCE	/* AT_EMPTY_PATH, AT_NO_AUTOMOUNT, SYS_statx */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/tree.h"

#define DIROPEN		(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define BUFSIZE		16384	/* one getdents buffer */
#define RETRIES		8	/* a name that keeps changing under us */

#ifndef AT_NO_AUTOMOUNT
#define AT_NO_AUTOMOUNT		0x800
#endif
#ifndef AT_STATX_DONT_SYNC
#define AT_STATX_DONT_SYNC	0x4000
#endif

/* statx(2) as the kernel has it (musl 1.2.3 has no wrapper). */
#define XSTATX_BASIC	0x7ffU
#define XSTATX_BTIME	0x800U
#define XSTATX_MNT_ID	0x1000U

struct xstatx_ts {
	int64_t		sec;
	uint32_t	nsec;
	int32_t		spare;
};

struct xstatx {
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
	struct xstatx_ts atime, btime, ctime, mtime;
	uint32_t	rdev_major;
	uint32_t	rdev_minor;
	uint32_t	dev_major;
	uint32_t	dev_minor;
	uint64_t	mnt_id;
	uint64_t	spare2[13];
};

typedef char xstatx_size_check[sizeof(struct xstatx) == 256 ? 1 : -1];

struct dent64 {
	uint64_t	d_ino;
	int64_t		d_off;
	unsigned short	d_reclen;
	unsigned char	d_type;
	char		d_name[];
};

/* What identifies a directory when it is opened again through "..". */
struct ident {
	dev_t		dev;
	ino_t		ino;
	uint64_t	mnt;
	int64_t		bsec;
	uint32_t	bnsec;
	int		hasbtime;
};

struct level {
	int		 fd;		/* -1 while a deep level is left */
	struct stat	 st;
	struct ident	 id;
	int		 mountroot;
	size_t		 pathlen;	/* of this directory's path */
	size_t		 namepos;	/* where its name begins in path */
	int64_t		 off;		/* deep: the cookie to resume at */
	char		*buf;		/* own buffer (kept levels) */
	size_t		 pos, len;	/* unread part of the buffer */
	int		 eof;
};

enum pending { P_NONE, P_DIR, P_POST, P_UNWIND };

struct tree {
	int		 flags;
	int		 nostatx;	/* statx is not available */
	struct level	*lv;
	size_t		 depth;		/* index of the current level */
	size_t		 cap;
	char		*path;
	size_t		 pathcap;
	char		*dbuf;		/* the buffer of deep levels */
	size_t		 downer;	/* the level dbuf holds, or SIZE_MAX */
	enum pending	 pending;
	struct tree_entry e;
};

/* A level below the root that keeps its descriptor and buffer. */
#define KEPT(d)		((d) <= TREE_FDLEVELS)

static void
closekeep(int fd)
{
	int serrno = errno;

	(void)close(fd);
	errno = serrno;
}

static void
from_statx(const struct xstatx *x, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(x->dev_major, x->dev_minor);
	st->st_ino = x->ino;
	st->st_mode = x->mode;
	st->st_nlink = x->nlink;
	st->st_uid = x->uid;
	st->st_gid = x->gid;
	st->st_rdev = makedev(x->rdev_major, x->rdev_minor);
	st->st_size = (off_t)x->size;
	st->st_blksize = x->blksize;
	st->st_blocks = (blkcnt_t)x->blocks;
	st->st_atim.tv_sec = x->atime.sec;
	st->st_atim.tv_nsec = x->atime.nsec;
	st->st_mtim.tv_sec = x->mtime.sec;
	st->st_mtim.tv_nsec = x->mtime.nsec;
	st->st_ctim.tv_sec = x->ctime.sec;
	st->st_ctim.tv_nsec = x->ctime.nsec;
}

/*
 * Examine name in fd (or fd itself with name ""), not following it, not
 * triggering an automount.  id (if not NULL) gets the mount id and birth
 * time where the kernel tells them.  0, or -1 with errno.
 */
static int
xstat(struct tree *t, int fd, const char *name, struct stat *st,
    struct ident *id)
{
	struct xstatx x;
	int flags = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT;

	if (*name == '\0')
		flags |= AT_EMPTY_PATH;
	if (!t->nostatx) {
		if (syscall(SYS_statx, fd, name, flags, XSTATX_BASIC |
		    XSTATX_BTIME | XSTATX_MNT_ID, &x) == 0) {
			if ((x.mask & XSTATX_BASIC) != XSTATX_BASIC) {
				/* Not all basic fields: ask the old way. */
				if (fstatat(fd, name, st, flags) == -1)
					return -1;
			} else
				from_statx(&x, st);
			if (id != NULL) {
				id->dev = st->st_dev;
				id->ino = st->st_ino;
				id->mnt = x.mask & XSTATX_MNT_ID ? x.mnt_id : 0;
				id->hasbtime = (x.mask & XSTATX_BTIME) != 0;
				id->bsec = x.btime.sec;
				id->bnsec = x.btime.nsec;
			}
			return 0;
		}
		if (errno != ENOSYS && errno != EPERM)
			return -1;
		t->nostatx = 1;
	}
	if (fstatat(fd, name, st, flags) == -1)
		return -1;
	if (id != NULL) {
		memset(id, 0, sizeof(*id));
		id->dev = st->st_dev;
		id->ino = st->st_ino;
	}
	return 0;
}

static int
same(const struct ident *a, const struct ident *b)
{
	return a->dev == b->dev && a->ino == b->ino &&
	    (a->mnt == 0 || b->mnt == 0 || a->mnt == b->mnt) &&
	    (!a->hasbtime || !b->hasbtime ||
	    (a->bsec == b->bsec && a->bnsec == b->bnsec));
}

/* Room for one more level. */
static int
grow(struct tree *t)
{
	struct level *nl;
	size_t ncap;

	if (t->depth + 1 < t->cap)
		return 0;
	ncap = t->cap * 2;
	if ((nl = reallocarray(t->lv, ncap, sizeof(*nl))) == NULL)
		return -1;
	memset(nl + t->cap, 0, (ncap - t->cap) * sizeof(*nl));
	t->lv = nl;
	t->cap = ncap;
	return 0;
}

/* Put name after the current level's path; 0 or -1 (ENOMEM). */
static int
pathset(struct tree *t, const char *name, size_t nl)
{
	struct level *L = &t->lv[t->depth];
	size_t need = L->pathlen + 1 + nl + 1, ncap;
	char *np;

	if (need > t->pathcap) {
		for (ncap = t->pathcap; ncap < need; ncap *= 2)
			;
		if ((np = realloc(t->path, ncap)) == NULL)
			return -1;
		t->path = np;
		t->pathcap = ncap;
	}
	if (t->depth > 0)
		t->path[L->pathlen] = '/';
	memcpy(t->path + L->pathlen + (t->depth > 0), name, nl + 1);
	t->e.path = t->path;
	t->e.pathlen = L->pathlen + (t->depth > 0) + nl;
	t->e.name = t->path + L->pathlen + (t->depth > 0);
	return 0;
}

int
tree_open(struct tree **tp, int rootfd, int flags)
{
	struct tree *t;
	struct level *L;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	t->flags = flags;
	t->cap = 16;
	t->pathcap = 256;
	t->downer = SIZE_MAX;
	if ((t->lv = calloc(t->cap, sizeof(*t->lv))) == NULL)
		goto fail;
	t->lv[0].fd = -1;
	t->path = malloc(t->pathcap);
	t->dbuf = malloc(BUFSIZE);
	if (t->path == NULL || t->dbuf == NULL)
		goto fail;
	t->path[0] = '\0';
	L = &t->lv[0];
	if ((L->fd = openat(rootfd, ".", DIROPEN)) == -1)
		goto fail;
	if (xstat(t, L->fd, "", &L->st, &L->id) == -1)
		goto fail;
	*tp = t;
	return 0;
fail:
	tree_close(t);
	return -1;
}

void
tree_close(struct tree *t)
{
	int serrno = errno;
	size_t i;

	if (t == NULL)
		return;
	if (t->lv != NULL) {
		for (i = 0; i < t->cap; i++) {
			if (i <= t->depth && t->lv[i].fd != -1)
				(void)close(t->lv[i].fd);
			free(t->lv[i].buf);
		}
	}
	free(t->lv);
	free(t->path);
	free(t->dbuf);
	free(t);
	errno = serrno;
}

/*
 * The next raw entry of the current level, or NULL at its end (*err 0)
 * or on a read error (*err the errno).
 */
static struct dent64 *
nextent(struct tree *t, int *err)
{
	struct level *L = &t->lv[t->depth];
	struct dent64 *d;
	char *buf;
	long got;

	*err = 0;
	if (KEPT(t->depth)) {
		if (L->buf == NULL) {
			if ((L->buf = malloc(BUFSIZE)) == NULL) {
				*err = errno;
				return NULL;
			}
			L->pos = L->len = 0;
		}
		buf = L->buf;
	} else {
		buf = t->dbuf;
		if (t->downer != t->depth) {
			/* The buffer held a deeper level: read again from
			 * where this one was left. */
			if (lseek(L->fd, (off_t)L->off, SEEK_SET) == -1) {
				*err = errno;
				return NULL;
			}
			t->downer = t->depth;
			L->pos = L->len = 0;
			L->eof = 0;
		}
	}
	if (L->pos == L->len) {
		if (L->eof)
			return NULL;
		got = syscall(SYS_getdents64, L->fd, buf, BUFSIZE);
		if (got == -1 && errno == ENOENT)
			got = 0;	/* removed while being read */
		if (got == -1) {
			*err = errno;
			return NULL;
		}
		if (got == 0) {
			L->eof = 1;
			return NULL;
		}
		L->pos = 0;
		L->len = (size_t)got;
	}
	d = (struct dent64 *)(buf + L->pos);
	L->pos += d->d_reclen;
	if (!KEPT(t->depth))
		L->off = d->d_off;
	return d;
}

/* Leave the current level: close it and go up. */
static void
pop(struct tree *t)
{
	struct level *L = &t->lv[t->depth];

	if (L->fd != -1)
		(void)close(L->fd);
	L->fd = -1;
	if (t->downer == t->depth)
		t->downer = SIZE_MAX;
	t->depth--;
}

/*
 * Make sure the parent of the current level is open: a deep one gave up
 * its descriptor and is opened again through "..", then checked.  0, or
 * -1 when it is not the directory it was (or cannot be opened).
 */
static int
parent_open(struct tree *t)
{
	struct level *L = &t->lv[t->depth], *P = &t->lv[t->depth - 1];
	struct ident id;
	struct stat st;
	int fd;

	if (P->fd != -1)
		return 0;
	if ((fd = openat(L->fd, "..", DIROPEN)) == -1)
		return -1;
	if (xstat(t, fd, "", &st, &id) == -1) {
		closekeep(fd);
		return -1;
	}
	if (!same(&id, &P->id)) {
		(void)close(fd);
		errno = EAGAIN;
		return -1;
	}
	P->fd = fd;
	return 0;
}

/* The parent could not be vouched for: report it, and leave every level
 * from the current one up to the nearest one still open. */
static int
unwind(struct tree *t, int error)
{
	struct tree_entry *e = &t->e;
	struct level *P = &t->lv[t->depth - 1];

	pop(t);		/* the current level: its parent is unknown now */
	memset(e, 0, sizeof(*e));
	e->fd = -1;
	e->dirfd = -1;
	e->error = error;
	e->why = error == EAGAIN ? "moved while being walked; the rest of "
	    "it is left for another run" : NULL;
	t->path[P->pathlen] = '\0';
	e->path = t->path;
	e->pathlen = P->pathlen;
	e->name = t->path + P->namepos;
	e->depth = t->depth;
	t->pending = P_UNWIND;
	return TREE_ERROR;
}

/* The end of the current level: TREE_POST, or the end of the walk. */
static int
post(struct tree *t)
{
	struct tree_entry *e = &t->e;
	struct level *L = &t->lv[t->depth];

	if (t->depth == 0)
		return 0;
	if (parent_open(t) == -1)
		return unwind(t, errno);
	memset(e, 0, sizeof(*e));
	t->path[L->pathlen] = '\0';
	e->path = t->path;
	e->pathlen = L->pathlen;
	e->name = t->path + L->namepos;
	e->depth = t->depth;
	e->dirfd = t->lv[t->depth - 1].fd;
	e->fd = L->fd;
	e->dtype = DT_DIR;
	e->havestat = 1;
	e->st = L->st;
	e->mnt = L->id.mnt;
	e->mountroot = L->mountroot;
	t->pending = P_POST;
	return TREE_POST;
}

/* Is st/id on another mount than the level P? */
static int
othermount(const struct level *P, const struct stat *st,
    const struct ident *id)
{
	return st->st_dev != P->id.dev ||
	    (id->mnt != 0 && P->id.mnt != 0 && id->mnt != P->id.mnt);
}

/*
 * The entry just read names a directory (st, id): open it, check it is
 * what was examined, and enter it.  Returns the event to report, or 0
 * when it vanished (the caller goes on with the next entry).
 */
static int
enter(struct tree *t, struct stat *st, struct ident *id)
{
	struct tree_entry *e = &t->e;
	struct level *P = &t->lv[t->depth], *L;
	struct ident id2;
	struct stat st2;
	int fd, tries;

	for (tries = 0;; tries++) {
		if (othermount(P, st, id) && !(t->flags & TREE_CROSSFS)) {
			e->st = *st;
			e->mnt = id->mnt;
			e->havestat = 1;
			return TREE_MOUNT;
		}
		fd = openat(P->fd, e->name, DIROPEN);
		if (fd != -1) {
			if (xstat(t, fd, "", &st2, &id2) == -1) {
				e->error = errno;
				closekeep(fd);
				return TREE_ERROR;
			}
			if (same(&id2, id))
				break;
			(void)close(fd);
		} else if (errno == ENOENT) {
			return 0;
		} else if (errno != ELOOP && errno != ENOTDIR) {
			e->error = errno;
			return TREE_ERROR;
		}
		/* Changed since it was examined: examine it again. */
		if (tries == RETRIES) {
			e->error = EAGAIN;
			e->why = "keeps changing while being examined";
			return TREE_ERROR;
		}
		if (xstat(t, P->fd, e->name, st, id) == -1) {
			if (errno == ENOENT)
				return 0;
			e->error = errno;
			return TREE_ERROR;
		}
		if (!S_ISDIR(st->st_mode)) {
			e->st = *st;
			e->mnt = id->mnt;
			e->havestat = 1;
			return TREE_FILE;
		}
	}
	if (grow(t) == -1) {
		closekeep(fd);
		return -1;
	}
	P = &t->lv[t->depth];	/* grow may have moved the levels */
	L = &t->lv[t->depth + 1];
	L->fd = fd;
	L->st = st2;
	L->id = id2;
	L->mountroot = othermount(P, &st2, &id2);
	L->pathlen = e->pathlen;
	L->namepos = (size_t)(e->name - t->path);
	L->off = 0;
	L->pos = L->len = 0;
	L->eof = 0;
	t->depth++;
	if (!KEPT(t->depth))
		t->downer = t->depth;	/* fresh: nothing to seek */
	e->fd = fd;
	e->st = st2;
	e->mnt = id2.mnt;
	e->havestat = 1;
	e->mountroot = L->mountroot;
	t->pending = P_DIR;
	return TREE_DIR;
}

int
tree_next(struct tree *t, struct tree_entry **ep)
{
	struct tree_entry *e = &t->e;
	struct level *L;
	struct dent64 *d;
	struct ident id;
	struct stat st;
	size_t nl;
	int err, ev;

	*ep = e;
	switch (t->pending) {
	case P_DIR:
		/* Entering: a deep parent gives up its descriptor. */
		if (!KEPT(t->depth - 1)) {
			(void)close(t->lv[t->depth - 1].fd);
			t->lv[t->depth - 1].fd = -1;
		}
		break;
	case P_POST:
		pop(t);
		break;
	case P_UNWIND:
		while (t->depth > 0 && t->lv[t->depth].fd == -1)
			t->depth--;
		t->downer = SIZE_MAX;
		break;
	case P_NONE:
		break;
	}
	t->pending = P_NONE;

	for (;;) {
		L = &t->lv[t->depth];
		if ((d = nextent(t, &err)) == NULL) {
			if (err != 0) {
				/* Cannot read on: leave it without TREE_POST,
				 * which would claim it was seen whole. */
				memset(e, 0, sizeof(*e));
				e->fd = e->dirfd = -1;
				e->error = err;
				t->path[L->pathlen] = '\0';
				e->path = t->path;
				e->pathlen = L->pathlen;
				e->name = t->path + L->namepos;
				e->depth = t->depth;
				if (t->depth == 0) {
					t->pending = P_NONE;
					L->eof = 1;
					L->pos = L->len = 0;
					return TREE_ERROR;
				}
				if (parent_open(t) == -1)
					return unwind(t, errno);
				e->dirfd = t->lv[t->depth - 1].fd;
				t->pending = P_POST;
				return TREE_ERROR;
			}
			return post(t);
		}
		if (d->d_name[0] == '.' && (d->d_name[1] == '\0' ||
		    (d->d_name[1] == '.' && d->d_name[2] == '\0')))
			continue;
		memset(e, 0, sizeof(*e));
		nl = strlen(d->d_name);
		if (pathset(t, d->d_name, nl) == -1)
			return -1;
		e->dirfd = L->fd;
		e->fd = -1;
		e->depth = t->depth + 1;
		e->dtype = d->d_type;
		if (d->d_type != DT_DIR && d->d_type != DT_UNKNOWN)
			return TREE_FILE;
		if (xstat(t, L->fd, e->name, &st, &id) == -1) {
			if (errno == ENOENT)
				continue;
			e->error = errno;
			return TREE_ERROR;
		}
		if (!S_ISDIR(st.st_mode)) {
			e->st = st;
			e->mnt = id.mnt;
			e->havestat = 1;
			return TREE_FILE;
		}
		if ((ev = enter(t, &st, &id)) != 0)
			return ev;
	}
}

void
tree_skip(struct tree *t)
{
	if (t->pending != P_DIR)
		return;
	pop(t);
	t->pending = P_NONE;
}

int
tree_stat(struct tree *t, struct tree_entry *e)
{
	struct ident id;

	if (e->havestat)
		return 0;
	if (xstat(t, e->dirfd, e->name, &e->st, &id) == -1)
		return -1;
	e->mnt = id.mnt;
	e->havestat = 1;
	return 0;
}
