/* lib-tree.c - tests of lib/tree: events, symlinks, depth far beyond
 * PATH_MAX with bounded descriptors, a tree rearranged during the walk,
 * mounts, unreadable directories. */
/* SPDX-License-Identifier: ISC */
#define _GNU_SOURCE	/* unshare, mount */

#include <sys/types.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/tree.h"
#include "tests/tap.h"

#define DEEP		2100	/* levels: paths beyond PATH_MAX */
#define EVERY		10	/* levels with a file and a subdirectory */
#define MOVEDEPTH	100
#define MOVEAT		75	/* the level moved away during the walk */

static char	tmp[PATH_MAX];
static int	tfd;

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

static void
put(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd == -1 || close(fd) == -1)
		die(name);
}

/* Open descriptors of this process. */
static int
nfds(void)
{
	struct dirent *de;
	DIR *dp;
	int n = 0;

	if ((dp = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dp);
	return n - 1;
}

/* Events of a whole walk of dir as "X:path\n" lines (X one of F D P M E),
 * in the order seen; checks that DIR and POST pair up. */
struct log {
	char	 s[16384];
	size_t	 len;
	int	 bad;
	int	 nerr;
	int	 lasterr;
};

static void
logwalk(int dfd, const char *dir, int flags, const char *skip,
    struct log *lg)
{
	struct tree_entry *e;
	struct tree *t;
	size_t open = 0;
	int fd, ev;
	char c;

	memset(lg, 0, sizeof(*lg));
	if ((fd = openat(dfd, dir, O_RDONLY | O_DIRECTORY)) == -1)
		die(dir);
	if (tree_open(&t, fd, flags) == -1)
		die("tree_open");
	while ((ev = tree_next(t, &e)) > 0) {
		c = "?FDPME"[ev];
		lg->len += (size_t)snprintf(lg->s + lg->len,
		    sizeof(lg->s) - lg->len, "%c:%s%s\n", c, e->path,
		    (ev == TREE_DIR || ev == TREE_POST) && e->mountroot ?
		    " (mount)" : "");
		if (ev == TREE_DIR) {
			if (e->fd < 0 || !S_ISDIR(e->st.st_mode))
				lg->bad = 1;
			if (skip != NULL && strcmp(e->path, skip) == 0)
				tree_skip(t);
			else
				open++;
		} else if (ev == TREE_POST) {
			if (open-- == 0 || e->dirfd < 0)
				lg->bad = 1;
		} else if (ev == TREE_ERROR) {
			lg->nerr++;
			lg->lasterr = e->error;
		} else if (ev == TREE_FILE) {
			if (e->fd != -1 || tree_stat(t, e) == -1 ||
			    S_ISDIR(e->st.st_mode))
				lg->bad = 1;
		}
	}
	if (ev == -1 || open != 0)
		lg->bad = 1;
	tree_close(t);
	close(fd);
}

/* Position of a line in the log (for order checks), or -1. */
static long
pos(const struct log *lg, const char *line)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "\n%s\n", line);
	if (strncmp(lg->s, buf + 1, strlen(buf + 1)) == 0)
		return 0;
	p = strstr(lg->s, buf);
	return p == NULL ? -1 : p - lg->s + 1;
}

/* Whether line is one of the log's. */
static int
has(const struct log *lg, const char *line)
{
	return pos(lg, line) != -1;
}

static int
lines(const struct log *lg)
{
	size_t i;
	int n = 0;

	for (i = 0; i < lg->len; i++)
		n += lg->s[i] == '\n';
	return n;
}

static void
basic(void)
{
	struct log lg;
	int fd;

	mkdirat(tfd, "t", 0755);
	fd = openat(tfd, "t", O_RDONLY | O_DIRECTORY);
	put(fd, "a");
	mkdirat(fd, "b", 0755);
	put(fd, "b/c");
	mkdirat(fd, "b/d", 0755);
	put(fd, "b/d/e");
	mkdirat(fd, "empty", 0755);
	symlinkat("b", fd, "l");
	symlinkat("/", fd, "root");
	mkfifoat(fd, "fifo", 0644);
	put(fd, "name\nwith\ttabs");

	logwalk(tfd, "t", 0, NULL, &lg);
	tap_ok(!lg.bad && lg.nerr == 0, "a walk pairs every DIR with a POST");
	/* 13 events, one of them a name with a newline. */
	tap_ok(lines(&lg) == 14 && has(&lg, "F:a") && has(&lg, "D:b") &&
	    has(&lg, "F:b/c") && has(&lg, "D:b/d") && has(&lg, "F:b/d/e") &&
	    has(&lg, "P:b/d") && has(&lg, "P:b") && has(&lg, "D:empty") &&
	    has(&lg, "P:empty") && has(&lg, "F:fifo") &&
	    has(&lg, "F:name\nwith\ttabs"), "every entry is reported once");
	tap_ok(has(&lg, "F:l") && has(&lg, "F:root") &&
	    pos(&lg, "F:l/c") == -1, "symlinks are files, never followed");
	tap_ok(pos(&lg, "D:b") < pos(&lg, "F:b/c") &&
	    pos(&lg, "F:b/d/e") < pos(&lg, "P:b/d") &&
	    pos(&lg, "P:b/d") < pos(&lg, "P:b"), "a directory comes before "
	    "its entries, its POST after them");

	logwalk(tfd, "t", 0, "b", &lg);
	tap_ok(!lg.bad && has(&lg, "D:b") && pos(&lg, "F:b/c") == -1 &&
	    pos(&lg, "P:b") == -1 && lines(&lg) == 9,
	    "tree_skip keeps the walk out of a directory, without POST");
	close(fd);
}

