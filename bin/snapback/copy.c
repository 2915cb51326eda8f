/* copy.c - snapback's copy of a tree or a file: plan, check, copy. */
/* SPDX-License-Identifier: ISC */
#define _GNU_SOURCE

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/atomic.h"
#include "lib/hash.h"
#include "lib/manifest.h"
#include "lib/walk.h"
#include "bin/snapback/snapback.h"

#define DIRFLAGS	(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* Descriptors of the directory being filled, source and destination,
 * kept while consecutive entries share it. */
struct cursor {
	char		 dir[PATH_MAX];	/* relative path; "\1" for none */
	int		 src, dst, prev;
};

int
mkey(char *buf, size_t size, const char *name, const char *path)
{
	int n;

	if (path[0] == '\0')
		n = snprintf(buf, size, "%s", name);
	else
		n = snprintf(buf, size, "%s/%s", name, path);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
check_space(int fd, const char *where, unsigned long long need)
{
	struct statvfs sv;
	unsigned long long have;

	if (fstatvfs(fd, &sv) == -1) {
		warn("%s", where);
		return -1;
	}
	have = (unsigned long long)sv.f_bavail * sv.f_frsize;
	if (have <= need + need / 20) {
		warnx("%s: not enough space: need %llu, have %llu", where,
		    need + need / 20, have);
		return -1;
	}
	return 0;
}

/* SRCROOT/PATH for messages. */
static const char *
srcpath(const struct copier *c, const char *path, char *buf, size_t size)
{
	if (path[0] == '\0')
		snprintf(buf, size, "%s", c->srcroot);
	else
		snprintf(buf, size, "%s/%s", c->srcroot, path);
	return buf;
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size && a->st_mode == b->st_mode &&
	    a->st_uid == b->st_uid && a->st_gid == b->st_gid &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static const char *
kindname(mode_t m)
{
	if (S_ISFIFO(m))
		return "fifo";
	if (S_ISSOCK(m))
		return "socket";
	if (S_ISCHR(m))
		return "character device";
	if (S_ISBLK(m))
		return "block device";
	return "special file";
}

static struct citem *
add_item(struct copier *c, const struct walk_entry *e, enum citem_act act)
{
	struct citem *v;
	size_t cap;

	if (c->nitem == c->capitem) {
		cap = c->capitem ? c->capitem * 2 : 1024;
		if ((v = reallocarray(c->item, cap, sizeof(*v))) == NULL)
			return NULL;
		c->item = v;
		c->capitem = cap;
	}
	v = &c->item[c->nitem];
	if ((v->path = strdup(e->path)) == NULL)
		return NULL;
	v->st = e->st;
	v->act = act;
	c->nitem++;
	return v;
}

/* A regular file: to be linked when the previous snapshot has it
 * unchanged (and a hash for it), else to be copied. */
static enum citem_act
decide(struct copier *c, const struct walk_entry *e, int pfd,
    const char *pname, const unsigned char **hash)
{
	const struct manifest_entry *me;
	char key[PATH_MAX];
	struct stat pst;

	if (c->mode == RESTORE || c->refname == NULL || pfd == -1 ||
	    mkey(key, sizeof(key), c->refname, e->path) == -1 ||
	    (me = manifest_find(c->ref, key)) == NULL ||
	    fstatat(pfd, pname, &pst, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(pst.st_mode) || !same_file(&e->st, &pst))
		return C_COPY;
	*hash = me->hash;
	return C_LINK;
}

/* The first pass: note every entry and what it needs; write nothing. */
static int
plan_entry(enum walk_event ev, const struct walk_entry *e, void *arg)
{
	struct copier *c = arg;
	const unsigned char *hash = NULL;
	struct citem *it;
	enum citem_act act;
	int d = e->depth, pfd;
	const char *pname;

	if (interrupted) {
		errno = EINTR;
		return -1;
	}
	pfd = d == 0 ? (c->refname ? c->bfd : -1) : c->prev[d - 1];
	pname = d == 0 ? c->refname : e->name;
	switch (ev) {
	case WALK_DIR_PRE:
		if (e->st.st_dev == c->skipdev && e->st.st_ino == c->skipino)
			return 1;
		c->prev[d] = pfd == -1 ? -1 : openat(pfd, pname, DIRFLAGS);
		act = C_DIR;
		c->need += 4096;
		break;
	case WALK_DIR_POST:
		if (c->prev[d] != -1)
			close(c->prev[d]);
		c->prev[d] = -1;
		return 0;
	case WALK_MOUNT:
		act = C_MOUNT;
		break;
	case WALK_OTHER:
		if (S_ISREG(e->st.st_mode)) {
			act = decide(c, e, pfd, pname, &hash);
			c->files++;
			c->bytes += e->st.st_size;
			if (act == C_COPY)
				c->need += e->st.st_size;
		} else if (S_ISLNK(e->st.st_mode))
			act = C_SYMLINK;
		else
			act = geteuid() == 0 ? C_NODE : C_SKIP;
		break;
	default:
		return 0;
	}
	if (c->mode == PLAN)
		return 0;
	if ((it = add_item(c, e, act)) == NULL) {
		warn(NULL);
		c->told = 1;
		return -1;
	}
	if (hash != NULL)
		memcpy(it->hash, hash, HASH_LEN);
	return 0;
}

/*
 * Copy the regular file srcname (in srcdirfd) to a new dstname (in
 * dstdirfd) with its metadata, then hash what was written by reading it
 * back.  A source that changes while it is copied (size, mtime or inode
 * differ before and after) is copied again, RETRIES times at most.
 * Returns 0, or -1 with a message printed and nothing left at dstname.
 */
static int
copy_verified(const struct copier *c, const char *what, int srcdirfd,
    const char *srcname, const struct stat *walked, int dstdirfd,
    const char *dstname, unsigned char hash[HASH_LEN])
{
	struct stat before, after;
	uint64_t n;
	int sfd = -1, dfd = -1, try;

	for (try = 0; try <= RETRIES; try++) {
		if ((sfd = openat(srcdirfd, srcname, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1 ||
		    fstat(sfd, &before) == -1) {
			warn("%s", what);
			goto fail;
		}
		if (!S_ISREG(before.st_mode)) {
			warnx("%s: no longer a regular file", what);
			goto fail;
		}
		if ((dfd = openat(dstdirfd, dstname, O_RDWR | O_CREAT |
		    O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
			warn("%s", c->dstlabel);
			goto fail;
		}
		if (atomic_copy_data(sfd, dfd, before.st_size, NULL) == -1) {
			if (errno != ENODATA) {
				warn("%s", errno == ENOSPC || errno == EDQUOT ?
				    c->dstlabel : what);
				goto fail;
			}
		} else if (fstat(sfd, &after) == -1) {
			warn("%s", what);
			goto fail;
		} else if (after.st_size == before.st_size &&
		    after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
		    after.st_mtim.tv_nsec == before.st_mtim.tv_nsec &&
		    (try > 0 || before.st_ino == walked->st_ino))
			break;
		/* Changed while copied: start this file again. */
		close(sfd);
		close(dfd);
		sfd = dfd = -1;
		unlinkat(dstdirfd, dstname, 0);
		say("changed while copied, again:", what);
	}
	if (try > RETRIES) {
		warnx("%s: changed while being copied (%d tries); "
		    "no snapshot made", what, RETRIES + 1);
		return -1;
	}
	if (atomic_copy_meta(dfd, &before) == -1) {
		warn("%s", c->dstlabel);
		goto fail;
	}
	/* Start writing the copy to disk now, so that the disk works while
	 * the CPU hashes; the fsync below then waits for what is left. */
	if (c->syncfile)
		(void)sync_file_range(dfd, 0, 0, SYNC_FILE_RANGE_WRITE);
	if (lseek(dfd, 0, SEEK_SET) == -1 || hash_fd(dfd, hash, &n) == -1) {
		warn("%s: reading back", c->dstlabel);
		goto fail;
	}
	if (n != (uint64_t)before.st_size) {
		warnx("%s: read back %llu bytes of %llu", c->dstlabel,
		    (unsigned long long)n, (unsigned long long)before.st_size);
		goto fail;
	}
	if (c->syncfile && fsync(dfd) == -1) {
		warn("%s", c->dstlabel);
		goto fail;
	}
	close(sfd);
	close(dfd);
	return 0;
fail:
	if (sfd != -1)
		close(sfd);
	if (dfd != -1) {
		close(dfd);
		unlinkat(dstdirfd, dstname, 0);
	}
	return -1;
}

/* Make a symlink, fifo, socket or device like the source's. */
static int
make_other(const struct copier *c, const struct citem *it, int sfd,
    const char *base, int dfd, const char *what)
{
	char target[PATH_MAX + 1];
	struct timespec ts[2];
	ssize_t n;

	if (it->act == C_SYMLINK) {
		if ((n = readlinkat(sfd, base, target, sizeof(target))) == -1) {
			warn("%s", what);
			return -1;
		}
		if ((size_t)n >= sizeof(target)) {
			warnx("%s: symlink target too long", what);
			return -1;
		}
		target[n] = '\0';
		if (symlinkat(target, dfd, base) == -1) {
			warn("%s", c->dstlabel);
			return -1;
		}
	} else if (mknodat(dfd, base, it->st.st_mode & (S_IFMT | 07777),
	    it->st.st_rdev) == -1 ||
	    fchmodat(dfd, base, it->st.st_mode & 07777, 0) == -1) {
		warn("%s", c->dstlabel);
		return -1;
	}
	ts[0] = it->st.st_atim;
	ts[1] = it->st.st_mtim;
	if ((geteuid() == 0 && fchownat(dfd, base, it->st.st_uid,
	    it->st.st_gid, AT_SYMLINK_NOFOLLOW) == -1) ||
	    utimensat(dfd, base, ts, AT_SYMLINK_NOFOLLOW) == -1) {
		warn("%s", c->dstlabel);
		return -1;
	}
	return 0;
}

static void
cursor_close(struct cursor *k, const int roots[3])
{
	if (k->src != -1 && k->src != roots[0])
		close(k->src);
	if (k->dst != -1 && k->dst != roots[1])
		close(k->dst);
	if (k->prev != -1 && k->prev != roots[2])
		close(k->prev);
	k->src = k->dst = k->prev = -1;
	strcpy(k->dir, "\1");
}

/*
 * Point the cursor at directory dir (relative to the roots): the source
 * and destination must open (never through a symlink); the previous
 * snapshot's only where it exists.
 */
static int
cursor_move(struct cursor *k, const int roots[3], const char *dir,
    size_t len)
{
	if (strlen(k->dir) == len && strncmp(k->dir, dir, len) == 0)
		return 0;
	cursor_close(k, roots);
	if (len >= sizeof(k->dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(k->dir, dir, len);
	k->dir[len] = '\0';
	if (len == 0) {
		k->src = roots[0];
		k->dst = roots[1];
		k->prev = roots[2];
		return 0;
	}
	if ((k->src = walk_open(roots[0], k->dir, DIRFLAGS)) == -1 ||
	    (k->dst = walk_open(roots[1], k->dir, DIRFLAGS)) == -1)
		return -1;
	k->prev = roots[2] == -1 ? -1 : walk_open(roots[2], k->dir, DIRFLAGS);
	return 0;
}

/* Carry out one planned entry of a tree. */
static int
do_item(struct copier *c, struct citem *it, struct cursor *k,
    const int roots[3])
{
	char what[PATH_MAX + 64];
	const char *slash, *base;
	size_t len;

	srcpath(c, it->path, what, sizeof(what));
	slash = strrchr(it->path, '/');
	base = slash ? slash + 1 : it->path;
	len = slash ? (size_t)(slash - it->path) : 0;
	if (cursor_move(k, roots, it->path, len) == -1) {
		warn("%s", what);
		return -1;
	}
	switch (it->act) {
	case C_DIR:
		if (mkdirat(k->dst, base, 0700) == -1) {
			warn("%s", c->dstlabel);
			return -1;
		}
		break;
	case C_MOUNT:
		warnx("%s: another filesystem, not copied", what);
		if (mkdirat(k->dst, base, 0700) == -1) {
			warn("%s", c->dstlabel);
			return -1;
		}
		break;
	case C_LINK:
		if (k->prev != -1 && linkat(k->prev, base, k->dst, base, 0) == 0) {
			c->linked++;
			break;
		}
		/* A full link count (EMLINK, where rsync fails) or a
		 * previous snapshot changed under us: copy instead. */
		it->act = C_COPY;
		/* FALLTHROUGH */
	case C_COPY:
		if (copy_verified(c, what, k->src, base, &it->st, k->dst, base,
		    it->hash) == -1)
			return -1;
		c->copied++;
		say("copy", what);
		break;
	case C_SYMLINK:
	case C_NODE:
		return make_other(c, it, k->src, base, k->dst, what);
	case C_SKIP:
		warnx("%s: %s skipped", what, kindname(it->st.st_mode));
		break;
	}
	return 0;
}

/* In RESTORE mode: does what was copied match the manifest? */
static void
check_restored(struct copier *c)
{
	const struct manifest_entry *me;
	char key[PATH_MAX], what[PATH_MAX + 64];
	size_t i;

	for (i = 0; i < c->nitem; i++) {
		if (c->item[i].act != C_COPY)
			continue;
		srcpath(c, c->item[i].path, what, sizeof(what));
		if (mkey(key, sizeof(key), c->name, c->item[i].path) == -1 ||
		    (me = manifest_find(c->ref, key)) == NULL) {
			warnx("%s: not in the manifest", what);
			c->bad++;
		} else if (!hash_equal(me->hash, c->item[i].hash, HASH_LEN)) {
			warnx("%s: content differs from the manifest", what);
			c->bad++;
		}
	}
}

/* Directories get their modes, owners and times last, deepest first:
 * making their entries changed them, and a read-only one must stay
 * writable until it is full. */
static int
finish_dirs(struct copier *c, int droot)
{
	size_t i;
	int fd, r;

	for (i = c->nitem; i > 0; i--) {
		struct citem *it = &c->item[i - 1];

		if (it->act != C_DIR)
			continue;
		fd = it->path[0] == '\0' ? droot : walk_open(droot, it->path,
		    DIRFLAGS);
		r = fd == -1 ? -1 : atomic_copy_meta(fd, &it->st);
		if (fd != -1 && fd != droot)
			close(fd);
		if (r == -1) {
			warn("%s", c->dstlabel);
			return -1;
		}
	}
	return 0;
}

static int
copy_file_root(struct copier *c, int rootdirfd, const char *root)
{
	struct citem *it = &c->item[0];
	int pfd = c->refname ? c->bfd : -1;

	/* (An item is C_LINK only when decide() found c->refname.) */
	/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
	if (it->act == C_LINK && linkat(pfd, c->refname, c->dstdirfd,
	    c->dstname, 0) == 0) {
		c->linked++;
		return 0;
	}
	it->act = C_COPY;
	if (copy_verified(c, c->srcroot, rootdirfd, root, &it->st,
	    c->dstdirfd, c->dstname, it->hash) == -1)
		return -1;
	c->copied++;
	say("copy", c->srcroot);
	return 0;
}

static int
copy_run(struct copier *c, int rootdirfd, const char *root)
{
	struct cursor k = { "\1", -1, -1, -1 };
	int roots[3] = { -1, -1, -1 };
	struct stat st;
	size_t i;
	int r = -1;

	if (c->item[0].act != C_DIR)
		return copy_file_root(c, rootdirfd, root);
	/* The roots, checked to be what the walk saw. */
	if ((roots[0] = openat(rootdirfd, root, DIRFLAGS)) == -1 ||
	    fstat(roots[0], &st) == -1) {
		warn("%s", c->srcroot);
		goto out;
	}
	if (st.st_dev != c->item[0].st.st_dev ||
	    st.st_ino != c->item[0].st.st_ino) {
		warnx("%s: replaced while being copied", c->srcroot);
		goto out;
	}
	if (mkdirat(c->dstdirfd, c->dstname, 0700) == -1 ||
	    (roots[1] = openat(c->dstdirfd, c->dstname, DIRFLAGS)) == -1) {
		warn("%s", c->dstlabel);
		goto out;
	}
	if (c->refname != NULL)
		roots[2] = openat(c->bfd, c->refname, DIRFLAGS);
	for (i = 1; i < c->nitem; i++) {
		if (interrupted)
			goto out;
		if (do_item(c, &c->item[i], &k, roots) == -1)
			goto out;
	}
	cursor_close(&k, roots);
	r = finish_dirs(c, roots[1]);
out:
	cursor_close(&k, roots);
	for (i = 0; i < 3; i++)
		if (roots[i] != -1)
			close(roots[i]);
	return r;
}

int
copy_tree(struct copier *c, int rootdirfd, const char *root)
{
	int i, r;

	for (i = 0; i <= WALK_MAXDEPTH; i++)
		c->prev[i] = -1;
	r = walk_tree(rootdirfd, root, WALK_XDEV, plan_entry, c);
	for (i = 0; i <= WALK_MAXDEPTH; i++)
		if (c->prev[i] != -1)
			close(c->prev[i]);
	if (r == -1) {
		if (!c->told && !interrupted)
			warn("%s", c->srcroot);
		c->told = !interrupted;
		return -1;
	}
	if (c->mode == PLAN)
		return 0;
	if (c->nitem == 0) {
		warnx("%s: nothing to copy", c->srcroot);
		c->told = 1;
		return -1;
	}
	if (check_space(c->dstdirfd, c->dstlabel, c->need) == -1 ||
	    copy_run(c, rootdirfd, root) == -1) {
		c->told = !interrupted;
		return -1;
	}
	if (interrupted)
		return -1;
	if (c->mode == RESTORE)
		check_restored(c);
	return 0;
}

int
copy_manifest(const struct copier *c, struct manifest *m)
{
	char key[PATH_MAX];
	size_t i;

	for (i = 0; i < c->nitem; i++) {
		if (c->item[i].act != C_COPY && c->item[i].act != C_LINK)
			continue;
		if (mkey(key, sizeof(key), c->name, c->item[i].path) == -1 ||
		    manifest_add(m, c->item[i].hash, key) == -1)
			return -1;
	}
	return 0;
}

void
copy_free(struct copier *c)
{
	size_t i;

	for (i = 0; i < c->nitem; i++)
		free(c->item[i].path);
	free(c->item);
	c->item = NULL;
	c->nitem = c->capitem = 0;
}
