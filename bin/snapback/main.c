/* main.c - snapback: timestamped, atomic, verified snapshots of a file or
 * a tree.  The commands, and the backup directory they work on. */
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
#include "lib/audit.h"
#include "lib/conf.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/lock.h"
#include "lib/manifest.h"
#include "lib/snapdir.h"
#include "lib/time.h"
#include "lib/walk.h"
#include "bin/snapback/snapback.h"

#define SYNOPSIS \
	"snapback create  [-nv] [-d DIR] [-w SECS] [SOURCE]\n" \
	"snapback list    [-d DIR]\n" \
	"snapback verify  [-v] [-d DIR] [NAME|latest|all]\n" \
	"snapback restore [-nv] [-d DIR] [-f] [NAME|latest] [TARGET]\n"

#define MAXWAIT		86400

struct options opt = { "backups", 0, 0, 0, 0 };
volatile sig_atomic_t interrupted;


static void	onsignal(int);
static int	cmd_create(int, char **);
static int	cmd_list(int, char **);
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

void
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
void
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
void
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

/* A -v line for each leftover a cleaning scan removes. */
static void
removed(const char *name, int error, void *arg)
{
	(void)arg;
	if (error != 0) {
		errno = error;
		warn("%s/%s", opt.dir, name);
	} else if (opt.verbose) {
		fprintf(stderr, "remove leftover %s/", opt.dir);
		putesc(stderr, name);
		putc('\n', stderr);
	}
}

/* List the snapshots, removing leftovers with clean; exits on error. */
void
scan(struct snapdir *b, int clean)
{
	if (snapdir_scan(b, clean, removed, NULL) == -1)
		err(EXIT_FAIL, "%s", opt.dir);
}

/*
 * Open the backup directory and read its record.  For create, a missing
 * directory or record is no error (b->fd is -1, or b->source "").
 * Exits on error.
 */
void
open_bdir(struct snapdir *b, int create)
{
	struct stat st;

	if (snapdir_open(b, opt.dir) == -1) {
		b->fd = -1;
		/* create makes it, once the operands are known good. */
		if (errno == ENOENT && create)
			return;
		if (errno == EINVAL)
			err(EXIT_FAIL, "%s/%s", opt.dir, SNAPDIR_RECORD);
		err(EXIT_FAIL, "%s", opt.dir);
	}
	if (b->source[0] == '\0') {
		if (!create)
			errx(EXIT_FAIL, "%s: not a snapback directory "
			    "(no %s; run snapback create first)", opt.dir,
			    SNAPDIR_RECORD);
		return;
	}
	if (stat(b->source, &st) == 0)
		b->isdir = S_ISDIR(st.st_mode);
	if (snapdir_names(b) == -1)
		err(EXIT_FAIL, "%s", b->source);
}

/* The kind of the snapshots decides when the source is absent. */
void
kind_from_snapshots(struct snapdir *b)
{
	if (snapdir_kind(b) == -1)
		err(EXIT_FAIL, "%s", opt.dir);
}

/* Take the directory's lock, held until the process exits. */
static void
lock_bdir(struct snapdir *b)
{
	if (lock_acquire(b->fd, SNAPDIR_LOCK, opt.wait) != -1)
		return;
	if (errno == EWOULDBLOCK) {
		warnx("%s: busy (another run holds %s/%s)", opt.dir, opt.dir,
		    SNAPDIR_LOCK);
		exit(EXIT_BUSY);
	}
	err(EXIT_FAIL, "%s/%s", opt.dir, SNAPDIR_LOCK);
}

/* Resolve NAME|latest to a complete snapshot name; exits if none. */
const char *
resolve(const struct snapdir *b, const char *arg)
{
	static char target[NAME_MAX + 1];
	size_t i;

	if (strcmp(arg, "latest") == 0) {
		snapdir_latest(b, target, sizeof(target));
		if (target[0] == '\0')
			errx(EXIT_FAIL, "%s/%s: no latest snapshot", opt.dir,
			    b->latest);
		arg = target;
	}
	for (i = 0; i < b->nsnap; i++)
		if (strcmp(b->snap[i], arg) == 0) {
			if (!snapdir_complete(b, arg))
				errx(EXIT_FAIL, "%s/%s: incomplete snapshot "
				    "(no manifest)", opt.dir, arg);
			return b->snap[i];
		}
	errx(EXIT_FAIL, "%s/%s: no such snapshot", opt.dir, arg);
}

/*
 * The audit log (AUDITLOG), opened before anything is changed, so that a
 * change that cannot be recorded is not made; a dry run opens nothing.
 */
static struct audit alog;
static int alog_open;

static void
audit_start(void)
{
	const char *log = getenv("AUDITLOG");

	if (log == NULL || *log == '\0' || opt.dry || alog_open)
		return;
	if (audit_open(&alog, log) == -1)
		errx(EXIT_FAIL, "%s: %s; nothing changed", log,
		    audit_strerror(&alog));
	alog_open = 1;
}

/* The one place where snapback's changes reach the audit log: a record
 * of type with two fields and the backup directory.  A change made but
 * not recorded ends the run with status 1. */
static void
audit_change(const char *type, const char *k1, const char *v1,
    const char *k2, const char *v2)
{
	char dir[PATH_MAX];

	if (!alog_open)
		return;
	if (absolute(opt.dir, dir, sizeof(dir)) == -1)
		strcpy(dir, opt.dir);
	if (audit_record(&alog, type, (const char *const[]){ k1, v1, k2, v2,
	    "dir", dir, NULL }) == -1)
		errx(EXIT_FAIL, "%s: %s; the %s %s is not in the audit log",
		    getenv("AUDITLOG"), audit_strerror(&alog), type, v1);
}

