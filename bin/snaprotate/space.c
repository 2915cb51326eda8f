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
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* An inode with several links as one snapshot's walk met it. */
struct rec {
	dev_t		 dev;
	ino_t		 ino;
	unsigned long long bytes;
	unsigned long	 nlink;
};

/* What one snapshot takes, gathered by one thread. */
struct gather {
	unsigned long long own;
	struct rec	*r;		/* inodes with several links */
	size_t		 nr, cap;
	int		 err;		/* errno of a failed walk */
	int		 incomplete;	/* no manifest */
};

#define MAXTHREADS	8

struct job {
	int		 dirfd;
	int		 manifests;
	int		 check;
	const struct snap *s;
	struct gather	*g;
	size_t		 n;
	size_t		 nthr;
};

struct worker {
	struct job	*j;
	size_t		 k;
};

static size_t
hash(dev_t dev, ino_t ino, size_t nslot)
{
	uint64_t d = (uint64_t)dev, h;

	h = ((uint64_t)ino ^ (d << 40 | d >> 24)) *
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

/* The index of the inode of r, added if new. */
static int
lookup(struct space *sp, const struct rec *r, size_t *idx)
{
	struct inode *in;
	size_t h;

	if (2 * (sp->nin + 1) > sp->nslot && grow(sp) == -1)
		return -1;
	for (h = hash(r->dev, r->ino, sp->nslot); sp->slot[h] != 0;
	    h = (h + 1) & (sp->nslot - 1)) {
		in = &sp->in[sp->slot[h] - 1];
		if (in->dev == r->dev && in->ino == r->ino) {
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
	in->dev = r->dev;
	in->ino = r->ino;
	in->bytes = r->bytes;
	in->nlink = r->nlink;
	sp->total += in->bytes;
	sp->slot[h] = ++sp->nin;
	*idx = sp->nin - 1;
	return 0;
}

/* Count one entry into g. */
static int
add(struct gather *g, const struct stat *st)
{
	unsigned long long b = (unsigned long long)st->st_blocks * 512;
	struct rec *r;

	if (S_ISDIR(st->st_mode) || st->st_nlink <= 1) {
		g->own += b;
		return 0;
	}
	if (g->nr == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 8;

		if ((r = reallocarray(g->r, cap, sizeof(*r))) == NULL)
			return -1;
		g->r = r;
		g->cap = cap;
	}
	r = &g->r[g->nr++];
	r->dev = st->st_dev;
	r->ino = st->st_ino;
	r->bytes = b;
	r->nlink = st->st_nlink;
	return 0;
}

static int
count_cb(enum walk_event ev, const struct walk_entry *e, void *arg)
{
	if (ev == WALK_DIR_PRE || ev == WALK_OTHER)
		return add(arg, &e->st);
	return 0;
}

/* Count name (relative to dirfd) into g; a name that vanished counts
 * nothing. */
static int
count(int dirfd, const char *name, struct gather *g)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return add(g, &st);
	return walk_tree(dirfd, name, WALK_XDEV, count_cb, g);
}

/* Gather what snapshot s takes into g: its manifest first (when asked,
 * its absence marks the snapshot incomplete and nothing is counted). */
static void
gather(const struct job *j, const struct snap *s, struct gather *g)
{
	char man[NAME_MAX + 1];
	struct stat st;

	if (j->manifests) {
		if (snapdir_manifest(man, s->name) == -1) {
			g->err = errno;
			return;
		}
		if (j->check) {
			if (fstatat(j->dirfd, man, &st,
			    AT_SYMLINK_NOFOLLOW) == -1 ||
			    !S_ISREG(st.st_mode)) {
				g->incomplete = 1;
				return;
			}
			if (add(g, &st) == -1) {
				g->err = errno;
				return;
			}
		} else if (count(j->dirfd, man, g) == -1) {
			g->err = errno;
			return;
		}
	}
	if (count(j->dirfd, s->name, g) == -1)
		g->err = errno;
}

/* A thread's share: snapshots k, k + nthr, k + 2 nthr, ... */
static void *
worker(void *arg)
{
	struct worker *w = arg;
	size_t i;

	for (i = w->k; i < w->j->n; i += w->j->nthr)
		gather(w->j, &w->j->s[i], &w->j->g[i]);
	return NULL;
}

/*
 * Each snapshot is walked on its own, in several threads (a directory of
 * many file snapshots spends its time in fstatat); then, in order, the
 * inodes with several links are merged.
 */
struct space *
space_count(int dirfd, struct snap *s, size_t n, int manifests, int check,
    int strict)
{
	struct worker w[MAXTHREADS];
	pthread_t tid[MAXTHREADS];
	pthread_attr_t attr;
	struct space *sp = NULL;
	struct gather *g;
	struct job j;
	size_t i, k, idx, started;
	long cpus;

	if ((g = calloc(n ? n : 1, sizeof(*g))) == NULL)
		goto nomem;
	j.dirfd = dirfd;
	j.manifests = manifests;
	j.check = check;
	j.s = s;
	j.g = g;
	j.n = n;
	/* Twice the processors: a lookup waits for a directory block now
	 * and then, and another thread can use the processor meanwhile. */
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	j.nthr = n < 256 || cpus < 1 ? 1 : 2 * cpus > MAXTHREADS ?
	    MAXTHREADS : 2 * (size_t)cpus;
	started = 0;
	if (j.nthr > 1 && pthread_attr_init(&attr) == 0) {
		pthread_attr_setstacksize(&attr, 1 << 20);
		for (k = 1; k < j.nthr; k++) {
			w[k].j = &j;
			w[k].k = k;
			if (pthread_create(&tid[k], &attr, worker, &w[k]) != 0)
				break;
			started++;
		}
		pthread_attr_destroy(&attr);
	}
	/* This thread takes share 0 and the shares of threads that did
	 * not start. */
	for (i = 0; i < n; i++)
		if (i % j.nthr == 0 || i % j.nthr > started)
			gather(&j, &s[i], &g[i]);
	for (k = 1; k <= started; k++)
		pthread_join(tid[k], NULL);

	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		if (g[i].incomplete) {
			s[i].flags |= S_INCOMPLETE;
			continue;
		}
		if (g[i].err == ENOMEM)
			goto nomem;
		if (g[i].err != 0) {
			errno = g[i].err;
			warn("%s/%s", opt.dir, s[i].name);
			if (strict) {
				warnx("%s: cannot tell the snapshots' sizes; "
				    "nothing removed", opt.dir);
				goto fail;
			}
		}
		s[i].own = g[i].own;
		sp->total += g[i].own;
		if (g[i].nr == 0)
			continue;
		if ((s[i].shared = reallocarray(NULL, g[i].nr,
		    sizeof(*s[i].shared))) == NULL)
			goto nomem;
		for (k = 0; k < g[i].nr; k++) {
			if (lookup(sp, &g[i].r[k], &idx) == -1)
				goto nomem;
			/* (lookup() has made sp->in.) */
			/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
			sp->in[idx].refs++;
			s[i].shared[s[i].nshared++] = idx;
		}
		free(g[i].r);
		g[i].r = NULL;
	}
	free(g);
	sp->kept = sp->total;
	return sp;
nomem:
	warn("%s", opt.dir);
fail:
	if (g != NULL)
		for (i = 0; i < n; i++)
			free(g[i].r);
	free(g);
	space_free(sp);
	return NULL;
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
