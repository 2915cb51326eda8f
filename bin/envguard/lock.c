/* lock.c - envguard lock and unlock: write permission off a tree and back,
 * with the previous modes recorded by inode beside the tree. */
/* SPDX-License-Identifier: ISC */
#define _GNU_SOURCE	/* syncfs, O_NOFOLLOW, AT_SYMLINK_NOFOLLOW */

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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
#include "lib/err.h"
#include "lib/walk.h"
#include "bin/envguard/envguard.h"

#define RECORD_TAG	"envguard-lock 1"
#define RECORD_FMT	".%s.envguard-lock"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2	452
#endif
#define FS_IOC_GETFLAGS_K	_IOR('f', 1, long)
#define FS_IOC_SETFLAGS_K	_IOW('f', 2, long)
#define FS_IMMUTABLE_FL_K	0x00000010

/* One entry of a record: an inode of the tree and what lock found. */
struct lent {
	ino_t		 ino;
	mode_t		 mode;		/* & 07777 */
	int		 immutable;	/* lock set the immutable flag */
	int		 frozen;	/* immutable before lock: left alone */
	off_t		 size;
	long long	 msec;
	long		 mnsec;
	char		*path;		/* relative to the tree, "." for it */
	size_t		 order;		/* position in the walk */
	int		 seen;		/* unlock met it */
	int		 dup;		/* another name of an earlier inode */
};

struct tree_lock {
	const char	*given;		/* the tree, as named */
	struct lent	*e;		/* in walk order */
	size_t		 n, cap;
	struct lent	**byino;	/* sorted by inode */
	ino_t		 root;
	int		 failed;
	int		 changes;	/* unlock: lines reported */
	unsigned long	 changed;	/* modes and attributes changed */
};

static int	split(const char *, char *, size_t, char *, size_t);
static int	getflags(int, int *);
static int	setimmutable(int, const char *, int);
static int	chmod_entry(const struct walk_entry *, mode_t, const char *);
static int	open_entry(const struct walk_entry *);
static void	fullpath(char *, size_t, const char *, const char *);
static struct lent *lookup(const struct tree_lock *, ino_t);
static void	index_ino(struct tree_lock *);
static void	tl_free(struct tree_lock *);
static int	collect(enum walk_event, const struct walk_entry *, void *);
static int	apply_lock(enum walk_event, const struct walk_entry *, void *);
static int	apply_unlock(enum walk_event, const struct walk_entry *,
		    void *);
static int	apply_force(enum walk_event, const struct walk_entry *,
		    void *);
static char	*format_record(const struct tree_lock *, size_t *);
static int	parse_record(struct tree_lock *, char *, const char *);
static void	report(const char *, const char *, const char *,
		    const char *);
static int	record_change(const char *, const char *, const char *,
		    const struct tree_lock *);
static int	lock_one(const char *);
static int	unlock_one(const char *);

/*
 * Split path into the directory that holds it and its last component,
 * ignoring trailing slashes.  "/", "." and ".." name no entry of a
 * directory, so cannot be locked: -1 with EINVAL.
 */
static int
split(const char *path, char *dir, size_t dsize, char *name, size_t nsize)
{
	size_t len = strlen(path), start;

	while (len > 1 && path[len - 1] == '/')
		len--;
	start = len;
	while (start > 0 && path[start - 1] != '/')
		start--;
	if (len == start || len - start >= nsize ||
	    (len - start == 1 && path[start] == '.') ||
	    (len - start == 2 && path[start] == '.' && path[start + 1] == '.')) {
		errno = len - start >= nsize ? ENAMETOOLONG : EINVAL;
		return -1;
	}
	memcpy(name, path + start, len - start);
	name[len - start] = '\0';
	if (start == 0)
		strcpy(dir, ".");
	else if (start == 1)
		strcpy(dir, "/");
	else if (start - 1 >= dsize) {
		errno = ENAMETOOLONG;
		return -1;
	} else {
		memcpy(dir, path, start - 1);
		dir[start - 1] = '\0';
	}
	return 0;
}