/*
 * Snapshot srcroot (a file or a tree, already resolved) into the backup
 * directory.  The name made is put in name.  Returns 0, or -1 with a
 * message printed and nothing left behind.
 */
static int
take_snapshot(struct snapdir *b, const char *srcroot, char *name, size_t size)
{
	struct manifest ref, out;
	struct copier c;
	struct stat st, bst;
	char tmp[NAME_MAX + 1], man[NAME_MAX + 1], stamp[TIME_STAMPLEN];
	const char *prev;
	time_t now;

	manifest_init(&ref);
	manifest_init(&out);
	memset(&c, 0, sizeof(c));
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
	if ((prev = snapdir_newest(b)) != NULL) {
		if (snapdir_manifest(man, prev) == -1 ||
		    manifest_load(&ref, b->fd, man) == -1) {
			warnx("%s/%s: unusable manifest (line %lu); "
			    "copying everything", opt.dir, man, ref.badline);
			manifest_free(&ref);
			prev = NULL;
		}
	}

	/* A name of its own: two runs in one second wait for the next. */
	for (;;) {
		now = time(NULL);
		if (time_stamp(now, stamp) == -1 ||
		    (size_t)snprintf(name, size, "%s_%s%s", b->stem, stamp,
		    b->ext) >= size || snapdir_manifest(man, name) == -1) {
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
	c.mode = opt.dry ? PLAN : CREATE;
	c.bfd = b->fd;
	c.srcroot = srcroot;
	c.name = name;
	c.refname = prev;
	c.ref = &ref;
	c.dstdirfd = b->fd;
	c.dstname = tmp;
	c.dstlabel = opt.dir;
	c.skipdev = bst.st_dev;
	c.skipino = bst.st_ino;
	c.syncfile = !b->isdir;
	if (copy_tree(&c, AT_FDCWD, srcroot) == -1) {
		if (interrupted)
			warnx("%s: interrupted; no snapshot made", srcroot);
		goto fail_tmp;
	}
	if (opt.dry) {
		printf("would snapshot %s into %s: %llu files, %llu bytes "
		    "to copy\n", srcroot, opt.dir, c.files, c.need);
		goto done;
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
	if (copy_manifest(&c, &out) == -1) {
		warn("%s/%s", opt.dir, man);
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
	audit_change("snapshot", "name", name, "source", srcroot);
done:
	copy_free(&c);
	manifest_free(&ref);
	manifest_free(&out);
	return 0;
fail_tmp:
	if (!opt.dry)
		walk_remove(b->fd, tmp, WALK_XDEV);
fail:
	copy_free(&c);
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
	struct snapdir b;
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
	if (b.fd == -1) {
		/* A dry run for a directory still to be made. */
		printf("would create %s and snapshot %s into it\n", opt.dir,
		    real);
		err_flush();
		return EXIT_OK;
	}
	if (!opt.dry) {
		lock_bdir(&b);
		/* Under the lock: a run that waited may find the record
		 * another one wrote meanwhile. */
		if (b.source[0] == '\0' && snapdir_record(&b) == -1)
			err(EXIT_FAIL, "%s/%s", opt.dir, SNAPDIR_RECORD);
		if (b.source[0] != '\0' && strcmp(b.source, path) != 0)
			errx(EXIT_FAIL, "%s: %s holds snapshots of %s, "
			    "not of this source", path, opt.dir, b.source);
	}
	b.isdir = S_ISDIR(st.st_mode);
	if (b.source[0] == '\0') {
		strcpy(b.source, path);
		if (snapdir_names(&b) == -1)
			err(EXIT_FAIL, "%s", path);
		if (!opt.dry) {
			n = strlen(path);
			path[n] = '\n';
			if (atomic_write(b.fd, SNAPDIR_RECORD, path, n + 1,
			    0644) == -1)
				err(EXIT_FAIL, "%s/%s", opt.dir, SNAPDIR_RECORD);
			path[n] = '\0';
		}
	} else if (snapdir_names(&b) == -1)
		err(EXIT_FAIL, "%s", path);
	catch_signals();
	scan(&b, !opt.dry);
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
	struct snapdir b;
	size_t i;
	time_t t;

	(void)argv;
	if (argc != 0)
		usage();
	open_bdir(&b, 0);
	kind_from_snapshots(&b);
	snapdir_latest(&b, latest, sizeof(latest));
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
		    snapdir_complete(&b, b.snap[i]) ? "complete" : "incomplete",
		    strcmp(latest, b.snap[i]) == 0 ? "\t*" : "");
	}
	err_flush();
	return EXIT_OK;
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
	struct snapdir b;
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
		scan(&b, 1);
		if (take_snapshot(&b, target, saved, sizeof(saved)) == -1)
			errx(EXIT_FAIL, "%s: could not snapshot it first; "
			    "nothing restored", target);
		printf("%s/%s\n", opt.dir, saved);
	}

	clean_beside(pfd, base);
	if (atomic_tmpname(tmp, sizeof(tmp), base) == -1)
		err(EXIT_FAIL, "%s", target);
	manifest_init(&m);
	if (snapdir_manifest(saved, name) == -1 || manifest_load(&m, b.fd, saved) == -1)
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
	if (copy_tree(&c, b.fd, name) == -1 || (c.bad && !opt.force)) {
		walk_remove(pfd, tmp, WALK_XDEV);
		if (interrupted)
			errx(EXIT_FAIL, "%s: interrupted; nothing restored",
			    target);
		if (!c.told && !c.bad)
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
	audit_change("restore", "target", target, "name", name);
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
	if (cmds[i].fn == cmd_create || cmds[i].fn == cmd_restore)
		audit_start();
	return cmds[i].fn(argc, argv);
}
