/* space.c - snaprotate: what the snapshots take and what removing them
 * frees, each inode counted once; --max-size and --min-free. */
/* SPDX-License-Identifier: ISC */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/snapdir.h"
#include "lib/walk.h"
#include "bin/snaprotate/snaprotate.h"

/*
 * An inode with more than one link: tree snapshots share unchanged files
 * as hard links.  Directories and files with a single link belong to one
 * snapshot and are only added up (struct snap's own).
 */
struct inode {
	dev_t		 dev;
	ino_t		 ino;
	unsigned long long bytes;	/* st_blocks * 512 */
	unsigned long	 nlink;		/* links anywhere */
	unsigned long	 refs;		/* links met in the snapshots */
	unsigned long	 rrefs;		/* of those, in snapshots removed */
};

struct space {
	struct inode	*in;
	size_t		 nin, capin;
	size_t		*slot;		/* hash of in: index + 1, 0 free */
	size_t		 nslot;
	unsigned long long total;	/* all snapshots, each inode once */
	unsigned long long kept;	/* those not removed */
	unsigned long long freed;	/* by the removals so far */
};

struct counter {
	struct space	*sp;
	struct snap	*s;
};

static size_t
hash(dev_t dev, ino_t ino, size_t nslot)
{
	uint64_t h = ((uint64_t)ino ^ ((uint64_t)dev << 40 | (uint64_t)dev >> 24)) *
	    UINT64_C(0x9e3779b97f4a7c15);

	return (size_t)(h >> 17) & (nslot - 1);
}

static int
grow(struct space *sp)
{
	size_t *slot, n = sp->nslot ? sp->nslot * 2 : 1024, i, h;

	if ((slot = calloc(n, sizeof(*slot))) == NULL)
		return -1;
	for (i = 0; i < sp->nin; i++) {
		for (h = hash(sp->in[i].dev, sp->in[i].ino, n); slot[h] != 0;
		    h = (h + 1) & (n - 1))
			;
		slot[h] = i + 1;
	}
	free(sp->slot);
	sp->slot = slot;
	sp->nslot = n;
	return 0;
}

/* The index of st's inode, added if new. */
static int
lookup(struct space *sp, const struct stat *st, size_t *idx)
{
	struct inode *in;
	size_t h;

	if (2 * (sp->nin + 1) > sp->nslot && grow(sp) == -1)
		return -1;
	for (h = hash(st->st_dev, st->st_ino, sp->nslot); sp->slot[h] != 0;
	    h = (h + 1) & (sp->nslot - 1)) {
		in = &sp->in[sp->slot[h] - 1];
		if (in->dev == st->st_dev && in->ino == st->st_ino) {
			*idx = sp->slot[h] - 1;
			return 0;
		}
	}
	if (sp->nin == sp->capin) {
		size_t cap = sp->capin ? sp->capin * 2 : 1024;

		if ((in = reallocarray(sp->in, cap, sizeof(*in))) == NULL)
			return -1;
		sp->in = in;
		sp->capin = cap;
	}
	in = &sp->in[sp->nin];
	memset(in, 0, sizeof(*in));
	in->dev = st->st_dev;
	in->ino = st->st_ino;
	in->bytes = (unsigned long long)st->st_blocks * 512;
	in->nlink = st->st_nlink;
	sp->total += in->bytes;
	sp->slot[h] = ++sp->nin;
	*idx = sp->nin - 1;
	return 0;
}

/* Count one entry of snapshot c->s. */
static int
add(struct counter *c, const struct stat *st)
{
	unsigned long long b = (unsigned long long)st->st_blocks * 512;
	struct snap *s = c->s;
	size_t idx, *v;

	if (S_ISDIR(st->st_mode) || st->st_nlink <= 1) {
		s->own += b;
		c->sp->total += b;
		return 0;
	}
	if (lookup(c->sp, st, &idx) == -1)
		return -1;
	c->sp->in[idx].refs++;
	/* Grown in powers of two from 8. */
	if (s->nshared >= 8 && (s->nshared & (s->nshared - 1)) == 0) {
		if ((v = reallocarray(s->shared, s->nshared * 2,
		    sizeof(*v))) == NULL)
			return -1;
		s->shared = v;
	} else if (s->shared == NULL &&
	    (s->shared = calloc(8, sizeof(*s->shared))) == NULL)
		return -1;
	s->shared[s->nshared++] = idx;
	return 0;
}