static int
getflags(int fd, int *flags)
{
	return ioctl(fd, FS_IOC_GETFLAGS_K, flags);
}

/* Set (on) or clear the immutable attribute of the file open at fd. */
static int
setimmutable(int fd, const char *path, int on)
{
	int flags;

	if (getflags(fd, &flags) == -1) {
		warn("%s: reading the attributes", path);
		return -1;
	}
	if (!!(flags & FS_IMMUTABLE_FL_K) == on)
		return 0;
	if (on)
		flags |= FS_IMMUTABLE_FL_K;
	else
		flags &= ~FS_IMMUTABLE_FL_K;
	say(on ? "chattr +i" : "chattr -i", path);
	if (opt.dry)
		return 0;
	if (ioctl(fd, FS_IOC_SETFLAGS_K, &flags) == -1) {
		warn("%s: %s the immutable attribute", path,
		    on ? "setting" : "clearing");
		return -1;
	}
	return 0;
}

/* Open a regular file or directory of the walk for its attributes, never
 * following a symlink; -1 for anything else. */
static int
open_entry(const struct walk_entry *e)
{
	struct stat st;
	int fd;

	if (e->fd != -1)
		return dup(e->fd);
	if (!S_ISREG(e->st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	fd = openat(e->dirfd, e->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || st.st_ino != e->st.st_ino ||
	    st.st_dev != e->st.st_dev) {
		close(fd);
		errno = ESTALE;
		return -1;
	}
	return fd;
}

/* chmod an entry of the walk, never following a symlink. */
static int
chmod_entry(const struct walk_entry *e, mode_t mode, const char *path)
{
	char word[16];
	int fd, rc;

	snprintf(word, sizeof(word), "chmod %04o", (unsigned)mode);
	say(word, path);
	if (opt.dry)
		return 0;
	if (e->fd != -1)
		rc = fchmod(e->fd, mode);
	else if ((rc = syscall(SYS_fchmodat2, e->dirfd, e->name, mode,
	    AT_SYMLINK_NOFOLLOW)) == -1 && (errno == ENOSYS ||
	    errno == EINVAL)) {
		/* Before Linux 6.6: through a descriptor, or /proc. */
		if ((fd = open_entry(e)) != -1) {
			rc = fchmod(fd, mode);
			close(fd);
		} else
			rc = fchmodat(e->dirfd, e->name, mode,
			    AT_SYMLINK_NOFOLLOW);
	}
	if (rc == -1)
		warn("%s: chmod", path);
	return rc;
}

/* The tree's name joined with a path relative to it. */
static void
fullpath(char *buf, size_t size, const char *tree, const char *rel)
{
	if (*tree == '\0')
		snprintf(buf, size, "%s", rel);
	else if (*rel == '\0' || strcmp(rel, ".") == 0)
		snprintf(buf, size, "%s", tree);
	else
		snprintf(buf, size, "%s%s%s", tree,
		    tree[strlen(tree) - 1] == '/' ? "" : "/", rel);
}

static int
cmp_ino(const void *a, const void *b)
{
	const struct lent *x = *(struct lent *const *)a;
	const struct lent *y = *(struct lent *const *)b;

	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Sort the entries by inode; a later name of the same inode (a hard
 * link within the tree) is marked dup. */
static void
index_ino(struct tree_lock *tl)
{
	size_t i;

	/* (An array of pointers: the size of a pointer is meant.) */
	/* NOLINTBEGIN(bugprone-sizeof-expression) */
	if ((tl->byino = reallocarray(NULL, tl->n + 1,
	    sizeof(*tl->byino))) == NULL)
		err(EXIT_FAIL, NULL);
	for (i = 0; i < tl->n; i++)
		tl->byino[i] = &tl->e[i];
	qsort(tl->byino, tl->n, sizeof(*tl->byino), cmp_ino);
	/* NOLINTEND(bugprone-sizeof-expression) */
	for (i = 1; i < tl->n; i++)
		if (tl->byino[i]->ino == tl->byino[i - 1]->ino)
			tl->byino[i]->dup = 1;
}

/* The first entry recorded for inode ino, or NULL. */
static struct lent *
lookup(const struct tree_lock *tl, ino_t ino)
{
	size_t lo = 0, hi = tl->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (tl->byino[mid]->ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < tl->n && tl->byino[lo]->ino == ino ? tl->byino[lo] : NULL;
}

/* lock's first walk: what is there, before anything changes. */
static int
collect(enum walk_event ev, const struct walk_entry *e, void *arg)
{
	struct tree_lock *tl = arg;
	struct lent *l;
	char path[PATH_MAX];
	int fd, flags;

	fullpath(path, sizeof(path), tl->given, e->path);
	if (ev == WALK_MOUNT) {
		warnx("%s: another filesystem: not locked", path);
		return 0;
	}
	if (ev == WALK_DIR_POST || S_ISLNK(e->st.st_mode))
		return 0;
	if (tl->n == tl->cap) {
		tl->cap = tl->cap ? tl->cap * 2 : 256;
		if ((l = reallocarray(tl->e, tl->cap, sizeof(*l))) == NULL)
			return -1;
		tl->e = l;
	}
	l = &tl->e[tl->n];
	memset(l, 0, sizeof(*l));
	l->ino = e->st.st_ino;
	l->mode = e->st.st_mode & 07777;
	l->size = e->st.st_size;
	l->msec = (long long)e->st.st_mtim.tv_sec;
	l->mnsec = e->st.st_mtim.tv_nsec;
	l->order = tl->n;
	if ((l->path = strdup(*e->path == '\0' ? "." : e->path)) == NULL)
		return -1;
	if (opt.immutable && (S_ISREG(e->st.st_mode) ||
	    S_ISDIR(e->st.st_mode))) {
		if ((fd = open_entry(e)) == -1 || getflags(fd, &flags) == -1) {
			warn("%s: reading the attributes", path);
			if (fd != -1)
				close(fd);
			return -1;
		}
		close(fd);
		l->immutable = !(flags & FS_IMMUTABLE_FL_K);
		l->frozen = !l->immutable;
	}
	tl->n++;
	return 0;
}

/* lock's second walk: write permission off, then immutable. */
static int
apply_lock(enum walk_event ev, const struct walk_entry *e, void *arg)
{
	struct tree_lock *tl = arg;
	struct lent *l;
	char path[PATH_MAX];
	mode_t want;
	int fd;

	if (ev == WALK_MOUNT || ev == WALK_DIR_PRE || S_ISLNK(e->st.st_mode))
		return 0;
	if ((l = lookup(tl, e->st.st_ino)) == NULL ||
	    strcmp(l->path, *e->path == '\0' ? "." : e->path) != 0)
		return 0;	/* new since, or a second name */
	if (l->frozen)
		return 0;
	fullpath(path, sizeof(path), tl->given, e->path);
	want = l->mode & ~(mode_t)0222;
	if ((e->st.st_mode & 07777) != want) {
		if (chmod_entry(e, want, path) == -1)
			tl->failed = 1;
		else
			tl->changed++;
	}
	if (l->immutable) {
		if ((fd = open_entry(e)) == -1) {
			warn("%s", path);
			tl->failed = 1;
		} else {
			if (setimmutable(fd, path, 1) == -1)
				tl->failed = 1;
			else
				tl->changed++;
			close(fd);
		}
	}
	return 0;
}

/* One report line of unlock on stdout: WHAT PATH [A [B]]. */
static void
report(const char *what, const char *path, const char *a, const char *b)
{
	fputs(what, stdout);
	putchar('\t');
	putesc(stdout, path);
	if (a != NULL) {
		putchar('\t');
		putesc(stdout, a);
	}
	if (b != NULL)
		printf("\t%s", b);
	putchar('\n');
}

/* unlock's walk: report what changed since lock, restore the modes. */
static int
apply_unlock(enum walk_event ev, const struct walk_entry *e, void *arg)
{
	struct tree_lock *tl = arg;
	struct lent *l;
	const char *rel = *e->path == '\0' ? "." : e->path;
	char path[PATH_MAX], old[PATH_MAX], m1[16], m2[16];
	mode_t locked, cur = e->st.st_mode & 07777;
	int fd;

	if (ev == WALK_MOUNT || ev == WALK_DIR_POST || S_ISLNK(e->st.st_mode))
		return 0;
	fullpath(path, sizeof(path), tl->given, e->path);
	if ((l = lookup(tl, e->st.st_ino)) == NULL) {
		report("new", path, NULL, NULL);
		tl->changes++;
		return 0;
	}
	if (l->seen)
		return 0;	/* a second name of the same inode */
	l->seen = 1;
	if (strcmp(l->path, rel) != 0) {
		fullpath(old, sizeof(old), tl->given, l->path);
		report("moved", path, old, NULL);
		tl->changes++;
	}
	locked = l->mode & ~(mode_t)0222;
	if (cur != locked && !l->frozen) {
		snprintf(m1, sizeof(m1), "%04o", (unsigned)locked);
		snprintf(m2, sizeof(m2), "%04o", (unsigned)cur);
		report("mode", path, m1, m2);
		tl->changes++;
	}
	if (S_ISREG(e->st.st_mode) && (e->st.st_size != l->size ||
	    (long long)e->st.st_mtim.tv_sec != l->msec ||
	    e->st.st_mtim.tv_nsec != l->mnsec)) {
		report("modified", path, NULL, NULL);
		tl->changes++;
	}
	if (l->immutable) {
		if ((fd = open_entry(e)) == -1) {
			warn("%s", path);
			tl->failed = 1;
			return 0;
		}
		if (setimmutable(fd, path, 0) == -1)
			tl->failed = 1;
		else
			tl->changed++;
		close(fd);
	}
	if (cur != l->mode && !l->frozen) {
		if (chmod_entry(e, l->mode, path) == -1)
			tl->failed = 1;
		else
			tl->changed++;
	}
	return 0;
}

/* unlock -f without a record: u+w everywhere, immutable off as root. */
static int
apply_force(enum walk_event ev, const struct walk_entry *e, void *arg)
{
	struct tree_lock *tl = arg;
	char path[PATH_MAX];
	int fd, flags;

	if (ev == WALK_MOUNT || ev == WALK_DIR_POST || S_ISLNK(e->st.st_mode))
		return 0;
	fullpath(path, sizeof(path), tl->given, e->path);
	if (geteuid() == 0 && (fd = open_entry(e)) != -1) {
		if (getflags(fd, &flags) == 0 && (flags & FS_IMMUTABLE_FL_K)) {
			if (setimmutable(fd, path, 0) == -1)
				tl->failed = 1;
			else
				tl->changed++;
		}
		close(fd);
	}
	if (!(e->st.st_mode & S_IWUSR)) {
		if (chmod_entry(e, (e->st.st_mode | S_IWUSR) & 07777,
		    path) == -1)
			tl->failed = 1;
		else
			tl->changed++;
	}
	return 0;
}

/*
 * The record (datakeep-formats(5)): a tag line, the tree's inode, then
 * one line per inode: INO MODE FLAG SIZE MTIME PATH, tab-separated, the
 * path escaped; FLAG is i where lock set the immutable attribute, I where
 * it was set already (lock and unlock leave that inode alone), else -.
 */
static char *
format_record(const struct tree_lock *tl, size_t *len)
{
	char *buf;
	FILE *fp;
	size_t i;

	if ((fp = open_memstream(&buf, len)) == NULL)
		err(EXIT_FAIL, NULL);
	fprintf(fp, "%s\nroot\t%llu\n", RECORD_TAG,
	    (unsigned long long)tl->root);
	for (i = 0; i < tl->n; i++) {
		const struct lent *l = &tl->e[i];

		if (l->dup)
			continue;
		fprintf(fp, "%llu\t%04o\t%c\t%lld\t%lld.%09ld\t",
		    (unsigned long long)l->ino, (unsigned)l->mode,
		    l->immutable ? 'i' : l->frozen ? 'I' : '-', (long long)l->size, l->msec,
		    l->mnsec);
		putesc(fp, l->path);
		putc('\n', fp);
	}
	if (fclose(fp) != 0)
		err(EXIT_FAIL, NULL);
	return buf;
}

/* Undo putesc in place; -1 for an escape it never writes. */
static int
unesc(char *s)
{
	char *d = s;

	for (; *s != '\0'; s++) {
		if (*s != '\\') {
			*d++ = *s;
			continue;
		}
		s++;
		if (*s == '\\')
			*d++ = '\\';
		else if (*s == 'n')
			*d++ = '\n';
		else if (*s == 't')
			*d++ = '\t';
		else
			return -1;
	}
	*d = '\0';
	return 0;
}

/* Parse the record in buf (NUL-terminated, modified); name for messages.
 * 0, or -1 with a message printed. */
static int
parse_record(struct tree_lock *tl, char *buf, const char *name)
{
	char *line, *f[6], *end, *s = buf;
	unsigned long long u;
	unsigned long lineno = 0;
	struct lent *l;
	int i;

	while ((line = strsep(&s, "\n")) != NULL) {
		lineno++;
		if (s == NULL && *line == '\0')
			break;		/* after the last newline */
		if (s == NULL)
			goto bad;	/* no newline: cut short */
		if (lineno == 1) {
			if (strcmp(line, RECORD_TAG) != 0)
				goto bad;
			continue;
		}
		if (lineno == 2) {
			if (strncmp(line, "root\t", 5) != 0)
				goto bad;
			errno = 0;
			u = strtoull(line + 5, &end, 10);
			if (errno != 0 || *end != '\0' || end == line + 5)
				goto bad;
			tl->root = (ino_t)u;
			continue;
		}
		for (i = 0; i < 6 && (f[i] = strsep(&line, "\t")) != NULL; i++)
			;
		if (i < 6 || line != NULL || unesc(f[5]) == -1 ||
		    *f[5] == '\0' || (strcmp(f[2], "i") != 0 &&
		    strcmp(f[2], "I") != 0 && strcmp(f[2], "-") != 0))
			goto bad;
		if (tl->n == tl->cap) {
			tl->cap = tl->cap ? tl->cap * 2 : 256;
			if ((l = reallocarray(tl->e, tl->cap, sizeof(*l))) ==
			    NULL)
				err(EXIT_FAIL, NULL);
			tl->e = l;
		}
		l = &tl->e[tl->n];
		memset(l, 0, sizeof(*l));
		errno = 0;
		l->ino = (ino_t)strtoull(f[0], &end, 10);
		if (errno != 0 || *end != '\0' || end == f[0])
			goto bad;
		u = strtoull(f[1], &end, 8);
		if (errno != 0 || *end != '\0' || end == f[1] || u > 07777)
			goto bad;
		l->mode = (mode_t)u;
		l->immutable = *f[2] == 'i';
		l->frozen = *f[2] == 'I';
		l->size = (off_t)strtoll(f[3], &end, 10);
		if (errno != 0 || *end != '\0' || end == f[3])
			goto bad;
		l->msec = strtoll(f[4], &end, 10);
		if (errno != 0 || *end != '.' || end == f[4])
			goto bad;
		l->mnsec = strtol(end + 1, &end, 10);
		if (errno != 0 || *end != '\0' || l->mnsec < 0 ||
		    l->mnsec > 999999999)
			goto bad;
		if ((l->path = strdup(f[5])) == NULL)
			err(EXIT_FAIL, NULL);
		l->order = tl->n++;
	}
	if (lineno < 3)
		goto bad;
	return 0;
bad:
	warnx("%s: line %lu: not an envguard lock record", name, lineno);
	return -1;
}

/* The audit record of one lock or unlock of a tree: its path, the
 * record's, how many modes and attributes were changed, for unlock how
 * many changes since the lock were reported, and whether all went well. */
static int
record_change(const char *type, const char *path, const char *recpath,
    const struct tree_lock *tl)
{
	char changed[32], reported[32];
	const char *result = tl->failed ? "failed" : "ok";
	const char *lockkv[] = { "path", path, "record", recpath, "changed",
	    changed, "result", result, NULL };
	const char *unlockkv[] = { "path", path, "record", recpath, "changed",
	    changed, "reported", reported, "result", result, NULL };

	snprintf(changed, sizeof(changed), "%lu", tl->changed);
	snprintf(reported, sizeof(reported), "%d", tl->changes);
	return audit_change(type, strcmp(type, "lock") == 0 ? lockkv :
	    unlockkv);
}

static int
lock_one(const char *path)
{
	struct tree_lock tl;
	struct stat st;
	char dir[PATH_MAX], name[NAME_MAX + 1], rec[NAME_MAX + 1];
	char recpath[PATH_MAX];
	char *buf;
	size_t len;
	int pfd;

	memset(&tl, 0, sizeof(tl));
	tl.given = path;
	if (split(path, dir, sizeof(dir), name, sizeof(name)) == -1 ||
	    (size_t)snprintf(rec, sizeof(rec), RECORD_FMT, name) >=
	    sizeof(rec)) {
		warn("%s", path);
		return -1;
	}
	fullpath(recpath, sizeof(recpath), strcmp(dir, ".") == 0 ? "" : dir,
	    rec);
	if ((pfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		warn("%s", dir);
		return -1;
	}
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		warn("%s", path);
		goto fail;
	}
	if (S_ISLNK(st.st_mode)) {
		warnx("%s: a symbolic link; lock what it points to", path);
		goto fail;
	}
	if (fstatat(pfd, rec, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		warnx("%s: already locked (%s exists; unlock first)", path,
		    recpath);
		goto fail;
	}
	if (errno != ENOENT) {
		warn("%s", recpath);
		goto fail;
	}
	if (walk_tree(pfd, name, WALK_XDEV, collect, &tl) == -1) {
		warn("%s", path);
		goto fail;
	}
	if (tl.n > 0)
		tl.root = tl.e[0].ino;
	index_ino(&tl);
	buf = format_record(&tl, &len);
	say("write", recpath);
	if (!opt.dry && atomic_write(pfd, rec, buf, len, 0600) == -1) {
		warn("%s", recpath);
		free(buf);
		goto fail;
	}
	free(buf);
	if (walk_tree(pfd, name, WALK_XDEV, apply_lock, &tl) == -1) {
		warn("%s", path);
		tl.failed = 1;
	}
	if (!opt.dry && syncfs(pfd) == -1) {
		warn("%s", path);
		tl.failed = 1;
	}
	if (!opt.dry && record_change("lock", path, recpath, &tl) == -1)
		tl.failed = 1;
	close(pfd);
	tl_free(&tl);
	return tl.failed ? -1 : 0;
fail:
	close(pfd);
	tl_free(&tl);
	return -1;
}

static int
unlock_one(const char *path)
{
	struct tree_lock tl;
	struct stat st;
	char dir[PATH_MAX], name[NAME_MAX + 1], rec[NAME_MAX + 1];
	char recpath[PATH_MAX], full[PATH_MAX];
	char *buf = NULL;
	size_t i, len = 0, cap = 0;
	ssize_t got;
	int pfd, fd = -1;

	memset(&tl, 0, sizeof(tl));
	tl.given = path;
	if (split(path, dir, sizeof(dir), name, sizeof(name)) == -1 ||
	    (size_t)snprintf(rec, sizeof(rec), RECORD_FMT, name) >=
	    sizeof(rec)) {
		warn("%s", path);
		return -1;
	}
	fullpath(recpath, sizeof(recpath), strcmp(dir, ".") == 0 ? "" : dir,
	    rec);
	if ((pfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		warn("%s", dir);
		return -1;
	}
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		warn("%s", path);
		goto fail;
	}
	if (S_ISLNK(st.st_mode)) {
		warnx("%s: a symbolic link; unlock what it points to", path);
		goto fail;
	}
	fd = openat(pfd, rec, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && opt.force) {
		if (walk_tree(pfd, name, WALK_XDEV, apply_force, &tl) == -1) {
			warn("%s", path);
			goto fail;
		}
		goto done;
	}
	if (fd == -1) {
		if (errno == ENOENT)
			warnx("%s: not locked by envguard (no %s; -f makes it "
			    "writable by its owner)", path, recpath);
		else
			warn("%s", recpath);
		goto fail;
	}
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			/* (err() exits: there is nothing left to free.) */
			/* cppcheck-suppress memleakOnRealloc */
			if ((buf = realloc(buf, cap)) == NULL)
				err(EXIT_FAIL, NULL);
		}
		got = read(fd, buf + len, cap - len - 1);
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1) {
			warn("%s", recpath);
			goto fail;
		}
		if (got == 0)
			break;
		len += got;
	}
	buf[len] = '\0';
	close(fd);
	fd = -1;
	if (memchr(buf, '\0', len) != NULL) {
		warnx("%s: not an envguard lock record", recpath);
		goto fail;
	}
	if (parse_record(&tl, buf, recpath) == -1)
		goto fail;
	if (tl.root != st.st_ino) {
		warnx("%s: the record is for another tree (inode %llu, not "
		    "%llu)", recpath, (unsigned long long)tl.root,
		    (unsigned long long)st.st_ino);
		goto fail;
	}
	index_ino(&tl);
	if (walk_tree(pfd, name, WALK_XDEV, apply_unlock, &tl) == -1) {
		warn("%s", path);
		goto fail;
	}
	for (i = 0; i < tl.n; i++)
		if (!tl.e[i].seen && !tl.e[i].dup) {
			fullpath(full, sizeof(full), path, tl.e[i].path);
			report("gone", full, NULL, NULL);
			tl.changes++;
		}
	if (tl.failed)
		goto fail;
	say("remove", recpath);
	if (!opt.dry && (syncfs(pfd) == -1 || unlinkat(pfd, rec, 0) == -1 ||
	    atomic_syncdir(pfd, NULL) == -1)) {
		warn("%s", recpath);
		goto fail;
	}
done:
	if (!opt.dry && record_change("unlock", path, recpath, &tl) == -1)
		tl.failed = 1;
	free(buf);
	close(pfd);
	tl_free(&tl);
	return tl.failed ? -1 : 0;
fail:
	if (!opt.dry && tl.changed > 0)
		record_change("unlock", path, recpath, &tl);
	if (fd != -1)
		close(fd);
	free(buf);
	close(pfd);
	tl_free(&tl);
	return -1;
}

/* What tl holds, freed: a tree's entries (lock and unlock run once for
 * each tree named). */
static void
tl_free(struct tree_lock *tl)
{
	size_t i;

	for (i = 0; i < tl->n; i++)
		free(tl->e[i].path);
	free(tl->e);
	free(tl->byino);
	tl->e = NULL;
	tl->byino = NULL;
	tl->n = tl->cap = 0;
}

int
cmd_lock(int argc, char **argv)
{
	int i, rc = EXIT_OK;

	if (argc < 1)
		usage();
	if (opt.dry)
		opt.verbose = 1;
	if (opt.immutable && !have_cap(CAP_LINUX_IMMUTABLE_K))
		errx(EXIT_FAIL, "-i: setting the immutable attribute needs "
		    "root (CAP_LINUX_IMMUTABLE)");
	if (!opt.dry)
		audit_start("nothing changed");
	for (i = 0; i < argc; i++)
		if (lock_one(argv[i]) == -1)
			rc = EXIT_FAIL;
	err_flush();
	return rc;
}

int
cmd_unlock(int argc, char **argv)
{
	int i, rc = EXIT_OK;

	if (argc < 1)
		usage();
	if (opt.dry)
		opt.verbose = 1;
	else
		audit_start("nothing changed");
	for (i = 0; i < argc; i++)
		if (unlock_one(argv[i]) == -1)
			rc = EXIT_FAIL;
	err_flush();
	return rc;
}
