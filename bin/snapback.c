/* snapback - timestamped, atomic, verified snapshots of a file or a tree. */
/* SPDX-License-Identifier: ISC */
#define _GNU_SOURCE

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/atomic.h"
#include "lib/conf.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/lock.h"
#include "lib/manifest.h"
#include "lib/time.h"
#include "lib/walk.h"

#define SYNOPSIS \
	"snapback create  [-nv] [-d DIR] [-w SECS] [SOURCE]\n" \
	"snapback list    [-d DIR]\n" \
	"snapback verify  [-v] [-d DIR] [NAME|latest|all]\n" \
	"snapback restore [-nv] [-d DIR] [-f] [NAME|latest] [TARGET]\n"

#define RECORD		".snapback"
#define LOCKNAME	".lock"
#define MAXWAIT		86400
#define RETRIES		3		/* copies retried when a file changes */

/* The parsed options, set once in main. */
static struct {
	const char	*dir;
	int		 dry;
	int		 verbose;
	int		 force;
	int		 wait;
} opt = { "backups", 0, 0, 0, 0 };

static volatile sig_atomic_t interrupted;

/* An open backup directory. */
struct bdir {
	int		 fd;
	int		 lockfd;
	int		 isdir;			/* the source is a tree */
	char		 source[PATH_MAX];	/* as recorded */
	char		 stem[NAME_MAX + 1];
	char		 ext[NAME_MAX + 1];
	char		 latest[NAME_MAX + 1];	/* "latest" EXT */
	char		**snap;			/* snapshot names, oldest first */
	size_t		 nsnap;
};

enum { PLAN, CREATE, RESTORE };

/* State of one copy of a tree (or of a file) by walk_tree. */
struct copier {
	int		 mode;
	int		 bfd;		/* the backup directory */
	const char	*srcroot;	/* for messages */
	const char	*name;		/* the snapshot's name in bfd */
	const char	*refname;	/* the previous snapshot, or NULL */
	struct manifest	*ref;		/* its manifest (RESTORE: the one
					   checked against) */
	struct manifest	*out;		/* CREATE: the new manifest */
	int		 dstdirfd;	/* where the root is made */
	const char	*dstname;
	const char	*dstlabel;	/* that directory, for messages */
	int		 told;		/* a failure was reported */
	dev_t		 skipdev;	/* the backup directory, never */
	ino_t		 skipino;	/* copied into itself */
	int		 syncfile;	/* fsync each file (a file snapshot) */
	int		 dst[WALK_MAXDEPTH + 1];
	int		 prev[WALK_MAXDEPTH + 1];
	unsigned long long need, files, bytes, copied, linked;
	int		 bad;		/* RESTORE: content not as listed */
};

static void	usage(void) __attribute__((noreturn));
static void	onsignal(int);
static int	cmd_create(int, char **);
static int	cmd_list(int, char **);
static int	cmd_verify(int, char **);
static int	cmd_restore(int, char **);

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*opts;
} cmds[] = {
	{ "create",	cmd_create,	":d:nvw:" },
	{ "list",	cmd_list,	":d:" },
	{ "verify",	cmd_verify,	":d:v" },
	{ "restore",	cmd_restore,	":d:fnv" },
};

static void
usage(void)
{
	err_usage(SYNOPSIS);
}

static void
onsignal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Print s with backslash, tab and newline escaped, so that a hostile name
 * stays on one line of a listing or a report. */
static void
putesc(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", fp);
		else if (*s == '\n')
			fputs("\\n", fp);
		else if (*s == '\t')
			fputs("\\t", fp);
		else
			putc(*s, fp);
	}
}

/* One line of -v output on stderr: WORD escaped-path. */
static void
say(const char *word, const char *path)
{
	if (!opt.verbose)
		return;
	fprintf(stderr, "%s ", word);
	putesc(stderr, path);
	putc('\n', stderr);
}

/* Make path absolute and tidy (no "." components, no repeated or
 * trailing slashes) without resolving symlinks. */
