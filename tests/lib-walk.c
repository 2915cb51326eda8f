/* lib-walk.c - tests of lib/walk: order, symlinks, removal, races, mounts. */
/* SPDX-License-Identifier: ISC */
#define _GNU_SOURCE	/* unshare, mount, fanotify, SYS_renameat2 */

#include <sys/types.h>
#include <sys/fanotify.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/walk.h"
#include "tests/tap.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE	2
#endif

#define NSWAPDIRS	200	/* subdirectories in the stress tree */
#define NROUNDS		6	/* stress rounds for walk_remove */
#define NWALKS		50	/* walks while names flip */
#define NFANDIRS	50	/* subdirectories in the fanotify tree */
#define NBIGDIRS	200
#define NBIGFILES	100	/* per directory: 20,000 files in all */
#define NVICTIM		111	/* entries below victim/ */
#define NXDEV		7	/* checks done in the mount namespace */

static char	tmp[PATH_MAX];	/* absolute path of the test directory */
static int	tfd;		/* and a descriptor of it */

/* Records events as "<letter><path>;" and checks every entry's fields. */
struct rec {
	char		 s[8192];
	size_t		 len;
	int		 bad;
	char		 why[512];
	int		 stack[WALK_MAXDEPTH + 2];
	int		 sp;
	int		 maxdepth;
	long		 nother, npre, npost, nmount;
	mode_t		 linkmode;	/* of the entry at path "link" */
	char		 rootname[64];	/* e->name of the root event */
	int		 rootdirfd;
	mode_t		 rootmode;
	const char	*skip1, *skip2;	/* return 1 on WALK_DIR_PRE here */
	const char	*stop;		/* return -1 (EDQUOT) here */
	enum walk_event	 stopev;
	int		 readpre;	/* read directories on WALK_DIR_PRE */
	int		 quiet;		/* no string, no stat checks (races) */
	dev_t		 fdev;		/* never a WALK_DIR_PRE of these */
	ino_t		 forbid[2];
	void		(*hook)(struct rec *, const struct walk_entry *);
};

static void
die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
mkd(int dfd, const char *path)
{
	if (mkdirat(dfd, path, 0755) == -1)
		die(path);
}

static void
mkf(int dfd, const char *path)
{
	int fd;

	fd = openat(dfd, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1)
		die(path);
	if (write(fd, "x\n", 2) != 2)
		die(path);
	close(fd);
}

/* A file as a hard link of "base": creating inodes is slow on some VMs. */
static void
mkh(int dfd, const char *path)
{
	if (linkat(tfd, "base", dfd, path, 0) == -1)
		die(path);
}

static void
mkl(int dfd, const char *target, const char *path)
{
	if (symlinkat(target, dfd, path) == -1)
		die(path);
}

static int
exists(int dfd, const char *path)
{
	struct stat st;

	return fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static ino_t
inode(int dfd, const char *path)
{
	struct stat st;

	if (fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) == -1)
		die(path);
	return st.st_ino;
}

/* The lowest free descriptor: it grows if a walk leaks one. */
static int
nextfd(void)
{
	int fd = fcntl(tfd, F_DUPFD_CLOEXEC, 0);

	close(fd);
	return fd;
}

/*
 * Entries below path, counted with readdir independently of lib/walk,
 * or -1 if path is not a directory.
 */