/* A chain d/d/d... of n levels with a file f and a directory s holding g
 * at every extras-th level (none if 0); dies on failure. */
static void
chain(int dfd, const char *top, int n, int extras)
{
	int fd, next, i;

	mkdirat(dfd, top, 0755);
	if ((fd = openat(dfd, top, O_RDONLY | O_DIRECTORY)) == -1)
		die(top);
	for (i = 0; i < n; i++) {
		if (extras > 0 && i % extras == 0) {
			put(fd, "f");
			mkdirat(fd, "s", 0755);
			put(fd, "s/g");
		}
		if (mkdirat(fd, "d", 0755) == -1 ||
		    (next = openat(fd, "d", O_RDONLY | O_DIRECTORY)) == -1)
			die("d");
		close(fd);
		fd = next;
	}
	put(fd, "bottom");
	close(fd);
}

static void
deep(void)
{
	struct tree_entry *e;
	struct tree *t;
	long nf = 0, nd = 0, np = 0, ne = 0, ng = 0;
	size_t maxpath = 0, maxdepth = 0;
	int fd, ev, base, maxfds = 0, n, bad = 0;

	chain(tfd, "deep", DEEP, EVERY);
	base = nfds();
	fd = openat(tfd, "deep", O_RDONLY | O_DIRECTORY);
	if (tree_open(&t, fd, 0) == -1)
		die("tree_open");
	while ((ev = tree_next(t, &e)) > 0) {
		switch (ev) {
		case TREE_FILE:
			nf++;
			if (strcmp(e->name, "g") == 0)
				ng++;
			if (e->pathlen != strlen(e->path))
				bad++;
			if (e->pathlen > maxpath)
				maxpath = e->pathlen;
			if (e->depth > maxdepth)
				maxdepth = e->depth;
			/* The entry can be reached by its dirfd. */
			if (tree_stat(t, e) == -1)
				bad++;
			if ((n = nfds()) > maxfds)
				maxfds = n;
			break;
		case TREE_DIR:
			nd++;
			break;
		case TREE_POST:
			np++;
			break;
		default:
			ne++;
		}
	}
	tap_ok(ev == 0 && ne == 0 && bad == 0, "a walk of %d levels ends "
	    "without error", DEEP);
	tap_ok(nf == 2L * (DEEP / EVERY) + 1 && ng == DEEP / EVERY &&
	    nd == DEEP + DEEP / EVERY && np == nd, "it reports all %ld files "
	    "and %ld directories", 2L * (DEEP / EVERY) + 1,
	    (long)DEEP + DEEP / EVERY);
	tap_ok(maxdepth == DEEP + 1 && maxpath == 2 * DEEP + 6,
	    "paths are whole at depth %zu (%zu bytes, beyond PATH_MAX)",
	    maxdepth, maxpath);
	if (!tap_ok(maxfds - base <= TREE_FDLEVELS + 4, "descriptors stay "
	    "bounded (%d above the %d before)", maxfds - base, base))
		tap_diag("TREE_FDLEVELS is %d", TREE_FDLEVELS);
	tree_close(t);
	close(fd);
	tap_ok(nfds() == base, "tree_close closes everything");
}

/* A deep level moved out of the tree while the walk is below it: the
 * walk must not go on in what is now outside. */
static void
moved(void)
{
	struct tree_entry *e;
	struct tree *t;
	char path[PATH_MAX];
	int fd, ev, i, nerr = 0, outside = 0, after = 0, moved = 0;
	long files = 0;

	chain(tfd, "mv", MOVEDEPTH, 0);
	mkdirat(tfd, "outside", 0755);
	put(tfd, "outside/x");
	/* A file beside the chain at a kept level, walked after the error
	 * only if the walk resumes there. */
	path[0] = '\0';
	for (i = 0; i < 10; i++)
		strcat(path, i ? "/d" : "mv/d");
	strcat(path, "/zz");
	put(tfd, path);
	path[0] = '\0';
	for (i = 0; i < MOVEAT; i++)
		strcat(path, i ? "/d" : "mv/d");

	fd = openat(tfd, "mv", O_RDONLY | O_DIRECTORY);
	if (tree_open(&t, fd, 0) == -1)
		die("tree_open");
	while ((ev = tree_next(t, &e)) > 0) {
		if (ev == TREE_FILE && strcmp(e->name, "bottom") == 0) {
			/* Below MOVEAT now: move that level away. */
			if (renameat(tfd, path, tfd, "outside/moved") == 0)
				moved = 1;
		}
		if (ev == TREE_FILE) {
			files++;
			if (strcmp(e->name, "x") == 0)
				outside = 1;
			if (strcmp(e->name, "zz") == 0 && nerr > 0)
				after = 1;
		}
		if (ev == TREE_ERROR) {
			nerr++;
			if (e->error != EAGAIN || e->why == NULL ||
			    e->depth != MOVEAT - 1)
				tap_diag("error %d at depth %zu: %s", e->error,
				    e->depth, e->why ? e->why : "");
		}
	}
	tap_ok(moved && ev == 0 && nerr == 1, "a level moved out during the "
	    "walk gives one TREE_ERROR (EAGAIN) and the walk ends");
	tap_ok(!outside, "nothing outside the tree is reported");
	tap_ok(after || files >= 1, "the walk goes on from the last kept "
	    "level (%s)", after ? "zz seen after the error" :
	    "zz came first");
	tree_close(t);
	close(fd);
}

