/* files.c - retain: walk a directory and delete or archive what its
 * rules say is too old, exactly what was judged and nothing else. */
/* SPDX-License-Identifier: ISC */

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/mountinfo.h"
#include "lib/quarantine.h"
#include "lib/stamp.h"
#include "lib/time.h"
#include "lib/tree.h"
#include "bin/retain/retain.h"

/* A filesystem (a mount) met during the walk, and its quarantine, made
 * in its top directory when the first entry on it is removed. */
struct mnt {
	uint64_t		id;
	dev_t			dev;
	int			rootfd;		/* its top directory */
	size_t			depth;		/* of that directory */
	size_t			prefix;		/* path bytes up to it, '/'
						   included; 0 at the DIR */
	const char		*rootpath;	/* for messages */
	struct quarantine	q;
};

/* Per directory level: entries seen and entries this run removed, so
 * that --prune-dirs removes only what this run left empty. */
struct count {
	unsigned long long	seen, removed;
};

struct walk {
	struct run	*r;
	struct target	*tg;
	struct tree	*t;
	struct mnt	*m;
	size_t		 nm, capm;
	struct count	*c;
	size_t		 capc;
};

/* The rule deciding about e, or NULL: the first one whose pattern
 * matches the name (or, with a '/', the path below DIR). */
static struct rule *
match(const struct target *tg, const struct tree_entry *e)
{
	struct rule *ru;
	size_t i;

	for (i = 0; i < tg->nrules; i++) {
		ru = tg->rules[i];
		if (ru->pathpat ? fnmatch(ru->pattern, e->path,
		    FNM_PATHNAME) == 0 : fnmatch(ru->pattern, e->name, 0) == 0)
			return ru;
	}
	return NULL;
}

static struct count *
count_at(struct walk *w, size_t depth)
{
	size_t ncap;

	if (depth >= w->capc) {
		ncap = w->capc ? w->capc * 2 : 64;
		while (ncap <= depth)
			ncap *= 2;
		w->c = xreallocarray(w->c, ncap, sizeof(*w->c));
		memset(w->c + w->capc, 0, (ncap - w->capc) * sizeof(*w->c));
		w->capc = ncap;
	}
	return &w->c[depth];
}

static void
mnt_push(struct walk *w, uint64_t id, dev_t dev, int rootfd, size_t depth,
    size_t prefix, const char *rootpath)
{
	struct mnt *m;

	if (w->nm == w->capm) {
		w->capm = w->capm ? w->capm * 2 : 4;
		w->m = xreallocarray(w->m, w->capm, sizeof(*w->m));
	}
	m = &w->m[w->nm++];
	memset(m, 0, sizeof(*m));
	m->id = id;
	m->dev = dev;
	m->rootfd = rootfd;
	m->depth = depth;
	m->prefix = prefix;
	m->rootpath = xstrdup(rootpath);
	m->q.fd = -1;
}

/* The quarantine of the mount now walked; 0, or -1 reported. */
static int
mnt_quarantine(struct walk *w, struct mnt *m, const char *rel)
{
	struct stat st;

	if (m->q.fd != -1)
		return 0;
	if (quarantine_create(&m->q, m->rootfd, QPREFIX) == -1) {
		warnp(w->tg->dir, rel, "cannot make a quarantine in %s: %s; "
		    "kept", *m->rootpath ? m->rootpath : ".", strerror(errno));
		w->r->status = EXIT_FAIL;
		return -1;
	}
	if (fstat(m->q.fd, &st) == 0)
		skip_add(w->r, &st);
	return 0;
}

static void	mnt_pop(struct walk *);

/* Leave the mounts below the directory at depth: a walk that gave up on
 * a directory (TREE_ERROR) has no TREE_POST for it. */
static void
mnt_sync(struct walk *w, size_t depth)
{
	while (w->nm > 1 && w->m[w->nm - 1].depth > depth)
		mnt_pop(w);
}

static void
mnt_pop(struct walk *w)
{
	struct mnt *m = &w->m[--w->nm];
	char qrel[PATH_MAX];

	if (m->q.fd != -1) {
		snprintf(qrel, sizeof(qrel), "%s%s%s", m->rootpath,
		    *m->rootpath ? "/" : "", m->q.name);
		if (quarantine_close(&m->q) == -1) {
			warnp(w->tg->dir, qrel, "entries that could not be put "
			    "back are kept in it");
			w->r->status = EXIT_FAIL;
		}
	}
	if (m->depth > 0)
		close(m->rootfd);
	free((char *)m->rootpath);
}