static long
count(int dfd, const char *path)
{
	struct dirent *d;
	DIR *dir;
	long n = 0, sub;
	int fd;

	fd = openat(dfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if ((dir = fdopendir(fd)) == NULL)
		die(path);
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		n++;
		if ((sub = count(fd, d->d_name)) > 0)
			n += sub;
	}
	closedir(dir);
	return n;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void __attribute__((format(printf, 2, 3)))
bad(struct rec *r, const char *fmt, ...)
{
	va_list ap;

	if (r->bad++)
		return;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

static void
add(struct rec *r, int c, const char *path)
{
	const unsigned char *p;
	int n;

	if (r->quiet)
		return;
	if (r->len + 2 < sizeof(r->s))
		r->s[r->len++] = (char)c;
	for (p = (const unsigned char *)path; *p != '\0'; p++) {
		if (r->len + 6 >= sizeof(r->s))
			break;
		if (*p < 0x20 || *p >= 0x7f || *p == '\\' || *p == ';')
			n = snprintf(r->s + r->len, 5, "\\x%02x", *p);
		else
			n = snprintf(r->s + r->len, 2, "%c", *p);
		r->len += n;
	}
	if (r->len + 1 < sizeof(r->s))
		r->s[r->len++] = ';';
	r->s[r->len] = '\0';
}

static void
rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->rootdirfd = -2;
}

static int
record(enum walk_event ev, const struct walk_entry *e, void *arg)
{
	struct rec *r = arg;
	struct stat st;
	const char *last, *p;
	int slashes = 0, fd;
	DIR *dir;

	for (p = e->path; *p != '\0'; p++)
		slashes += *p == '/';
	if (e->depth != (e->path[0] != '\0' ? slashes + 1 : 0))
		bad(r, "%s: depth %d", e->path, e->depth);
	if (e->depth > r->maxdepth)
		r->maxdepth = e->depth;
	last = strrchr(e->path, '/');
	last = last != NULL ? last + 1 : e->path;
	if (e->depth > 0 && strcmp(e->name, last) != 0)
		bad(r, "%s: name %s", e->path, e->name);
	if (e->depth == 0) {
		snprintf(r->rootname, sizeof(r->rootname), "%s", e->name);
		r->rootdirfd = e->dirfd;
		r->rootmode = e->st.st_mode;
	}
	if (strcmp(e->path, "link") == 0)
		r->linkmode = e->st.st_mode;
	if (!r->quiet && (fstatat(e->dirfd, e->name, &st,
	    AT_SYMLINK_NOFOLLOW) == -1 || st.st_ino != e->st.st_ino))
		bad(r, "%s: fstatat(dirfd, name) disagrees", e->path);

	switch (ev) {
	case WALK_DIR_PRE:
		r->npre++;
		add(r, 'D', e->path);
		if (e->fd < 0 || fstat(e->fd, &st) == -1 ||
		    st.st_ino != e->st.st_ino || !S_ISDIR(e->st.st_mode))
			bad(r, "%s: PRE fd/stat", e->path);
		if (r->sp < WALK_MAXDEPTH + 2)
			r->stack[r->sp++] = e->fd;
		if (e->st.st_dev == r->fdev && (e->st.st_ino == r->forbid[0] ||
		    e->st.st_ino == r->forbid[1]))
			bad(r, "%s: entered the victim", e->path);
		if (r->readpre) {
			/* A callback may consume the directory's offset. */
			if ((fd = fcntl(e->fd, F_DUPFD_CLOEXEC, 0)) == -1 ||
			    (dir = fdopendir(fd)) == NULL)
				die("fdopendir");
			while (readdir(dir) != NULL)
				;
			closedir(dir);
		}
		break;
	case WALK_DIR_POST:
		r->npost++;
		add(r, 'U', e->path);
		if (r->sp == 0 || r->stack[r->sp - 1] != e->fd)
			bad(r, "%s: POST without its PRE", e->path);
		else
			r->sp--;
		break;
	case WALK_OTHER:
		r->nother++;
		add(r, 'O', e->path);
		if (e->fd != -1 || S_ISDIR(e->st.st_mode))
			bad(r, "%s: OTHER fd/stat", e->path);
		break;
	case WALK_MOUNT:
		r->nmount++;
		add(r, 'M', e->path);
		if (e->fd != -1 || !S_ISDIR(e->st.st_mode))
			bad(r, "%s: MOUNT fd/stat", e->path);
		break;
	}
	if (r->hook != NULL)
		r->hook(r, e);
	if (r->stop != NULL && ev == r->stopev &&
	    strcmp(e->path, r->stop) == 0) {
		errno = EDQUOT;
		return -1;
	}
	if (ev == WALK_DIR_PRE && ((r->skip1 && !strcmp(e->path, r->skip1)) ||
	    (r->skip2 && !strcmp(e->path, r->skip2))))
		return 1;
	return 0;
}

static void
diagbad(const struct rec *r)
{
	if (r->bad)
		tap_diag("%d bad entries, first: %s", r->bad, r->why);
	if (r->sp != 0)
		tap_diag("%d PRE without POST", r->sp);
}

#define TREE_ALL "D;Oa file;Db;Ob/c;Db/d;Ub/d;Ub;De;Ue;Olfile;Olink;" \
    "Onl\\x0ax;Dz;Dz/y;Oz/y/x;Uz/y;Uz;O\\xff\\xfe;U;"

/*
 * tree/ with nested and empty directories, symlinks to a directory and a
 * file outside, hostile names; created out of order so that the order of
 * the walk is its own.
 */
static void
mktree(void)
{
	mkd(tfd, "outside");
	mkf(tfd, "outside/secret");
	mkd(tfd, "outside/sub");
	mkf(tfd, "outside/sub/deep");
	mkd(tfd, "tree");
	mkd(tfd, "tree/z");
	mkf(tfd, "tree/\xff\xfe");
	mkd(tfd, "tree/z/y");
	mkf(tfd, "tree/z/y/x");
	mkf(tfd, "tree/nl\nx");
	mkl(tfd, "../outside", "tree/link");
	mkl(tfd, "../outside/secret", "tree/lfile");
	mkd(tfd, "tree/e");
	mkd(tfd, "tree/b");
	mkd(tfd, "tree/b/d");
	mkf(tfd, "tree/b/c");
	mkf(tfd, "tree/a file");
}

static void
test_walk(void)
{
	struct rec r;
	int fd0 = nextfd(), rv;

	mktree();

	rec_init(&r);
	rv = walk_tree(tfd, "tree", 0, record, &r);
	tap_ok(rv == 0, "walk_tree returns 0 on a tree");
	tap_same(r.s, TREE_ALL, "entries sorted by strcmp, complete, PRE "
	    "before and POST after each directory's entries");
	tap_ok(!r.bad && r.sp == 0 && r.npre == r.npost && r.npre == 6,
	    "depth, name, dirfd, fd and stat of every entry are consistent");
	diagbad(&r);
	tap_ok(S_ISLNK(r.linkmode) && strstr(r.s, "link/") == NULL &&
	    strstr(r.s, "secret") == NULL,
	    "a symlink to an outside directory is reported, never entered");

	rec_init(&r);
	rv = walk_tree(tfd, "tree//", 0, record, &r);
	tap_ok(rv == 0 && strcmp(r.s, TREE_ALL) == 0 &&
	    strcmp(r.rootname, "tree") == 0 && r.rootdirfd == tfd,
	    "trailing slashes of the root are ignored; the root's name and "
	    "dirfd are as given");

	rec_init(&r);
	rv = walk_tree(tfd, "tree/link", 0, record, &r);
	tap_ok(rv == 0 && strcmp(r.s, "O;") == 0 && S_ISLNK(r.rootmode) &&
	    strcmp(r.rootname, "tree/link") == 0,
	    "a symlink root is one WALK_OTHER");

	rec_init(&r);
	rv = walk_tree(tfd, "tree/link/", 0, record, &r);
	tap_ok(rv == 0 && strcmp(r.s, "O;") == 0 && S_ISLNK(r.rootmode),
	    "a symlink root with a trailing slash is not followed");

	rec_init(&r);
	rv = walk_tree(tfd, "tree/b/c", 0, record, &r);
	tap_ok(rv == 0 && strcmp(r.s, "O;") == 0 && S_ISREG(r.rootmode) &&
	    !r.bad, "a file root is one WALK_OTHER with path \"\"");

	rec_init(&r);
	r.skip1 = "";
	rv = walk_tree(AT_FDCWD, "/", 0, record, &r);
	tap_ok(rv == 0 && strcmp(r.s, "D;") == 0 && S_ISDIR(r.rootmode) &&
	    strcmp(r.rootname, "/") == 0,
	    "root \"/\" works; skipping the root's contents gives no POST");

	rec_init(&r);
	errno = 0;
	rv = walk_tree(tfd, "missing", 0, record, &r);
	tap_ok(rv == -1 && errno == ENOENT && r.len == 0 &&
	    walk_tree(tfd, "", 0, record, &r) == -1 && errno == ENOENT,
	    "a missing or empty root fails with ENOENT");

	rec_init(&r);
	r.skip1 = "b";
	r.skip2 = "z/y";
	rv = walk_tree(tfd, "tree", 0, record, &r);
	tap_ok(rv == 0, "skipping directories returns 0");
	tap_same(r.s, "D;Oa file;Db;De;Ue;Olfile;Olink;Onl\\x0ax;Dz;Dz/y;Uz;"
	    "O\\xff\\xfe;U;", "returning 1 on PRE skips the contents and "
	    "the POST");

	rec_init(&r);
	r.stop = "b/c";
	r.stopev = WALK_OTHER;
	errno = 0;
	rv = walk_tree(tfd, "tree", 0, record, &r);
	tap_ok(rv == -1 && errno == EDQUOT,
	    "returning -1 stops with the callback's errno");
	tap_same(r.s, "D;Oa file;Db;Ob/c;", "no entry after the stop");

	rec_init(&r);
	r.stop = "z/y";
	r.stopev = WALK_DIR_POST;
	errno = 0;
	rv = walk_tree(tfd, "tree", 0, record, &r);
	tap_ok(rv == -1 && errno == EDQUOT && r.len > 6 &&
	    strcmp(r.s + r.len - 6, ";Uz/y;") == 0,
	    "a stop on POST is kept as well");

	rec_init(&r);
	r.readpre = 1;
	rv = walk_tree(tfd, "tree", 0, record, &r);
	tap_ok(rv == 0 && strcmp(r.s, TREE_ALL) == 0,
	    "a callback reading the directory through fd changes nothing");

	tap_ok(nextfd() == fd0, "no descriptor leaked by walk_tree");
}

/* The callback swaps b, not yet visited, for a symlink to victim. */
static void
swaphook(struct rec *r, const struct walk_entry *e)
{
	(void)r;
	if (strcmp(e->path, "a") != 0)
		return;
	if (renameat(e->dirfd, "b", tfd, "cbvictim-b") == -1 ||
	    symlinkat("../cbvictim", e->dirfd, "b") == -1)
		die("swap b");
}

static void
test_walk_swap(void)
{
	struct rec r;
	int rv;

	mkd(tfd, "cbvictim");
	mkf(tfd, "cbvictim/v");
	mkd(tfd, "cbtree");
	mkf(tfd, "cbtree/a");
	mkd(tfd, "cbtree/b");
	mkf(tfd, "cbtree/b/f");
	mkf(tfd, "cbtree/c");

	rec_init(&r);
	r.hook = swaphook;
	rv = walk_tree(tfd, "cbtree", 0, record, &r);
	tap_ok(rv == 0 && strcmp(r.s, "D;Oa;Ob;Oc;U;") == 0 && !r.bad,
	    "a directory swapped for a symlink during the walk is reported "
	    "as the symlink, not entered");
	if (strcmp(r.s, "D;Oa;Ob;Oc;U;") != 0)
		tap_diag("got %s", r.s);
}

/* A chain of n directories "d" below name; returns the deepest's fd. */
static int
mkchain(const char *name, const char *comp, int n)
{
	int fd, nfd, i;

	mkd(tfd, name);
	if ((fd = openat(tfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		die(name);
	for (i = 0; i < n; i++) {
		mkd(fd, comp);
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (nfd == -1)
			die(comp);
		close(fd);
		fd = nfd;
	}
	return fd;
}

static void
test_limits(void)
{
	struct rec r;
	char longname[251];
	int fd0 = nextfd(), fd, rv;

	fd = mkchain("deep", "d", WALK_MAXDEPTH);
	rec_init(&r);
	r.quiet = 1;
	rv = walk_tree(tfd, "deep", 0, record, &r);
	tap_ok(rv == 0 && r.maxdepth == WALK_MAXDEPTH && r.sp == 0,
	    "a tree exactly WALK_MAXDEPTH deep is walked");
	mkf(fd, "f");
	rec_init(&r);
	r.quiet = 1;
	errno = 0;
	rv = walk_tree(tfd, "deep", 0, record, &r);
	tap_ok(rv == -1 && errno == ELOOP && r.maxdepth == WALK_MAXDEPTH,
	    "one entry deeper fails with ELOOP");
	errno = 0;
	rv = walk_remove(tfd, "deep", 0);
	tap_ok(rv == -1 && errno == ELOOP && exists(fd, "f") &&
	    exists(tfd, "deep/d/d"),
	    "walk_remove fails with ELOOP there too");
	if (unlinkat(fd, "f", 0) == -1)
		die("f");
	close(fd);
	tap_ok(walk_remove(tfd, "deep", 0) == 0 && !exists(tfd, "deep"),
	    "walk_remove removes a tree WALK_MAXDEPTH deep");

	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	close(mkchain("long", longname, 20));
	rec_init(&r);
	r.quiet = 1;
	errno = 0;
	rv = walk_tree(tfd, "long", 0, record, &r);
	tap_ok(rv == -1 && errno == ENAMETOOLONG,
	    "paths beyond PATH_MAX fail with ENAMETOOLONG");
	tap_ok(walk_remove(tfd, "long", 0) == 0 && !exists(tfd, "long"),
	    "walk_remove needs no paths: it removes that tree");
	tap_ok(nextfd() == fd0, "no descriptor leaked at the limits");
}

static void
test_remove(void)
{
	int fd0 = nextfd(), rv, ok;

	errno = 0;
	rv = walk_remove(tfd, "tree", 0);
	tap_ok(rv == 0 && !exists(tfd, "tree"),
	    "walk_remove removes a tree with symlinks and hostile names");
	tap_ok(count(tfd, "outside") == 3,
	    "the symlinks' targets outside are untouched");

	mkl(tfd, "outside", "ldir");
	mkl(tfd, "outside", "ldir2");
	rv = walk_remove(tfd, "ldir/", 0);
	tap_ok(rv == 0 && !exists(tfd, "ldir") && count(tfd, "outside") == 3,
	    "walk_remove on \"link/\" removes the link only");
	rv = walk_remove(tfd, "ldir2", 0);
	tap_ok(rv == 0 && !exists(tfd, "ldir2") && count(tfd, "outside") == 3,
	    "walk_remove on a symlink to a directory removes the link only");

	mkf(tfd, "plain");
	mkd(tfd, "emptydir");
	tap_ok(walk_remove(tfd, "plain", 0) == 0 && !exists(tfd, "plain") &&
	    walk_remove(tfd, "emptydir", 0) == 0 && !exists(tfd, "emptydir"),
	    "walk_remove removes a file and an empty directory");

	errno = 0;
	rv = walk_remove(tfd, "missing", 0);
	tap_ok(rv == -1 && errno == ENOENT, "a missing name fails with ENOENT");

	ok = 1;
	errno = 0;
	ok &= walk_remove(tfd, ".", 0) == -1 && errno == EINVAL;
	errno = 0;
	ok &= walk_remove(tfd, "..", 0) == -1 && errno == EINVAL;
	errno = 0;
	ok &= walk_remove(tfd, "outside/.", 0) == -1 && errno == EINVAL;
	errno = 0;
	ok &= walk_remove(tfd, "outside/sub/../", 0) == -1 && errno == EINVAL;
	errno = 0;
	ok &= walk_remove(AT_FDCWD, "//", 0) == -1 && errno == EINVAL;
	tap_ok(ok && count(tfd, "outside") == 3,
	    "\"/\", \".\" and \"..\" are refused with EINVAL");
	tap_ok(nextfd() == fd0, "no descriptor leaked by walk_remove");
}

static void
test_open(void)
{
	struct stat st;
	int fd0 = nextfd(), fd, ok;

	mkd(tfd, "wo");
	mkd(tfd, "wo/a");
	mkd(tfd, "wo/a/b");
	mkf(tfd, "wo/a/b/f");
	mkl(tfd, "a/b", "wo/l");
	mkl(tfd, "f", "wo/a/b/lf");

	fd = walk_open(tfd, "wo/a/b/f", O_RDONLY);
	tap_ok(fd != -1 && fstat(fd, &st) == 0 &&
	    st.st_ino == inode(tfd, "wo/a/b/f") &&
	    (fcntl(fd, F_GETFD) & FD_CLOEXEC),
	    "walk_open opens a nested path, close-on-exec");
	if (fd != -1)
		close(fd);
	errno = 0;
	fd = walk_open(tfd, "wo/l/f", O_RDONLY);
	ok = fd == -1 && (errno == ELOOP || errno == ENOTDIR);
	errno = 0;
	fd = walk_open(tfd, "wo/a/b/lf", O_RDONLY);
	tap_ok(ok && fd == -1 && (errno == ELOOP || errno == ENOTDIR),
	    "walk_open follows no symlink, inside or last");
	errno = 0;
	ok = walk_open(tfd, "wo/a/../a/b/f", O_RDONLY) == -1 && errno == EXDEV;
	errno = 0;
	ok &= walk_open(tfd, "/etc/passwd", O_RDONLY) == -1 && errno == EXDEV;
	tap_ok(ok, "walk_open refuses \"..\" and absolute paths with EXDEV");
	tap_ok(nextfd() == fd0 && walk_remove(tfd, "wo", 0) == 0,
	    "no descriptor leaked by walk_open");
}

/*
 * The deterministic swap: a fanotify listener holds walk_remove's open of
 * the first subdirectory and, meanwhile, replaces every other one (read
 * by then as DT_DIR) with a symlink to the victim.
 */
static void
fan_child(int wfd, int donefd, int treefd, int awayfd, const char *victim)
{
	struct fanotify_event_metadata buf[64], *md;
	struct fanotify_response resp;
	struct pollfd pfd[2];
	struct stat st;
	char name[16];
	ssize_t len;
	int fan, i, swapped = 0, fired = 0;

	fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC,
	    O_RDONLY | O_CLOEXEC);
	if (fan == -1) {
		dprintf(wfd, "S fanotify_init: %s\n", strerror(errno));
		_exit(0);
	}
	for (i = 0; i < NFANDIRS; i++) {
		snprintf(name, sizeof(name), "d%02d", i);
		if (fanotify_mark(fan, FAN_MARK_ADD, FAN_OPEN_PERM | FAN_ONDIR,
		    treefd, name) == -1) {
			dprintf(wfd, "S fanotify_mark: %s\n", strerror(errno));
			_exit(0);
		}
	}
	dprintf(wfd, "R\n");
	pfd[0].fd = fan;
	pfd[0].events = POLLIN;
	pfd[1].fd = donefd;
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) == -1)
			continue;
		if (pfd[1].revents)
			break;
		if ((len = read(fan, buf, sizeof(buf))) <= 0)
			continue;
		for (md = buf; FAN_EVENT_OK(md, len);
		    md = FAN_EVENT_NEXT(md, len)) {
			if (!fired && fstat(md->fd, &st) == 0) {
				fired = 1;
				for (i = 0; i < NFANDIRS; i++) {
					snprintf(name, sizeof(name), "d%02d",
					    i);
					if (inode(treefd, name) == st.st_ino)
						continue;
					if (renameat(treefd, name, awayfd,
					    name) == 0 && symlinkat(victim,
					    treefd, name) == 0)
						swapped++;
				}
			}
			resp.fd = md->fd;
			resp.response = FAN_ALLOW;
			if (write(fan, &resp, sizeof(resp)) == -1)
				_exit(1);
			close(md->fd);
		}
	}
	dprintf(wfd, "%d\n", swapped);
	_exit(0);
}