/* Runs fn in a child (so that uid and mounts changes stay there) and
 * returns its exit status, or -1 if it could not run. */
static int
child(int (*fn)(void))
{
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0)
		_exit(fn());
	if (waitpid(pid, &st, 0) == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int
unreadable_child(void)
{
	struct log lg;

	if (setgroups(0, NULL) == -1 || setresgid(65534, 65534, 65534) == -1 ||
	    setresuid(65534, 65534, 65534) == -1)
		return 2;
	logwalk(tfd, "perm", 0, NULL, &lg);
	return lg.nerr == 1 && lg.lasterr == EACCES && has(&lg, "F:ok") &&
	    !lg.bad && pos(&lg, "P:locked") == -1 ? 0 : 1;
}

static void
unreadable(void)
{
	int fd;

	if (geteuid() != 0) {
		tap_skip(1, "switching to another user needs root");
		return;
	}
	mkdirat(tfd, "perm", 0755);
	fd = openat(tfd, "perm", O_RDONLY | O_DIRECTORY);
	put(fd, "ok");
	mkdirat(fd, "locked", 0);
	close(fd);
	tap_ok(child(unreadable_child) == 0, "an unreadable directory is one "
	    "TREE_ERROR (EACCES), without POST; the walk goes on");
}

static int
mount_child(void)
{
	struct log lg;
	int fail = 0;

	if (unshare(CLONE_NEWNS) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1) {
		perror("# unshare");
		return 2;
	}
	/* tfd is on a mount of the old namespace: start again by name. */
	if (chdir(tmp) == -1 ||
	    (tfd = open(".", O_RDONLY | O_DIRECTORY)) == -1 ||
	    mount("mnt/src", "mnt/bind", NULL, MS_BIND, NULL) == -1 ||
	    mount("tmpfs", "mnt/tmp", "tmpfs", 0, "size=1m") == -1) {
		perror("# mount");
		return 2;
	}
	put(tfd, "mnt/tmp/t");
	logwalk(tfd, "mnt", 0, NULL, &lg);
	if (!has(&lg, "M:bind") || !has(&lg, "M:tmp") ||
	    pos(&lg, "F:bind/s") != -1 || pos(&lg, "F:tmp/t") != -1 ||
	    !has(&lg, "F:src/s") || lg.bad)
		fail |= 1;
	logwalk(tfd, "mnt", TREE_CROSSFS, NULL, &lg);
	if (!has(&lg, "D:bind (mount)") || !has(&lg, "F:bind/s") ||
	    !has(&lg, "D:tmp (mount)") || !has(&lg, "F:tmp/t") ||
	    !has(&lg, "D:src") || lg.bad)
		fail |= 2;
	return fail;
}

static void
mounts(void)
{
	int r;

	mkdirat(tfd, "mnt", 0755);
	mkdirat(tfd, "mnt/src", 0755);
	put(tfd, "mnt/src/s");
	mkdirat(tfd, "mnt/bind", 0755);
	mkdirat(tfd, "mnt/tmp", 0755);
	if (geteuid() != 0) {
		tap_skip(2, "mounting needs root");
		return;
	}
	r = child(mount_child);
	if (r == 2 || r == -1) {
		tap_skip(2, "no private mount namespace here");
		return;
	}
	tap_ok(!(r & 1), "a bind mount of the same filesystem and a tmpfs "
	    "are TREE_MOUNT, not entered");
	tap_ok(!(r & 2), "with TREE_CROSSFS they are entered, as mount roots");
}

int
main(void)
{
	char cmd[PATH_MAX + 32];

	tap_plan(16);
	snprintf(tmp, sizeof(tmp), "/tmp/lib-tree.XXXXXX");
	if (mkdtemp(tmp) == NULL || chmod(tmp, 0755) == -1 ||
	    (tfd = open(tmp, O_RDONLY | O_DIRECTORY)) == -1)
		die(tmp);
	basic();
	deep();
	moved();
	unreadable();
	mounts();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", tmp);
	return tap_done();
}