/* What a quarantine_take or quarantine_remove result other than 0 means
 * for the user; the entry is kept either way. */
static void
kept(struct walk *w, const struct mnt *m, const char *rel, int res,
    const char *slot)
{
	if (res == -1 && errno == ENOENT)
		return;		/* vanished meanwhile: nothing to do */
	w->r->status = EXIT_FAIL;
	if (res == 1)
		warnp(w->tg->dir, rel, "changed since it was judged; kept");
	else if (res == 2 || slot[0] != '\0')
		warnp(w->tg->dir, rel, "changed since it was judged and its "
		    "name was taken again; kept as %s%s%s/%s",
		    m->rootpath, *m->rootpath ? "/" : "", m->q.name, slot);
	else
		warnp(w->tg->dir, rel, "%s", strerror(errno));
}

/*
 * Check that no other process holds an flock on the regular file e (as
 * systemd-tmpfiles does); the descriptor, holding our own lock until the
 * entry is dealt with, goes to *lfd.  0 to go on, 1 to leave it alone,
 * 2 when it vanished.
 */
static int
unlocked(struct walk *w, const struct tree_entry *e, int *lfd)
{
	int fd;

	*lfd = -1;
	if (!S_ISREG(e->st.st_mode))
		return 0;
	fd = openat(e->dirfd, e->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC);
	if (fd == -1)
		/* Cannot be opened (no read permission): its lock cannot
		 * be tested; go on. */
		return errno == ENOENT ? 2 : 0;
	/* If the name was replaced since it was judged, this tests the
	 * new file's lock: the quarantine finds the change and keeps it. */
	if (flock(fd, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK) {
		close(fd);
		notep(w->tg->dir, e->path, "locked by another process; kept");
		return 1;
	}
	*lfd = fd;
	return 0;
}

/* A non-directory entry: judge it, and act. */
static void
file(struct walk *w, struct tree_entry *e)
{
	struct count *pc = count_at(w, e->depth - 1);
	char slot[NAME_MAX + 1], when[TIME_RFC3339LEN];
	struct rule *ru;
	struct mnt *m;
	time_t t;
	int lfd, res;

	mnt_sync(w, e->depth - 1);
	m = &w->m[w->nm - 1];
	pc->seen++;
	if ((ru = match(w->tg, e)) == NULL)
		return;
	if (tree_stat(w->t, e) == -1) {
		if (errno == ENOENT) {
			pc->seen--;
			return;
		}
		warnp(w->tg->dir, e->path, "%s", strerror(errno));
		w->r->status = EXIT_FAIL;
		return;
	}
	if (S_ISDIR(e->st.st_mode))
		return;		/* became a directory since it was read */
	if (e->mnt != 0 && m->id != 0 && e->mnt != m->id) {
		notep(w->tg->dir, e->path, "a mount point; left alone");
		return;
	}
	if (ru->by == BY_NAME) {
		if (stamp_find(e->name, strlen(e->name), &t) == -1) {
			notep(w->tg->dir, e->path, "no timestamp in its name; "
			    "kept");
			return;
		}
	} else
		t = e->st.st_mtim.tv_sec;
	if (t > opt.now) {
		if (time_rfc3339(t, -1, when) == -1)
			snprintf(when, sizeof(when), "@%lld", (long long)t);
		warnp(w->tg->dir, e->path, "%s in the future (%s); kept",
		    ru->by == BY_NAME ? "its name is dated" : "modified",
		    when);
		return;
	}
	if (t >= ru->cutoff)
		return;
	if ((res = unlocked(w, e, &lfd)) != 0) {
		if (res == 2)
			pc->seen--;
		return;
	}
	if (opt.dry) {
		action_line(w->tg, e->path, ru->action == A_ARCHIVE ? ru :
		    NULL);
		pc->removed++;
		goto done;
	}
	if (mnt_quarantine(w, m, e->path) == -1)
		goto done;
	if (ru->action == A_ARCHIVE) {
		res = archive_entry(w->r, w->tg, ru, &m->q, e,
		    e->path + m->prefix);
		if (res == 0)
			pc->removed++;
		else if (res == -1)
			pc->seen--;
		goto done;
	}
	res = quarantine_take(&m->q, e->dirfd, e->name, e->path + m->prefix,
	    &e->st, QUARANTINE_MTIME, slot);
	if (res == 0) {
		/* Nobody can reach it by name now: our lock can go, before
		 * the unlink (which would otherwise leave an orphan inode). */
		if (lfd != -1) {
			close(lfd);
			lfd = -1;
		}
		res = quarantine_drop(&m->q, slot, e->dirfd, e->name, 0);
	} else if (res != 2)
		slot[0] = '\0';
	if (res == 0) {
		pc->removed++;
		if (opt.verbose)
			action_line(w->tg, e->path, NULL);
		audit_change(w->r, "delete", w->tg->absdir, e->path, NULL,
		    NULL);
	} else if (res == -1 && errno == ENOENT)
		pc->seen--;
	else
		kept(w, m, e->path, res, slot);
done:
	if (lfd != -1)
		close(lfd);
}

/* What a killed run left in a quarantine is put back where it came
 * from (reported as it is), to be judged by the next run. */
struct leftover {
	struct walk	*w;
	const char	*qrel;		/* the quarantine's path below DIR */
	const char	*parent;	/* its parent's path below DIR */
};

static void
restored(const char *origin, const char *slot, int error, void *arg)
{
	struct leftover *lo = arg;
	char *rel;
	size_t n;

	if (origin == NULL) {
		warnp(lo->w->tg->dir, lo->qrel, "%s: left by an interrupted "
		    "run, origin unknown; kept there", slot);
		return;
	}
	n = strlen(lo->parent) + strlen(origin) + 2;
	if ((rel = malloc(n)) == NULL)
		err(EXIT_FAIL, "out of memory");
	snprintf(rel, n, "%s%s%s", lo->parent, *lo->parent ? "/" : "", origin);
	if (error != 0)
		warnp(lo->w->tg->dir, lo->qrel, "%s: left by an interrupted "
		    "run; cannot be put back as %s: %s", slot, rel,
		    strerror(error));
	else {
		warnp(lo->w->tg->dir, rel, "put back from %s, where an "
		    "interrupted run left it", lo->qrel);
		audit_change(lo->w->r, "restore", lo->w->tg->absdir, rel,
		    NULL, NULL);
	}
	free(rel);
}

static void
leftover(struct walk *w, const struct tree_entry *e)
{
	struct leftover lo;
	char *parent;
	long left;

	if (opt.dry) {
		notep(w->tg->dir, e->path, "left by an interrupted run; a run "
		    "without -n puts back what it holds");
		return;
	}
	parent = xstrdup(e->path);
	parent[e->pathlen - strlen(e->name)] = '\0';
	if (*parent != '\0')
		parent[strlen(parent) - 1] = '\0';
	lo.w = w;
	lo.qrel = e->path;
	lo.parent = parent;
	left = quarantine_recover(e->dirfd, e->name, restored, &lo);
	if (left == -1 && errno == EPERM)
		notep(w->tg->dir, e->path, "named like a quarantine, but not "
		    "one of retain's (owner or mode); left alone");
	else if (left == -1) {
		warnp(w->tg->dir, e->path, "%s", strerror(errno));
		w->r->status = EXIT_FAIL;
	} else if (left > 0) {
		warnp(w->tg->dir, e->path, "what an interrupted run left "
		    "could not all be put back (%ld remain); see inside",
		    left);
		w->r->status = EXIT_FAIL;
	}
	free(parent);
}

/* Whether st is the archive of one of tg's rules: not walked there,
 * or what was archived would be archived again. */
static int
is_archive(const struct target *tg, const struct stat *st)
{
	size_t i;

	for (i = 0; i < tg->nrules; i++)
		if (tg->rules[i]->action == A_ARCHIVE &&
		    tg->rules[i]->destst.st_dev == st->st_dev &&
		    tg->rules[i]->destst.st_ino == st->st_ino)
			return 1;
	return 0;
}

/* A directory, before its entries: enter it or not. */
static void
dir_pre(struct walk *w, struct tree_entry *e)
{
	mnt_sync(w, e->depth - 1);
	count_at(w, e->depth - 1)->seen++;
	if (skip_has(w->r, &e->st) || is_archive(w->tg, &e->st)) {
		tree_skip(w->t);
		return;
	}
	if (quarantine_isname(e->name, QPREFIX)) {
		tree_skip(w->t);
		leftover(w, e);
		return;
	}
	/* A directory another process holds an flock on is left alone,
	 * with everything below it, as systemd-tmpfiles does. */
	if (flock(e->fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			notep(w->tg->dir, e->path, "locked by another "
			    "process; not entered");
			tree_skip(w->t);
			return;
		}
	} else
		(void)flock(e->fd, LOCK_UN);
	if (e->mountroot) {
		int fd = fcntl(e->fd, F_DUPFD_CLOEXEC, 0);

		if (fd == -1) {
			warnp(w->tg->dir, e->path, "%s", strerror(errno));
			w->r->status = EXIT_FAIL;
			tree_skip(w->t);
			return;
		}
		mnt_push(w, e->mnt, e->st.st_dev, fd, e->depth,
		    e->pathlen + 1, e->path);
	}
	*count_at(w, e->depth) = (struct count){ 0, 0 };
}

/* A directory after its entries: with --prune-dirs, removed if this run
 * emptied it. */
static void
dir_post(struct walk *w, struct tree_entry *e)
{
	struct count *c = count_at(w, e->depth);
	struct mnt *m;
	char slot[NAME_MAX + 1];
	int res;

	mnt_sync(w, e->depth);
	if (w->nm > 1 && w->m[w->nm - 1].depth == e->depth)
		mnt_pop(w);
	if (!w->tg->prune || e->mountroot || c->removed == 0 ||
	    c->removed != c->seen)
		return;
	if (opt.dry) {
		action_line(w->tg, e->path, NULL);
		count_at(w, e->depth - 1)->removed++;
		return;
	}
	m = &w->m[w->nm - 1];
	if (mnt_quarantine(w, m, e->path) == -1)
		return;
	res = quarantine_remove(&m->q, e->dirfd, e->name, e->path + m->prefix,
	    &e->st, 0, slot);
	if (res == 0) {
		count_at(w, e->depth - 1)->removed++;
		if (opt.verbose)
			action_line(w->tg, e->path, NULL);
		audit_change(w->r, "delete", w->tg->absdir, e->path, NULL,
		    NULL);
	} else if (res == -1 && (errno == ENOTEMPTY || errno == EEXIST) &&
	    slot[0] == '\0')
		;	/* filled again meanwhile: it stays, rightly */
	else
		kept(w, m, e->path, res, slot);
}

void
files_walk(struct run *r, struct target *tg)
{
	struct tree_entry *e;
	struct walk w;
	uint64_t id;
	int ev;

	memset(&w, 0, sizeof(w));
	w.r = r;
	w.tg = tg;
	if (tree_open(&w.t, tg->fd, tg->crossfs ? TREE_CROSSFS : 0) == -1) {
		warnp(tg->dir, NULL, "%s", strerror(errno));
		r->status = EXIT_FAIL;
		return;
	}
	/* Without a mount id (old kernel), st_dev alone tells mounts. */
	if (mountinfo_id(tg->fd, &id) == -1)
		id = 0;
	mnt_push(&w, id, tg->st.st_dev, tg->fd, 0, 0, "");
	count_at(&w, 0);
	while ((ev = tree_next(w.t, &e)) > 0) {
		switch (ev) {
		case TREE_FILE:
			file(&w, e);
			break;
		case TREE_DIR:
			dir_pre(&w, e);
			break;
		case TREE_POST:
			dir_post(&w, e);
			break;
		case TREE_MOUNT:
			count_at(&w, e->depth - 1)->seen++;
			notep(tg->dir, e->path, "another filesystem; not "
			    "entered (--cross-fs enters it)");
			break;
		case TREE_ERROR:
			if (e->depth > 0)
				count_at(&w, e->depth - 1)->seen++;
			warnp(tg->dir, e->path, "%s", e->why != NULL ? e->why :
			    strerror(e->error));
			r->status = EXIT_FAIL;
			break;
		}
	}
	if (ev == -1) {
		warnp(tg->dir, NULL, "%s", strerror(errno));
		r->status = EXIT_FAIL;
	}
	while (w.nm > 0)
		mnt_pop(&w);
	tree_close(w.t);
	free(w.m);
	free(w.c);
}