static int
count_cb(enum walk_event ev, const struct walk_entry *e, void *arg)
{
	if (ev == WALK_DIR_PRE || ev == WALK_OTHER)
		return add(arg, &e->st);
	return 0;
}

/* Count name (relative to dirfd) into c->s; a name that vanished counts
 * nothing. */
static int
count(int dirfd, const char *name, struct counter *c)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return add(c, &st);
	return walk_tree(dirfd, name, WALK_XDEV, count_cb, c);
}

struct space *
space_count(int dirfd, struct snap *s, size_t n, int manifests, int strict)
{
	char man[NAME_MAX + 1];
	struct counter c;
	struct space *sp;
	size_t i;

	if ((sp = calloc(1, sizeof(*sp))) == NULL) {
		warn("%s", opt.dir);
		return NULL;
	}
	c.sp = sp;
	for (i = 0; i < n; i++) {
		c.s = &s[i];
		if (count(dirfd, s[i].name, &c) == -1 ||
		    (manifests && (snapdir_manifest(man, s[i].name) == -1 ||
		    count(dirfd, man, &c) == -1))) {
			if (errno == ENOMEM) {
				warn("%s", opt.dir);
				space_free(sp);
				return NULL;
			}
			warn("%s/%s", opt.dir, s[i].name);
			if (strict) {
				warnx("%s: cannot tell the snapshots' sizes; "
				    "nothing removed", opt.dir);
				space_free(sp);
				return NULL;
			}
		}
	}
	sp->kept = sp->total;
	return sp;
}

/* Account for the removal of s: what stops being counted, what is freed
 * (inodes whose every link lies in removed snapshots). */
static unsigned long long
take(struct space *sp, const struct snap *s)
{
	unsigned long long freed = s->own;
	struct inode *in;
	size_t i;

	sp->kept -= s->own;
	for (i = 0; i < s->nshared; i++) {
		in = &sp->in[s->shared[i]];
		if (++in->rrefs == in->refs)
			sp->kept -= in->bytes;
		if (in->rrefs == in->nlink)
			freed += in->bytes;
	}
	sp->freed += freed;
	return freed;
}

int
space_limit(struct space *sp, int dirfd, struct snap *s, size_t n)
{
	unsigned long long avail = 0, want = 0, all;
	struct statvfs vfs;
	size_t i, next = 0;

	for (i = 0; i < sp->nin; i++)
		sp->in[i].rrefs = 0;
	sp->kept = sp->total;
	sp->freed = 0;
	for (i = 0; i < n; i++)
		if (!KEPT(&s[i]))
			take(sp, &s[i]);
	if (opt.minfreearg != NULL) {
		if (fstatvfs(dirfd, &vfs) == -1) {
			warn("%s", opt.dir);
			return -1;
		}
		avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
		all = (unsigned long long)vfs.f_blocks * vfs.f_frsize;
		want = opt.minfreepct ? all / 100 * opt.minfree +
		    all % 100 * opt.minfree / 100 : opt.minfree;
	}
	/* The oldest the rules kept go first, one at a time. */
	while ((opt.maxsizearg != NULL && sp->kept > opt.maxsize) ||
	    (opt.minfreearg != NULL && avail + sp->freed < want)) {
		while (next < n && (!KEPT(&s[next]) || PROTECTED(&s[next])))
			next++;
		if (next == n)
			break;
		s[next].flags |= S_REMOVE;
		take(sp, &s[next]);
	}
	if (opt.maxsizearg != NULL && sp->kept > opt.maxsize) {
		warnx("%s: cannot meet --max-size %s: the protected "
		    "snapshots alone take %llu bytes", opt.dir, opt.maxsizearg,
		    sp->kept);
		return 1;
	}
	if (opt.minfreearg != NULL && avail + sp->freed < want) {
		warnx("%s: cannot meet --min-free %s: %llu bytes free "
		    "after removing all but the protected snapshots, want %llu",
		    opt.dir, opt.minfreearg, avail + sp->freed, want);
		return 1;
	}
	return 0;
}

unsigned long long
space_freed(struct space *sp, struct snap *s, size_t n)
{
	size_t i;

	for (i = 0; i < sp->nin; i++)
		sp->in[i].rrefs = 0;
	sp->kept = sp->total;
	sp->freed = 0;
	for (i = 0; i < n; i++)
		s[i].freed = KEPT(&s[i]) ? 0 : take(sp, &s[i]);
	return sp->freed;
}

void
space_free(struct space *sp)
{
	if (sp == NULL)
		return;
	free(sp->in);
	free(sp->slot);
	free(sp);
}