static int
absolute(const char *path, char *out, size_t size)
{
	char buf[PATH_MAX], cwd[PATH_MAX];
	char *p, *q, *comp;
	size_t len;

	if (*path == '\0') {
		errno = ENOENT;
		return -1;
	}
	if (*path != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return -1;
		if ((size_t)snprintf(buf, sizeof(buf), "%s/%s", cwd, path) >=
		    sizeof(buf)) {
			errno = ENAMETOOLONG;
			return -1;
		}
	} else if (strlen(path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	} else
		strcpy(buf, path);
	q = out;
	len = 0;
	for (p = buf; (comp = strsep(&p, "/")) != NULL; ) {
		if (*comp == '\0' || strcmp(comp, ".") == 0)
			continue;
		if (len + strlen(comp) + 2 > size) {
			errno = ENAMETOOLONG;
			return -1;
		}
		q[len++] = '/';
		strcpy(q + len, comp);
		len += strlen(comp);
	}
	if (len == 0)
		q[len++] = '/';
	q[len] = '\0';
	return 0;
}

/* The stem and extension of snapshot names for a source. */
static int
split_name(struct bdir *b)
{
	const char *base = strrchr(b->source, '/') + 1, *dot;
	size_t n;

	if (*base == '\0')
		base = "root";
	dot = b->isdir ? NULL : strrchr(base, '.');
	if (dot == base)
		dot = NULL;
	n = dot ? (size_t)(dot - base) : strlen(base);
	/* Room for "_YYYYmmdd_HHMMSS" and ".sha256" within NAME_MAX. */
	if (n + (dot ? strlen(dot) : 0) + 16 + 7 > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(b->stem, base, n);
	b->stem[n] = '\0';
	strcpy(b->ext, dot ? dot : "");
	if ((size_t)snprintf(b->latest, sizeof(b->latest), "latest%s",
	    b->ext) >= sizeof(b->latest)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Whether name is STEM_YYYYmmdd_HHMMSS EXT of this directory's source. */
static int
is_snapname(const struct bdir *b, const char *name)
{
	size_t sl = strlen(b->stem), el = strlen(b->ext), n = strlen(name);
	char stamp[TIME_STAMPLEN];
	time_t t;

	if (n != sl + 1 + 15 + el || strncmp(name, b->stem, sl) != 0 ||
	    name[sl] != '_' || strcmp(name + sl + 16, b->ext) != 0)
		return 0;
	memcpy(stamp, name + sl + 1, 15);
	stamp[15] = '\0';
	return time_parse_stamp(stamp, &t) == 0;
}

/* The manifest's name of snapshot name; split_name keeps it short enough
 * for buf[NAME_MAX + 1], but a hostile directory entry is checked. */
static int
manname(char *buf, const char *name)
{
	if ((size_t)snprintf(buf, NAME_MAX + 1, "%s.sha256", name) >=
	    NAME_MAX + 1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
is_complete(const struct bdir *b, const char *name)
{
	char man[NAME_MAX + 1];
	struct stat st;

	return manname(man, name) == 0 && fstatat(b->fd, man, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode);
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
free_snaps(struct bdir *b)
{
	size_t i;

	for (i = 0; i < b->nsnap; i++)
		free(b->snap[i]);
	free(b->snap);
	b->snap = NULL;
	b->nsnap = 0;
}

/* Read the directory: snapshot names into b->snap, sorted (the stamp
 * makes name order time order); with clean, remove what interrupted runs
 * left: temporaries and snapshots without a manifest. */
static int
scan(struct bdir *b, int clean)
{
	struct dirent *de;
	size_t cap = 0;
	char **v;
	DIR *d;
	int fd;

	free_snaps(b);
	if ((fd = openat(b->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (clean && atomic_istmp(de->d_name)) {
			if (opt.verbose)
				fprintf(stderr, "remove leftover %s/%s\n",
				    opt.dir, de->d_name);
			if (walk_remove(b->fd, de->d_name, WALK_XDEV) == -1 &&
			    errno != ENOENT)
				warn("%s/%s", opt.dir, de->d_name);
			continue;
		}
		if (!is_snapname(b, de->d_name))
			continue;
		if (clean && !is_complete(b, de->d_name)) {
			if (opt.verbose)
				fprintf(stderr, "remove incomplete %s/%s\n",
				    opt.dir, de->d_name);
			if (walk_remove(b->fd, de->d_name, WALK_XDEV) == -1 &&
			    errno != ENOENT)
				warn("%s/%s", opt.dir, de->d_name);
			continue;
		}
		if (b->nsnap == cap) {
			cap = cap ? cap * 2 : 64;
			if ((v = reallocarray(b->snap, cap, sizeof(*v))) == NULL)
				goto fail;
			b->snap = v;
		}
		if ((b->snap[b->nsnap] = strdup(de->d_name)) == NULL)
			goto fail;
		b->nsnap++;
	}
	if (errno != 0)
		goto fail;
	closedir(d);
	if (b->nsnap > 0)
		qsort(b->snap, b->nsnap, sizeof(*b->snap), cmpstr);
	return 0;
fail:
	closedir(d);
	return -1;
}

/* Read DIR/.snapback into b->source; 1 if there is none yet. */
static int
read_record(struct bdir *b)
{
	ssize_t n;
	int fd;

	if ((fd = openat(b->fd, RECORD, O_RDONLY | O_NOFOLLOW | O_CLOEXEC))
	    == -1)
		return errno == ENOENT ? 1 : -1;
	n = read(fd, b->source, sizeof(b->source) - 1);
	close(fd);
	if (n == -1)
		return -1;
	if (n < 3 || b->source[0] != '/' || b->source[n - 1] != '\n' ||
	    memchr(b->source, '\0', n) != NULL) {
		errno = EINVAL;
		return -1;
	}
	b->source[n - 1] = '\0';
	return 0;
}

/*
 * Open the backup directory (making it when create is set), read its
 * record, and learn the source's kind from the source itself or, when it
 * is gone, from the snapshots.  Exits on error.
 */
static void
open_bdir(struct bdir *b, int create)
{
	struct stat st;
	int r;

	memset(b, 0, sizeof(*b));
	b->lockfd = -1;
	if ((b->fd = open(opt.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		/* create makes it, once the operands are known good. */
		if (errno == ENOENT && create)
			return;
		err(EXIT_FAIL, "%s", opt.dir);
	}
	if ((r = read_record(b)) == -1)
		err(EXIT_FAIL, "%s/%s", opt.dir, RECORD);
	if (r == 1) {
		if (!create)
			errx(EXIT_FAIL, "%s: not a snapback directory "
			    "(no %s; run snapback create first)", opt.dir,
			    RECORD);
		b->source[0] = '\0';
		return;
	}
	if (stat(b->source, &st) == 0)
		b->isdir = S_ISDIR(st.st_mode);
	if (split_name(b) == -1)
		err(EXIT_FAIL, "%s", b->source);
}

/* The kind of the snapshots decides when the source is absent: look for
 * a tree among them. */
static void
kind_from_snapshots(struct bdir *b)
{
	struct stat st;
	size_t i;

	for (b->isdir = 0; b->isdir <= 1; b->isdir++) {
		if (split_name(b) == -1)
			err(EXIT_FAIL, "%s", b->source);
		if (scan(b, 0) == -1)
			err(EXIT_FAIL, "%s", opt.dir);
		for (i = 0; i < b->nsnap; i++)
			if (fstatat(b->fd, b->snap[i], &st,
			    AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISDIR(st.st_mode) == b->isdir)
				return;
	}
	b->isdir = 0;
	if (split_name(b) == -1)
		err(EXIT_FAIL, "%s", b->source);
	if (scan(b, 0) == -1)
		err(EXIT_FAIL, "%s", opt.dir);
}

static void
lock_bdir(struct bdir *b)
{
	if ((b->lockfd = lock_acquire(b->fd, LOCKNAME, opt.wait)) != -1)
		return;
	if (errno == EWOULDBLOCK) {
		warnx("%s: busy (another run holds %s/%s)", opt.dir, opt.dir,
		    LOCKNAME);
		exit(EXIT_BUSY);
	}
	err(EXIT_FAIL, "%s/%s", opt.dir, LOCKNAME);
}

/* The newest complete snapshot, or NULL. */
static const char *
newest(const struct bdir *b)
{
	size_t i;

	for (i = b->nsnap; i > 0; i--)
		if (is_complete(b, b->snap[i - 1]))
			return b->snap[i - 1];
	return NULL;
}

/* Where the latest link points, or "" when it is missing or foreign. */
static void
read_latest(const struct bdir *b, char *buf, size_t size)
{
	ssize_t n = readlinkat(b->fd, b->latest, buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (strchr(buf, '/') != NULL)
		buf[0] = '\0';
}

/* Resolve NAME|latest to a complete snapshot name; exits if none. */
static const char *
resolve(const struct bdir *b, const char *arg)
{
	static char target[NAME_MAX + 1];
	size_t i;

	if (strcmp(arg, "latest") == 0) {
		read_latest(b, target, sizeof(target));
		if (target[0] == '\0')
			errx(EXIT_FAIL, "%s/%s: no latest snapshot", opt.dir,
			    b->latest);
		arg = target;
	}
	for (i = 0; i < b->nsnap; i++)
		if (strcmp(b->snap[i], arg) == 0) {
			if (!is_complete(b, arg))
				errx(EXIT_FAIL, "%s/%s: incomplete snapshot "
				    "(no manifest)", opt.dir, arg);
			return b->snap[i];
		}
	errx(EXIT_FAIL, "%s/%s: no such snapshot", opt.dir, arg);
}

/* The path of e for messages: SRCROOT/PATH. */
static const char *
srcpath(const struct copier *c, const struct walk_entry *e, char *buf,
    size_t size)
{
	if (e->path[0] == '\0')
		snprintf(buf, size, "%s", c->srcroot);
	else
		snprintf(buf, size, "%s/%s", c->srcroot, e->path);
	return buf;
}

/* The manifest key of a path in snapshot name: NAME or NAME/PATH. */
static int
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

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size && a->st_mode == b->st_mode &&
	    a->st_uid == b->st_uid && a->st_gid == b->st_gid &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
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
				warn("%s", what);
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
	if (c->syncfile && fsync(dfd) == -1) {
		warn("%s", c->dstlabel);
		goto fail;
	}
	if (lseek(dfd, 0, SEEK_SET) == -1 || hash_fd(dfd, hash, &n) == -1) {
		warn("%s: reading back", c->dstlabel);
		goto fail;
	}
	if (n != (uint64_t)before.st_size) {
		warnx("%s: read back %llu bytes of %llu", c->dstlabel,
		    (unsigned long long)n, (unsigned long long)before.st_size);
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

/* A regular file: hard-link it from the previous snapshot when unchanged,
 * else copy it and record its hash. */
static int
copy_regular(struct copier *c, const struct walk_entry *e, int pfd,
    const char *pname, int dfd, const char *dname, const char *what)
{
	const struct manifest_entry *me = NULL;
	unsigned char hash[HASH_LEN];
	char key[PATH_MAX];
	struct stat pst;

	c->files++;
	c->bytes += e->st.st_size;
	if (c->mode == CREATE || c->mode == PLAN) {
		if (c->refname != NULL && pfd != -1 &&
		    mkey(key, sizeof(key), c->refname, e->path) == 0 &&
		    (me = manifest_find(c->ref, key)) != NULL &&
		    fstatat(pfd, pname, &pst, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(pst.st_mode) && same_file(&e->st, &pst)) {
			if (c->mode == PLAN)
				return 0;
			if (linkat(pfd, pname, dfd, dname, 0) == 0) {
				c->linked++;
				goto record;
			}
			if (errno != EMLINK) {
				warn("%s: link from %s", what, c->refname);
				return -1;
			}
			/* The link count is full: copy, as rsync cannot. */
		}
		if (c->mode == PLAN) {
			c->need += e->st.st_size;
			return 0;
		}
	}
	if (copy_verified(c, what, e->dirfd, e->name, &e->st, dfd, dname,
	    hash) == -1)
		return -1;
	c->copied++;
	say("copy", what);
	if (c->mode == RESTORE) {
		if (mkey(key, sizeof(key), c->name, e->path) == -1 ||
		    (me = manifest_find(c->ref, key)) == NULL) {
			warnx("%s: not in the manifest", what);
			c->bad++;
		} else if (!hash_equal(me->hash, hash, HASH_LEN)) {
			warnx("%s: content differs from the manifest", what);
			c->bad++;
		}
		if (c->bad && !opt.force)
			return -1;
		return 0;
	}
	me = NULL;
record:
	if (mkey(key, sizeof(key), c->name, e->path) == -1 ||
	    manifest_add(c->out, me ? me->hash : hash, key) == -1) {
		warn("%s", what);
		return -1;
	}
	return 0;
}

static int
copy_other(struct copier *c, const struct walk_entry *e, int dfd,
    const char *dname, const char *what)
{
	char target[PATH_MAX + 1];
	struct timespec ts[2];
	ssize_t n;

	if (S_ISLNK(e->st.st_mode)) {
		if (c->mode == PLAN)
			return 0;
		if ((n = readlinkat(e->dirfd, e->name, target,
		    sizeof(target))) == -1) {
			warn("%s", what);
			return -1;
		}
		if ((size_t)n >= sizeof(target)) {
			warnx("%s: symlink target too long", what);
			return -1;
		}
		target[n] = '\0';
		if (symlinkat(target, dfd, dname) == -1) {
			warn("%s", c->dstlabel);
			return -1;
		}
	} else if (geteuid() != 0) {
		if (c->mode != PLAN)
			warnx("%s: %s skipped", what, kindname(e->st.st_mode));
		return 0;
	} else {
		if (c->mode == PLAN)
			return 0;
		if (mknodat(dfd, dname, e->st.st_mode & (S_IFMT | 07777),
		    e->st.st_rdev) == -1) {
			warn("%s", c->dstlabel);
			return -1;
		}
		if (fchmodat(dfd, dname, e->st.st_mode & 07777, 0) == -1) {
			warn("%s", c->dstlabel);
			return -1;
		}
	}
	if (geteuid() == 0 && fchownat(dfd, dname, e->st.st_uid, e->st.st_gid,
	    AT_SYMLINK_NOFOLLOW) == -1) {
		warn("%s", c->dstlabel);
		return -1;
	}
	ts[0] = e->st.st_atim;
	ts[1] = e->st.st_mtim;
	if (utimensat(dfd, dname, ts, AT_SYMLINK_NOFOLLOW) == -1) {
		warn("%s", c->dstlabel);
		return -1;
	}
	return 0;
}

static int
copy_entry(enum walk_event ev, const struct walk_entry *e, void *arg)
{
	struct copier *c = arg;
	char what[PATH_MAX + 64];
	const char *dname, *pname;
	int d = e->depth, dfd, pfd;

	if (interrupted) {
		errno = EINTR;
		return -1;
	}
	srcpath(c, e, what, sizeof(what));
	dfd = d == 0 ? c->dstdirfd : c->dst[d - 1];
	dname = d == 0 ? c->dstname : e->name;
	pfd = d == 0 ? (c->refname ? c->bfd : -1) : c->prev[d - 1];
	pname = d == 0 ? c->refname : e->name;
	switch (ev) {
	case WALK_DIR_PRE:
		if (e->st.st_dev == c->skipdev && e->st.st_ino == c->skipino)
			return 1;
		c->prev[d] = pfd == -1 ? -1 : openat(pfd, pname, O_RDONLY |
		    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		c->dst[d] = -1;
		if (c->mode == PLAN) {
			c->need += 4096;
			return 0;
		}
		if (mkdirat(dfd, dname, 0700) == -1 || (c->dst[d] =
		    openat(dfd, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC)) == -1) {
			warn("%s", c->dstlabel);
			return -1;
		}
		return 0;
	case WALK_DIR_POST:
		if (c->prev[d] != -1)
			close(c->prev[d]);
		if (c->mode == PLAN)
			return 0;
		if (atomic_copy_meta(c->dst[d], &e->st) == -1) {
			warn("%s", c->dstlabel);
			return -1;
		}
		close(c->dst[d]);
		c->dst[d] = -1;
		return 0;
	case WALK_MOUNT:
		if (c->mode == PLAN)
			return 0;
		warnx("%s: another filesystem, not copied", what);
		if (mkdirat(dfd, dname, e->st.st_mode & 07777) == -1) {
			warn("%s", c->dstlabel);
			return -1;
		}
		return 0;
	case WALK_OTHER:
		if (S_ISREG(e->st.st_mode))
			return copy_regular(c, e, pfd, pname, dfd, dname, what);
		return copy_other(c, e, dfd, dname, what);
	}
	return 0;
}

/* Every failure below copy_entry is reported where it happens; this
 * notes that it was, so that the caller adds nothing vaguer. */
static int
copy_cb(enum walk_event ev, const struct walk_entry *e, void *arg)
{
	struct copier *c = arg;
	int r;

	if ((r = copy_entry(ev, e, arg)) == -1 && !interrupted)
		c->told = 1;
	return r;
}

/* Run a copier over root; on failure close what it left open. */
static int
run_copier(struct copier *c, int rootdirfd, const char *root)
{
	int i, r, saved;

	for (i = 0; i <= WALK_MAXDEPTH; i++)
		c->dst[i] = c->prev[i] = -1;
	r = walk_tree(rootdirfd, root, WALK_XDEV, copy_cb, c);
	saved = errno;
	for (i = 0; i <= WALK_MAXDEPTH; i++) {
		if (c->dst[i] != -1)
			close(c->dst[i]);
		if (c->prev[i] != -1)
			close(c->prev[i]);
	}
	errno = saved;
	return r;
}

/* Fail unless the filesystem of fd has room for need bytes plus 5%. */
static int
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

static void
audit_change(const char *what, const char *object)
{
	/*
	 * The one place where snapback's changes reach the audit log.  The
	 * writer comes with auditlog (lib/audit); until then a set AUDITLOG
	 * is reported, never silently ignored.
	 */
	static int told;

	if (getenv("AUDITLOG") != NULL && !told) {
		warnx("AUDITLOG is set, but this build writes no audit records "
		    "(%s %s)", what, object);
		told = 1;
	}
}

/*
 * Snapshot srcroot (a file or a tree, already resolved) into the backup
 * directory.  The name made is put in name.  Returns 0, or -1 with a
 * message printed and nothing left behind.
 */
static int
take_snapshot(struct bdir *b, const char *srcroot, char *name, size_t size)
{
	struct manifest ref, out;
	struct copier c;
	struct stat st, bst;
	char tmp[NAME_MAX + 1], man[NAME_MAX + 1], stamp[TIME_STAMPLEN];
	const char *prev;
	time_t now;

	manifest_init(&ref);
	manifest_init(&out);
	if (stat(srcroot, &st) == -1) {
		warn("%s", srcroot);
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		warnx("%s: neither a regular file nor a directory", srcroot);
		return -1;
	}
	if (S_ISDIR(st.st_mode) != b->isdir) {
		warnx("%s: is a %s, but %s holds snapshots of a %s", srcroot,
		    S_ISDIR(st.st_mode) ? "directory" : "file", opt.dir,
		    b->isdir ? "directory" : "file");
		return -1;
	}
	if (fstat(b->fd, &bst) == -1) {
		warn("%s", opt.dir);
		return -1;
	}
	memset(&c, 0, sizeof(c));
	c.bfd = b->fd;
	c.srcroot = srcroot;
	c.ref = &ref;
	c.out = &out;
	c.skipdev = bst.st_dev;
	c.skipino = bst.st_ino;
	c.syncfile = !b->isdir;
	if ((prev = newest(b)) != NULL) {
		if (manname(man, prev) == -1 ||
		    manifest_load(&ref, b->fd, man) == -1) {
			warnx("%s/%s: unusable manifest (line %lu); "
			    "copying everything", opt.dir, man, ref.badline);
			manifest_free(&ref);
		} else
			c.refname = prev;
	}

	/* First a plan: how much will really be copied. */
	c.mode = PLAN;
	c.dstlabel = opt.dir;
	if (run_copier(&c, AT_FDCWD, srcroot) == -1) {
		if (!c.told)
			warn("%s", srcroot);
		goto fail;
	}
	if (opt.dry) {
		printf("would snapshot %s into %s: %llu files, %llu bytes "
		    "to copy\n", srcroot, opt.dir, c.files, c.need);
		manifest_free(&ref);
		return 0;
	}
	if (check_space(b->fd, opt.dir, c.need) == -1)
		goto fail;

	/* A name of its own: two runs in one second wait for the next. */
	for (;;) {
		now = time(NULL);
		if (time_stamp(now, stamp) == -1 ||
		    (size_t)snprintf(name, size, "%s_%s%s", b->stem, stamp,
		    b->ext) >= size || manname(man, name) == -1) {
			warnx("%s: cannot name the snapshot", opt.dir);
			goto fail;
		}
		if (faccessat(b->fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == -1 &&
		    faccessat(b->fd, man, F_OK, AT_SYMLINK_NOFOLLOW) == -1)
			break;
		while (time(NULL) == now)
			usleep(50000);
	}
	if (atomic_tmpname(tmp, sizeof(tmp), name) == -1) {
		warn("%s", name);
		goto fail;
	}
	c.mode = CREATE;
	c.name = name;
	c.dstdirfd = b->fd;
	c.dstname = tmp;
	c.files = c.bytes = 0;
	if (run_copier(&c, AT_FDCWD, srcroot) == -1) {
		if (interrupted)
			warnx("%s: interrupted; no snapshot made", srcroot);
		else if (!c.told)
			warn("%s", srcroot);
		goto fail_tmp;
	}
	/* The data and the tree must be on disk before they are named. */
	if (b->isdir && syncfs(b->fd) == -1) {
		warn("%s", opt.dir);
		goto fail_tmp;
	}
	if (interrupted) {
		warnx("%s: interrupted; no snapshot made", srcroot);
		goto fail_tmp;
	}
	if (atomic_rename_noreplace(b->fd, tmp, b->fd, name) == -1 ||
	    atomic_syncdir(b->fd, NULL) == -1) {
		warn("%s/%s", opt.dir, name);
		goto fail_tmp;
	}
	/* The commit point: a snapshot is complete once its manifest is. */
	if (atomic_write(b->fd, man, out.out ? out.out : "", out.outlen,
	    0644) == -1) {
		warn("%s/%s", opt.dir, man);
		walk_remove(b->fd, name, WALK_XDEV);
		goto fail;
	}
	if (atomic_symlink(b->fd, b->latest, name) == -1)
		warn("%s/%s", opt.dir, b->latest);
	if (opt.verbose)
		fprintf(stderr, "%s/%s: %llu files, %llu copied, %llu linked\n",
		    opt.dir, name, c.files, c.copied, c.linked);
	audit_change("snapshot", name);
	manifest_free(&ref);
	manifest_free(&out);
	return 0;
fail_tmp:
	walk_remove(b->fd, tmp, WALK_XDEV);
fail:
	manifest_free(&ref);
	manifest_free(&out);
	return -1;
}

static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = onsignal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int
cmd_create(int argc, char **argv)
{
	char path[PATH_MAX], real[PATH_MAX], name[NAME_MAX + 1];
	struct bdir b;
	struct stat st;
	size_t n;

	if (argc > 1)
		usage();
	open_bdir(&b, 1);
	if (argc == 1) {
		if (absolute(argv[0], path, sizeof(path)) == -1)
			err(EXIT_FAIL, "%s", argv[0]);
		if (b.source[0] != '\0' && strcmp(b.source, path) != 0)
			errx(EXIT_FAIL, "%s: %s holds snapshots of %s, "
			    "not of this source", argv[0], opt.dir, b.source);
	} else if (b.source[0] == '\0')
		errx(EXIT_USAGE, "%s: no source recorded yet: name the "
		    "SOURCE", opt.dir);
	else
		strcpy(path, b.source);
	if (strpbrk(strrchr(path, '/') + 1, "\t\n") != NULL)
		errx(EXIT_FAIL, "%s: a tab or newline in the source's name "
		    "cannot make a snapshot name", path);
	if (realpath(path, real) == NULL)
		err(EXIT_FAIL, "%s", path);
	if (stat(real, &st) == -1)
		err(EXIT_FAIL, "%s", path);
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		errx(EXIT_FAIL, "%s: neither a regular file nor a directory",
		    path);
	if (b.fd == -1 && !opt.dry) {
		if (mkdir(opt.dir, 0700) == -1 && errno != EEXIST)
			err(EXIT_FAIL, "%s", opt.dir);
		if ((b.fd = open(opt.dir, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1)
			err(EXIT_FAIL, "%s", opt.dir);
	}
	if (b.source[0] == '\0') {
		strcpy(b.source, path);
		b.isdir = S_ISDIR(st.st_mode);
		if (split_name(&b) == -1)
			err(EXIT_FAIL, "%s", path);
		if (!opt.dry) {
			n = strlen(path);
			path[n] = '\n';
			if (atomic_write(b.fd, RECORD, path, n + 1, 0644) == -1)
				err(EXIT_FAIL, "%s/%s", opt.dir, RECORD);
			path[n] = '\0';
		}
	}
	if (b.fd == -1) {
		/* A dry run for a directory still to be made. */
		printf("would create %s and snapshot %s into it\n", opt.dir,
		    real);
		err_flush();
		return EXIT_OK;
	}
	if (!opt.dry)
		lock_bdir(&b);
	catch_signals();
	if (scan(&b, !opt.dry) == -1)
		err(EXIT_FAIL, "%s", opt.dir);
	if (take_snapshot(&b, real, name, sizeof(name)) == -1)
		return EXIT_FAIL;
	if (!opt.dry)
		printf("%s/%s\n", opt.dir, name);
	err_flush();
	return EXIT_OK;
}

/* Count the regular files of a snapshot and their bytes. */
struct counts {
	unsigned long long files, bytes;
};

static int
count_cb(enum walk_event ev, const struct walk_entry *e, void *arg)
{
	struct counts *n = arg;

	if (ev == WALK_OTHER && S_ISREG(e->st.st_mode)) {
		n->files++;
		n->bytes += e->st.st_size;
	}
	return 0;
}

static int
cmd_list(int argc, char **argv)
{
	char latest[NAME_MAX + 1], when[TIME_RFC3339LEN];
	char stamp[TIME_STAMPLEN];
	struct counts n;
	struct bdir b;
	size_t i;
	time_t t;

	(void)argv;
	if (argc != 0)
		usage();
	open_bdir(&b, 0);
	kind_from_snapshots(&b);
	read_latest(&b, latest, sizeof(latest));
	for (i = 0; i < b.nsnap; i++) {
		memset(&n, 0, sizeof(n));
		if (walk_tree(b.fd, b.snap[i], 0, count_cb, &n) == -1)
			warn("%s/%s", opt.dir, b.snap[i]);
		memcpy(stamp, b.snap[i] + strlen(b.stem) + 1, 15);
		stamp[15] = '\0';
		if (time_parse_stamp(stamp, &t) == -1 ||
		    time_rfc3339(t, -1, when) == -1)
			strcpy(when, "-");
		putesc(stdout, b.snap[i]);
		printf("\t%s\t%llu\t%llu\t%s%s\n", when, n.bytes, n.files,
		    is_complete(&b, b.snap[i]) ? "complete" : "incomplete",
		    strcmp(latest, b.snap[i]) == 0 ? "\t*" : "");
	}
	err_flush();
	return EXIT_OK;
}

/*
 * Open path (relative to dirfd) for reading without following any
 * symlink and without leaving dirfd: openat2 with RESOLVE_NO_SYMLINKS and
 * RESOLVE_BENEATH, or, where the kernel lacks it, one component at a time
 * with O_NOFOLLOW.
 */
static int
open_beneath(int dirfd, const char *path)
{
	struct {
		uint64_t flags, mode, resolve;
	} how = { O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0,
	    0x04 | 0x08 };
	char buf[PATH_MAX], *p, *slash;
	int fd, next;

#ifdef SYS_openat2
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
	if (buf[0] == '/') {
		errno = EXDEV;
		return -1;
	}
	fd = dirfd;
	for (p = buf; (slash = strchr(p, '/')) != NULL; p = slash + 1) {
		*slash = '\0';
		if (strcmp(p, "..") == 0) {
			errno = EXDEV;
			next = -1;
		} else
			next = openat(fd, p, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
		if (fd != dirfd)
			close(fd);
		if (next == -1)
			return -1;
		fd = next;
	}
	next = strcmp(p, "..") == 0 ? (errno = EXDEV, -1) : openat(fd, p,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd != dirfd) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return next;
}

enum { V_OK, V_MISMATCH, V_MISSING, V_UNREADABLE, V_OUTSIDE };

static const char *const vwords[] = {
	"ok", "mismatch", "missing", "unreadable", "outside the snapshot"
};

struct vjob {
	int		 dirfd;
	const struct manifest *m;
	unsigned char	*result;
	size_t		 next;		/* taken atomically */
	unsigned long long bytes;	/* summed atomically */
};

static unsigned char
check_one(int dirfd, const struct manifest_entry *me, uint64_t *bytes)
{
	unsigned char hash[HASH_LEN];
	struct stat st;
	int fd, r;

	if ((fd = open_beneath(dirfd, me->path)) == -1)
		return errno == ENOENT ? V_MISSING : V_UNREADABLE;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		r = V_UNREADABLE;
	else if (hash_fd(fd, hash, bytes) == -1)
		r = V_UNREADABLE;
	else
		r = hash_equal(hash, me->hash, HASH_LEN) ? V_OK : V_MISMATCH;
	close(fd);
	return r;
}

static void *
vworker(void *arg)
{
	struct vjob *j = arg;
	uint64_t bytes;
	size_t i;

	while ((i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED)) <
	    j->m->n) {
		if (j->result[i] != V_OK)
			continue;
		bytes = 0;
		j->result[i] = check_one(j->dirfd, &j->m->v[i], &bytes);
		__atomic_fetch_add(&j->bytes, bytes, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Whether a manifest path belongs to snapshot name. */
static int
inside(const char *name, const char *path, int isdir)
{
	size_t n = strlen(name);
	const char *p;

	if (!isdir)
		return strcmp(path, name) == 0;
	if (strncmp(path, name, n) != 0 || path[n] != '/')
		return 0;
	for (p = path + n; p != NULL; p = strchr(p + 1, '/'))
		if (p[1] == '/' || p[1] == '\0' ||
		    (p[1] == '.' && (p[2] == '/' || p[2] == '\0')) ||
		    (p[1] == '.' && p[2] == '.' && (p[3] == '/' || p[3] == '\0')))
			return 0;
	return 1;
}

/*
 * Rehash every file of snapshot name with as many threads as there are
 * processors, report each problem as "NAME: PATH: what" on stdout, and
 * return the number of problems (-1 when the manifest is unusable).
 */
static long
verify_one(const struct bdir *b, const char *name)
{
	char man[NAME_MAX + 1];
	struct manifest m;
	struct vjob j;
	pthread_attr_t attr;
	pthread_t tid[8];
	long nproc, nthr = 0, t, bad = 0;
	size_t i, n = strlen(name);

	manifest_init(&m);
	if (manname(man, name) == -1 || manifest_load(&m, b->fd, man) == -1) {
		if (errno == EINVAL)
			warnx("%s/%s: line %lu: malformed", opt.dir, man,
			    m.badline);
		else
			warn("%s/%s", opt.dir, man);
		manifest_free(&m);
		return -1;
	}
	memset(&j, 0, sizeof(j));
	j.dirfd = b->fd;
	j.m = &m;
	if ((j.result = calloc(m.n ? m.n : 1, 1)) == NULL)
		err(EXIT_FAIL, NULL);
	for (i = 0; i < m.n; i++)
		if (!inside(name, m.v[i].path, b->isdir))
			j.result[i] = V_OUTSIDE;
	nproc = sysconf(_SC_NPROCESSORS_ONLN);
	if (nproc > 8)
		nproc = 8;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 1 << 20);
	for (t = 1; t < nproc && (size_t)t < m.n; t++)
		if (pthread_create(&tid[nthr], &attr, vworker, &j) == 0)
			nthr++;
	vworker(&j);
	for (t = 0; t < nthr; t++)
		pthread_join(tid[t], NULL);
	pthread_attr_destroy(&attr);
	for (i = 0; i < m.n; i++) {
		if (j.result[i] == V_OK)
			continue;
		bad++;
		printf("%s: ", name);
		if (!b->isdir || j.result[i] == V_OUTSIDE)
			putesc(stdout, m.v[i].path);
		else
			putesc(stdout, m.v[i].path + n + 1);
		printf(": %s\n", vwords[j.result[i]]);
	}
	if (opt.verbose)
		fprintf(stderr, "%s: %zu files, %llu bytes, %s\n", name, m.n,
		    j.bytes, bad ? "damaged" : "ok");
	free(j.result);
	manifest_free(&m);
	return bad;
}

static int
cmd_verify(int argc, char **argv)
{
	const char *which = argc > 0 ? argv[0] : "latest";
	struct bdir b;
	long r, bad = 0;
	size_t i;

	if (argc > 1)
		usage();
	open_bdir(&b, 0);
	kind_from_snapshots(&b);
	if (strcmp(which, "all") == 0) {
		for (i = 0; i < b.nsnap; i++) {
			if (!is_complete(&b, b.snap[i]))
				continue;
			if ((r = verify_one(&b, b.snap[i])) != 0)
				bad++;
		}
		if (b.nsnap == 0)
			errx(EXIT_FAIL, "%s: no snapshots", opt.dir);
	} else if (verify_one(&b, resolve(&b, which)) != 0)
		bad++;
	err_flush();
	return bad ? EXIT_FAIL : EXIT_OK;
}

/* Remove what an interrupted restore left beside target: temporaries
 * named after it. */
static void
clean_beside(int pfd, const char *base)
{
	struct dirent *de;
	size_t n = strlen(base);
	DIR *d;
	int fd;

	if ((fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (atomic_istmp(de->d_name) && strlen(de->d_name) == n + 8 &&
		    strncmp(de->d_name + 1, base, n) == 0) {
			if (opt.verbose)
				fprintf(stderr, "remove leftover %s\n",
				    de->d_name);
			walk_remove(pfd, de->d_name, WALK_XDEV);
		}
	closedir(d);
}

static int
cmd_restore(int argc, char **argv)
{
	char target[PATH_MAX], parent[PATH_MAX], base[NAME_MAX + 1];
	char tmp[NAME_MAX + 1], saved[NAME_MAX + 1], name[NAME_MAX + 1];
	char from[PATH_MAX + NAME_MAX + 2], *slash;
	struct manifest m;
	struct copier c;
	struct counts n;
	struct bdir b;
	struct stat st, sst;
	int pfd, exists;
	long bad;

	if (argc > 2)
		usage();
	open_bdir(&b, 0);
	if (!opt.dry)
		lock_bdir(&b);
	catch_signals();
	kind_from_snapshots(&b);
	/* Copied: scan() below frees the names resolve() returns. */
	strcpy(name, resolve(&b, argc > 0 ? argv[0] : "latest"));

	/* Where to: TARGET or the source, through any symlink. */
	if (absolute(argc > 1 ? argv[1] : b.source, target,
	    sizeof(target)) == -1)
		err(EXIT_FAIL, "%s", argc > 1 ? argv[1] : b.source);
	if (strcmp(target, "/") == 0)
		errx(EXIT_FAIL, "/: will not restore over the root");
	if (realpath(target, parent) != NULL)
		strcpy(target, parent);
	else if (errno != ENOENT)
		err(EXIT_FAIL, "%s", target);
	slash = strrchr(target, '/');
	if (strlen(slash + 1) > NAME_MAX) {
		errno = ENAMETOOLONG;
		err(EXIT_FAIL, "%s", target);
	}
	strcpy(base, slash + 1);
	if (slash == target)
		strcpy(parent, "/");
	else {
		memcpy(parent, target, slash - target);
		parent[slash - target] = '\0';
	}
	if (fstatat(b.fd, name, &sst, AT_SYMLINK_NOFOLLOW) == -1)
		err(EXIT_FAIL, "%s/%s", opt.dir, name);
	exists = lstat(target, &st) == 0;
	if (!exists && errno != ENOENT)
		err(EXIT_FAIL, "%s", target);
	if (exists && S_ISDIR(st.st_mode) != S_ISDIR(sst.st_mode))
		errx(EXIT_FAIL, "%s: is a %s, the snapshot %s a %s", target,
		    S_ISDIR(st.st_mode) ? "directory" : "file", name,
		    S_ISDIR(sst.st_mode) ? "directory" : "file");

	/* A damaged snapshot is not restored unless forced. */
	bad = verify_one(&b, name);
	if (bad != 0 && !opt.force)
		errx(EXIT_FAIL, "%s/%s: damaged snapshot, not restored "
		    "(-f restores it anyway)", opt.dir, name);
	if (opt.dry) {
		if (exists)
			printf("would snapshot %s into %s\n", target, opt.dir);
		printf("would restore %s/%s to %s\n", opt.dir, name, target);
		err_flush();
		return EXIT_OK;
	}
	if ((pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(EXIT_FAIL, "%s", parent);
	/* Before the safety snapshot: a restore that cannot write beside
	 * TARGET should change nothing at all. */
	if (faccessat(pfd, ".", W_OK, 0) == -1)
		err(EXIT_FAIL, "%s", parent);
	memset(&n, 0, sizeof(n));
	if (walk_tree(b.fd, name, 0, count_cb, &n) == -1)
		err(EXIT_FAIL, "%s/%s", opt.dir, name);
	if (check_space(pfd, parent, n.bytes) == -1)
		return EXIT_FAIL;

	/* A restore destroys TARGET's content: keep it first. */
	if (exists && S_ISDIR(st.st_mode) == b.isdir) {
		if (scan(&b, 1) == -1)
			err(EXIT_FAIL, "%s", opt.dir);
		if (take_snapshot(&b, target, saved, sizeof(saved)) == -1)
			errx(EXIT_FAIL, "%s: could not snapshot it first; "
			    "nothing restored", target);
		printf("%s/%s\n", opt.dir, saved);
	}

	clean_beside(pfd, base);
	if (atomic_tmpname(tmp, sizeof(tmp), base) == -1)
		err(EXIT_FAIL, "%s", target);
	manifest_init(&m);
	if (manname(saved, name) == -1 || manifest_load(&m, b.fd, saved) == -1)
		err(EXIT_FAIL, "%s/%s", opt.dir, saved);
	memset(&c, 0, sizeof(c));
	c.mode = RESTORE;
	c.bfd = b.fd;
	snprintf(from, sizeof(from), "%s/%s", opt.dir, name);
	c.srcroot = from;
	c.name = name;
	c.ref = &m;
	c.dstdirfd = pfd;
	c.dstname = tmp;
	c.dstlabel = parent;
	c.syncfile = !b.isdir;
	c.skipdev = (dev_t)-1;
	if (run_copier(&c, b.fd, name) == -1 || (c.bad && !opt.force)) {
		walk_remove(pfd, tmp, WALK_XDEV);
		if (interrupted)
			errx(EXIT_FAIL, "%s: interrupted; nothing restored",
			    target);
		if (!c.told)
			err(EXIT_FAIL, "%s/%s", opt.dir, name);
		exit(EXIT_FAIL);
	}
	if (b.isdir && syncfs(pfd) == -1) {
		walk_remove(pfd, tmp, WALK_XDEV);
		err(EXIT_FAIL, "%s", parent);
	}
	if (b.isdir && exists) {
		/* The switch is one exchange; the old tree goes after. */
		if (atomic_exchange(pfd, tmp, pfd, base) == -1) {
			walk_remove(pfd, tmp, WALK_XDEV);
			err(EXIT_FAIL, "%s", target);
		}
		atomic_syncdir(pfd, NULL);
		if (walk_remove(pfd, tmp, WALK_XDEV) == -1)
			warn("%s/%s: removing the old tree", parent, tmp);
	} else if (renameat(pfd, tmp, pfd, base) == -1) {
		walk_remove(pfd, tmp, WALK_XDEV);
		err(EXIT_FAIL, "%s", target);
	}
	if (atomic_syncdir(pfd, NULL) == -1)
		err(EXIT_FAIL, "%s", parent);
	if (opt.verbose)
		fprintf(stderr, "restored %s/%s to %s: %llu files\n", opt.dir,
		    name, target, c.files);
	audit_change("restore", target);
	close(pfd);
	manifest_free(&m);
	err_flush();
	return EXIT_OK;
}

int
main(int argc, char *argv[])
{
	unsigned long long w;
	size_t i;
	int ch;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "-h") == 0) {
		fputs("usage: ", stdout);
		for (i = 0; SYNOPSIS[i] != '\0'; i++) {
			putchar(SYNOPSIS[i]);
			if (SYNOPSIS[i] == '\n' && SYNOPSIS[i + 1] != '\0')
				fputs("       ", stdout);
		}
		err_flush();
		return EXIT_OK;
	}
	if (strcmp(argv[1], "-V") == 0)
		err_version();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		warnx("%s: unknown command", argv[1]);
		usage();
	}
	argc--;
	argv++;
	while ((ch = getopt(argc, argv, cmds[i].opts)) != -1) {
		switch (ch) {
		case 'd':
			if (*optarg == '\0')
				errx(EXIT_USAGE, "-d: empty directory name");
			opt.dir = optarg;
			break;
		case 'f':
			opt.force = 1;
			break;
		case 'n':
			opt.dry = 1;
			break;
		case 'v':
			opt.verbose = 1;
			break;
		case 'w':
			if (conf_number(optarg, 0, MAXWAIT, &w) == -1)
				errx(EXIT_USAGE, "-w: %s: want seconds from 0 "
				    "to %d", optarg, MAXWAIT);
			opt.wait = (int)w;
			break;
		case ':':
			warnx("-%c: needs a value", optopt);
			usage();
		default:
			warnx("-%c: unknown option", optopt);
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	return cmds[i].fn(argc, argv);
}