static void
test_fanotify(void)
{
	char line[256], victim[PATH_MAX + 16], name[16];
	FILE *rf;
	pid_t pid;
	int res[2], done[2], treefd, awayfd, i, j, rv, swapped = -1;
	long moved = 0;

	mkd(tfd, "fan");
	mkd(tfd, "fan/tree");
	mkd(tfd, "fan/away");
	mkd(tfd, "fan/victim");
	for (i = 0; i < 20; i++) {
		snprintf(line, sizeof(line), "fan/victim/v%02d", i);
		mkf(tfd, line);
	}
	for (i = 0; i < NFANDIRS; i++)
		for (j = 0; j < 4; j++) {
			snprintf(line, sizeof(line), "fan/tree/d%02d", i);
			if (j == 0)
				mkd(tfd, line);
			snprintf(line, sizeof(line), "fan/tree/d%02d/f%d", i,
			    j);
			mkf(tfd, line);
		}
	snprintf(victim, sizeof(victim), "%s/fan/victim", tmp);
	treefd = openat(tfd, "fan/tree", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	awayfd = openat(tfd, "fan/away", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (treefd == -1 || awayfd == -1 || pipe2(res, O_CLOEXEC) == -1 ||
	    pipe2(done, O_CLOEXEC) == -1)
		die("fan setup");
	if ((pid = fork()) == -1)
		die("fork");
	if (pid == 0) {
		close(res[0]);
		close(done[1]);
		fan_child(res[1], done[0], treefd, awayfd, victim);
	}
	close(res[1]);
	close(done[0]);
	if ((rf = fdopen(res[0], "r")) == NULL)
		die("fdopen");
	line[0] = '\0';
	if (fgets(line, sizeof(line), rf) == NULL || line[0] != 'R') {
		close(done[1]);
		waitpid(pid, NULL, 0);
		line[strcspn(line, "\n")] = '\0';
		tap_skip(2, line[0] == 'S' ? line + 2 : "no fanotify");
		fclose(rf);
		close(treefd);
		close(awayfd);
		walk_remove(tfd, "fan", 0);
		return;
	}
	rv = walk_remove(tfd, "fan/tree", 0);
	close(done[1]);
	if (fgets(line, sizeof(line), rf) != NULL)
		swapped = atoi(line);
	fclose(rf);
	waitpid(pid, NULL, 0);
	for (i = 0; i < NFANDIRS; i++) {
		snprintf(name, sizeof(name), "d%02d", i);
		moved += count(awayfd, name) == 4;
	}
	tap_ok(rv == 0 && !exists(tfd, "fan/tree") && swapped == NFANDIRS - 1,
	    "fanotify: walk_remove copes with %d directories swapped for "
	    "symlinks after it read them", swapped);
	tap_ok(count(tfd, "fan/victim") == 20 && moved == NFANDIRS - 1,
	    "fanotify: the victim and the directories moved out are intact");
	close(treefd);
	close(awayfd);
	if (walk_remove(tfd, "fan", 0) == -1)
		die("remove fan");
}

/*
 * Build st/tree: NSWAPDIRS directories with files and a subdirectory, and
 * for mode 2 the symlinks to exchange them with.
 */
static void
mkswaptree(int mode)
{
	char p[64];
	int i, j;

	mkd(tfd, "st/tree");
	mkd(tfd, "st/away");
	for (i = 0; i < NSWAPDIRS; i++) {
		snprintf(p, sizeof(p), "st/tree/d%03d", i);
		mkd(tfd, p);
		for (j = 0; j < 5; j++) {
			snprintf(p, sizeof(p), "st/tree/d%03d/f%d", i, j);
			mkh(tfd, p);
		}
		snprintf(p, sizeof(p), "st/tree/d%03d/s", i);
		mkd(tfd, p);
		snprintf(p, sizeof(p), "st/tree/d%03d/s/g", i);
		mkh(tfd, p);
		if (mode == 2 || (mode == 3 && i < 4)) {
			snprintf(p, sizeof(p), "st/away/l%03d", i);
			mkl(tfd, "../victim", p);
		}
	}
}

/*
 * The attacker: swaps directories of the tree for symlinks to the victim
 * until killed.  Mode 0 renames each directory away once and puts a
 * symlink in its place; mode 1 flips a nested directory and a symlink with
 * RENAME_EXCHANGE; mode 2 flips top-level directories that way; mode 3
 * flips only four of them, each many times during one pass of a walk.
 */
static void
swapper(int mode, int readyfd)
{
	char a[64], b[64], done[NSWAPDIRS] = { 0 };
	unsigned i, k;

	if (write(readyfd, "r", 1) != 1)
		_exit(1);
	for (i = 0;; i++) {
		k = (i * 7919) % NSWAPDIRS;
		switch (mode) {
		case 0:
			if (done[k])
				break;
			done[k] = 1;
			snprintf(a, sizeof(a), "st/tree/d%03u", k);
			snprintf(b, sizeof(b), "st/away/d%03u", k);
			if (renameat(tfd, a, tfd, b) == 0)
				symlinkat("../victim", tfd, a);
			break;
		case 1:
			/* A symlink at tree/dK/s points two levels up. */
			snprintf(a, sizeof(a), "st/tree/d%03u/s", k);
			snprintf(b, sizeof(b), "st/away/n%03u", k);
			if (!exists(tfd, b))
				symlinkat("../../victim", tfd, b);
			syscall(SYS_renameat2, tfd, a, tfd, b,
			    RENAME_EXCHANGE);
			break;
		case 2:
		case 3:
			if (mode == 3)
				k = i % 4;
			snprintf(a, sizeof(a), "st/tree/d%03u", k);
			snprintf(b, sizeof(b), "st/away/l%03u", k);
			syscall(SYS_renameat2, tfd, a, tfd, b,
			    RENAME_EXCHANGE);
			break;
		}
	}
}

static pid_t
start_swapper(int mode)
{
	char c;
	pid_t pid;
	int p[2];

	if (pipe2(p, O_CLOEXEC) == -1)
		die("pipe");
	if ((pid = fork()) == -1)
		die("fork");
	if (pid == 0) {
		/* Not to outlive a test that bails out. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		swapper(mode, p[1]);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		die("swapper");
	close(p[0]);
	return pid;
}

static void
stop_swapper(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void
test_stress(void)
{
	struct stat st;
	ino_t vsub;
	struct rec r;
	char p[64];
	pid_t pid;
	int round, i, j, rv, intact = 1, gone = 1, entered = 0;
	int fd0 = nextfd();
	long n;

	mkd(tfd, "st");
	mkd(tfd, "st/victim");
	mkd(tfd, "st/victim/vsub");
	for (i = 0; i < 100; i++) {
		snprintf(p, sizeof(p), "st/victim/v%03d", i);
		mkf(tfd, p);
	}
	for (i = 0; i < 10; i++) {
		snprintf(p, sizeof(p), "st/victim/vsub/w%d", i);
		mkf(tfd, p);
	}
	if (fstatat(tfd, "st/victim", &st, 0) == -1)
		die("victim");
	vsub = inode(tfd, "st/victim/vsub");

	for (round = 0; round < NROUNDS; round++) {
		mkswaptree(round % 3);
		pid = start_swapper(round % 3);
		rv = walk_remove(tfd, "st/tree", 0);
		stop_swapper(pid);
		if ((n = count(tfd, "st/victim")) != NVICTIM) {
			intact = 0;
			tap_diag("round %d: victim has %ld entries", round, n);
		}
		if (rv == -1)
			tap_diag("round %d (mode %d): walk_remove: %s", round,
			    round % 3, strerror(errno));
		/* What the attacker left behind is removed in peace. */
		if ((exists(tfd, "st/tree") && walk_remove(tfd, "st/tree",
		    0) == -1) || walk_remove(tfd, "st/away", 0) == -1 ||
		    exists(tfd, "st/tree"))
			gone = 0;
	}
	tap_ok(intact, "%d rounds of walk_remove against a swapping "
	    "attacker: the victim is intact", NROUNDS);
	tap_ok(gone, "and the trees are removed");

	for (round = 0; round < 2; round++) {
		mkswaptree(round * 3);
		pid = start_swapper(round * 3);
		for (j = 0; j < (round ? NWALKS : 3); j++) {
			rec_init(&r);
			r.quiet = 1;
			r.fdev = st.st_dev;
			r.forbid[0] = st.st_ino;
			r.forbid[1] = vsub;
			rv = walk_tree(tfd, "st/tree", 0, record, &r);
			if (rv == -1 || r.bad) {
				entered++;
				tap_diag("walk_tree under attack: %s, %s",
				    rv == -1 ? strerror(errno) : "ok",
				    r.bad ? r.why : "consistent");
			}
		}
		stop_swapper(pid);
		if (walk_remove(tfd, "st/tree", 0) == -1 ||
		    walk_remove(tfd, "st/away", 0) == -1)
			die("remove st");
	}
	tap_ok(entered == 0, "walk_tree against a swapping attacker never "
	    "enters the victim");
	tap_ok(count(tfd, "st/victim") == NVICTIM && nextfd() == fd0,
	    "victim intact, no descriptor leaked under attack");
	if (walk_remove(tfd, "st", 0) == -1)
		die("remove st");
}

static void
test_big(void)
{
	struct rec r;
	char p[64];
	double t;
	int i, j, fd, rv;

	mkd(tfd, "big");
	for (i = 0; i < NBIGDIRS; i++) {
		snprintf(p, sizeof(p), "big/d%03d", i);
		mkd(tfd, p);
		if ((fd = openat(tfd, p, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1)
			die(p);
		for (j = 0; j < NBIGFILES; j++) {
			snprintf(p, sizeof(p), "file-%05d", (j * 37) %
			    NBIGFILES);
			mkh(fd, p);
		}
		close(fd);
	}
	rec_init(&r);
	r.quiet = 1;
	t = now();
	rv = walk_tree(tfd, "big", 0, record, &r);
	t = now() - t;
	tap_ok(rv == 0 && r.nother == NBIGDIRS * NBIGFILES &&
	    r.npre == NBIGDIRS + 1 && r.npost == NBIGDIRS + 1,
	    "walk_tree visits all %d files", NBIGDIRS * NBIGFILES);
	tap_diag("walk_tree: %ld entries in %.3f s", r.nother + r.npre, t);
	t = now();
	rv = walk_remove(tfd, "big", 0);
	t = now() - t;
	tap_ok(rv == 0 && !exists(tfd, "big"), "walk_remove removes them all");
	tap_diag("walk_remove: %.3f s", t);
}

static int
writefile(const char *path, const char *s)
{
	int fd, ok;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

/* Runs in a child, in a mount namespace of its own: writes the results. */
static void
xdev_child(int wfd)
{
	struct rec r;
	struct stat st1, st2;
	char m[PATH_MAX + 16], n[PATH_MAX + 16], src[PATH_MAX + 16];
	char n2[PATH_MAX + 16];
	char ok[NXDEV + 1], s[64];
	uid_t uid = getuid();
	gid_t gid = getgid();
	int rv;

	if (uid != 0) {
		/* An unprivileged user may mount in a namespace of its own. */
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) == -1) {
			dprintf(wfd, "S unshare(CLONE_NEWUSER): %s\n",
			    strerror(errno));
			_exit(0);
		}
		writefile("/proc/self/setgroups", "deny");
		snprintf(s, sizeof(s), "0 %u 1", (unsigned)uid);
		if (writefile("/proc/self/uid_map", s) == -1) {
			dprintf(wfd, "S uid_map: %s\n", strerror(errno));
			_exit(0);
		}
		snprintf(s, sizeof(s), "0 %u 1", (unsigned)gid);
		writefile("/proc/self/gid_map", s);
	} else if (unshare(CLONE_NEWNS) == -1) {
		dprintf(wfd, "S unshare(CLONE_NEWNS): %s\n", strerror(errno));
		_exit(0);
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1) {
		dprintf(wfd, "S private mounts: %s\n", strerror(errno));
		_exit(0);
	}
	snprintf(m, sizeof(m), "%s/x/tree/m", tmp);
	snprintf(n, sizeof(n), "%s/x/tree/n", tmp);
	snprintf(src, sizeof(src), "%s/x/bsrc", tmp);
	if (mount("tmpfs", m, "tmpfs", 0, "size=1m") == -1) {
		dprintf(wfd, "S mount tmpfs: %s\n", strerror(errno));
		_exit(0);
	}
	snprintf(n2, sizeof(n2), "%s/x/tree2/d/n2", tmp);
	if (mount(src, n, NULL, MS_BIND, NULL) == -1 ||
	    mount(src, n2, NULL, MS_BIND, NULL) == -1) {
		dprintf(wfd, "S bind mount: %s\n", strerror(errno));
		_exit(0);
	}
	/* tfd belongs to the old namespace, which does not see the mounts. */
	close(tfd);
	if ((tfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		dprintf(wfd, "S %s: %s\n", tmp, strerror(errno));
		_exit(0);
	}
	mkf(tfd, "x/tree/m/inside");

	memset(ok, '0', NXDEV);
	ok[NXDEV] = '\0';
	rec_init(&r);
	rv = walk_tree(tfd, "x/tree", WALK_XDEV, record, &r);
	ok[0] = '0' + (rv == 0 && strcmp(r.s, "D;Oa;Mm;Mn;Oz;U;") == 0);
	if (ok[0] == '0')
		dprintf(wfd, "# WALK_XDEV: %d %s\n", rv, r.s);
	ok[1] = '0' + (!r.bad && r.nmount == 2);
	rec_init(&r);
	rv = walk_tree(tfd, "x/tree", 0, record, &r);
	ok[2] = '0' + (rv == 0 && strcmp(r.s,
	    "D;Oa;Dm;Om/inside;Um;Dn;On/bfile;Un;Oz;U;") == 0);
	if (ok[2] == '0')
		dprintf(wfd, "# no WALK_XDEV: %d %s\n", rv, r.s);
	ok[3] = '0' + (fstatat(tfd, "x/tree", &st1, 0) == 0 &&
	    fstatat(tfd, "x/tree/n", &st2, 0) == 0 && st1.st_dev == st2.st_dev);
	errno = 0;
	rv = walk_remove(tfd, "x/tree", WALK_XDEV);
	ok[4] = '0' + (rv == -1 && errno == EXDEV);
	if (ok[4] == '0')
		dprintf(wfd, "# walk_remove: %d %s\n", rv, strerror(errno));
	ok[5] = '0' + (exists(tfd, "x/tree/m/inside") &&
	    exists(tfd, "x/tree/n/bfile") && exists(tfd, "x/bsrc/bfile"));
	errno = 0;
	rv = walk_remove(tfd, "x/tree2", WALK_XDEV);
	ok[6] = '0' + (rv == -1 && errno == EXDEV &&
	    exists(tfd, "x/bsrc/bfile") && exists(tfd, "x/tree2/d/n2/bfile"));
	dprintf(wfd, "%s\n", ok);
	_exit(0);
}

static void
test_xdev(void)
{
	static const char *what[NXDEV] = {
		"WALK_XDEV: a tmpfs and a bind mount are WALK_MOUNT, not "
		    "entered",
		"WALK_MOUNT entries have fd -1 and a directory's stat",
		"without WALK_XDEV both mounts are entered",
		"the bind mount has the same st_dev: told by mount id",
		"walk_remove with WALK_XDEV fails with EXDEV",
		"and leaves the mounts' contents",
		"a same-filesystem bind mount alone makes walk_remove fail "
		    "with EXDEV too",
	};
	char line[256];
	FILE *rf;
	pid_t pid;
	int p[2], i, got = 0;

	mkd(tfd, "x");
	mkd(tfd, "x/tree");
	mkf(tfd, "x/tree/a");
	mkd(tfd, "x/tree/m");
	mkd(tfd, "x/tree/n");
	mkf(tfd, "x/tree/z");
	mkd(tfd, "x/bsrc");
	mkf(tfd, "x/bsrc/bfile");
	mkd(tfd, "x/tree2");
	mkd(tfd, "x/tree2/d");
	mkf(tfd, "x/tree2/d/f");
	mkd(tfd, "x/tree2/d/n2");
	if (pipe2(p, O_CLOEXEC) == -1 || (pid = fork()) == -1)
		die("fork");
	if (pid == 0) {
		close(p[0]);
		xdev_child(p[1]);
	}
	close(p[1]);
	if ((rf = fdopen(p[0], "r")) == NULL)
		die("fdopen");
	while (fgets(line, sizeof(line), rf) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#') {
			tap_diag("%s", line + 2);
		} else if (line[0] == 'S') {
			tap_skip(NXDEV, line + 2);
			got = 1;
		} else if (!got && strlen(line) == NXDEV) {
			for (i = 0; i < NXDEV; i++)
				tap_ok(line[i] == '1', "%s", what[i]);
			got = 1;
		}
	}
	fclose(rf);
	waitpid(pid, NULL, 0);
	if (!got)
		for (i = 0; i < NXDEV; i++)
			tap_ok(0, "%s (the child died)", what[i]);
	/* The namespace, and its mounts, died with the child. */
	if (walk_remove(tfd, "x", 0) == -1)
		die("remove x");
}

int
main(void)
{
	const char *t = getenv("TMPDIR");
	char cwd[PATH_MAX];
	int n;

	if (t == NULL || *t == '\0')
		t = "/tmp";
	if (*t != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			die("getcwd");
		n = snprintf(tmp, sizeof(tmp), "%s/%s/lib-walk.XXXXXX", cwd, t);
	} else
		n = snprintf(tmp, sizeof(tmp), "%s/lib-walk.XXXXXX", t);
	if (n < 0 || (size_t)n >= sizeof(tmp) || mkdtemp(tmp) == NULL)
		die("mkdtemp");
	if ((tfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		die(tmp);
	mkf(tfd, "base");

	tap_plan(17 + 1 + 7 + 8 + 4 + 2 + 4 + 2 + NXDEV);
	test_walk();
	test_walk_swap();
	test_limits();
	test_remove();
	test_open();
	test_fanotify();
	test_stress();
	test_big();
	test_xdev();

	close(tfd);
	if (walk_remove(AT_FDCWD, tmp, 0) == -1)
		tap_diag("cannot remove %s: %s", tmp, strerror(errno));
	return tap_done();
}
