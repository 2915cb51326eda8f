/* util.c - envlink: names, messages, temporaries, atomic
 * replacement of an entry, and whether one directory lies inside another. */
/* SPDX-License-Identifier: ISC */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/atomic.h"
#include "lib/audit.h"
#include "lib/err.h"
#include "lib/lock.h"
#include "lib/mountinfo.h"
#include "bin/envlink/envlink.h"

/* --- names, paths and messages ------------------------------------------ */

/*
 * s with backslash, tab and newline escaped, so that a hostile name keeps
 * a message or a listing on one line.  The result lives until ESCBUFS
 * more calls.
 */
const char *
esc(const char *s)
{
	static char buf[ESCBUFS][2 * PATH_MAX + 16];
	static int next;
	char *p, *end;

	p = buf[next];
	next = (next + 1) % ESCBUFS;
	end = p + sizeof buf[0] - 4;
	for (s = s != NULL ? s : ""; *s != '\0' && p < end; s++) {
		if (*s == '\\' || *s == '\n' || *s == '\t') {
			*p++ = '\\';
			*p++ = *s == '\n' ? 'n' : *s == '\t' ? 't' : '\\';
		} else
			*p++ = *s;
	}
	*p = '\0';
	return buf[(next + ESCBUFS - 1) % ESCBUFS];
}

/*
 * Say what is done: on stdout after "would " with -n, on stderr with -v,
 * nothing otherwise.  The arguments are already escaped.
 */
void __attribute__((format(printf, 1, 2)))
act(const char *fmt, ...)
{
	va_list ap;
	FILE *fp;

	if (!opt.dry && !opt.verbose)
		return;
	fp = opt.dry ? stdout : stderr;
	if (opt.dry)
		fputs("would ", fp);
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	putc('\n', fp);
}

/*
 * The audit log (AUDITLOG), opened before anything is changed: a change
 * that cannot be recorded is not made.  Exits 1 when records cannot be
 * appended to it.  A dry run changes nothing and opens nothing.
 */
static struct audit alog;
static int alog_open, alog_failed;

void
audit_start(void)
{
	const char *log = getenv("AUDITLOG");

	if (log == NULL || *log == '\0' || alog_open || opt.dry)
		return;
	if (audit_open(&alog, log) == -1)
		errx(EXIT_FAIL, "%s: %s; nothing changed", esc(log),
		    audit_strerror(&alog));
	alog_open = 1;
}

/*
 * One record of type for one change made, with the fields given as key,
 * value, ..., NULL (a NULL value leaves its field out).  A record that
 * cannot be written is reported, and audit_failed then says so for the
 * exit status.
 */
void
audit_change(const char *type, ...)
{
	const char *kv[2 * AUDIT_FIELDS + 1], *key, *value;
	va_list ap;
	int n = 0;

	if (!alog_open)
		return;
	/* A field whose value is NULL is left out. */
	va_start(ap, type);
	while (n < 2 * AUDIT_FIELDS && (key = va_arg(ap, const char *)) !=
	    NULL)
		if ((value = va_arg(ap, const char *)) != NULL) {
			kv[n++] = key;
			kv[n++] = value;
		}
	va_end(ap);
	kv[n] = NULL;
	if (audit_record(&alog, type, kv) == 0)
		return;
	warnx("%s: %s; the %s is not in the audit log",
	    esc(getenv("AUDITLOG")), audit_strerror(&alog), type);
	alog_failed = 1;
}

int
audit_failed(void)
{
	return alog_failed;
}

/* The absolute path of path (symlinks kept), or of path/name when name
 * is not NULL, for a record; valid until the next call but one. */
const char *
abspath(const char *path, const char *name)
{
	static char buf[2][PATH_MAX];
	static int next;
	char a[PATH_MAX], *p = buf[next];

	next = !next;
	absolute(path, a, sizeof a);
	if ((size_t)snprintf(p, PATH_MAX, "%s%s%s", a, name == NULL ||
	    strcmp(a, "/") == 0 ? "" : "/", name != NULL ? name : "") >=
	    PATH_MAX) {
		errno = ENAMETOOLONG;
		err(EXIT_FAIL, "%s/%s", esc(path), esc(name));
	}
	return p;
}

/* Whether s is a usable layer or environment name. */
int
name_ok(const char *s)
{
	size_t n;

	if (*s == '\0' || *s == '.' || *s == '-')
		return 0;
	n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-");
	/* (s[n] is in s: n is at most its length.) */
	/* cppcheck-suppress arrayIndexThenCheck */
	return s[n] == '\0' && n <= NAME_LEN;
}

/* Copy path to out without its trailing slashes ("link/" would name
 * what the link points to); "/" stays. */
void
strip(const char *path, char *out, size_t size)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n >= size) {
		errno = ENAMETOOLONG;
		err(EXIT_FAIL, "%s", esc(path));
	}
	memcpy(out, path, n);
	out[n] = '\0';
}

/* Make path absolute and tidy (no "." components, no repeated or trailing
 * slashes) without resolving symlinks.  Exits on error. */
void
absolute(const char *path, char *out, size_t size)
{
	char buf[PATH_MAX], cwd[PATH_MAX], *p, *comp;
	size_t len = 0, n;

	if (*path == '\0')
		errx(EXIT_USAGE, "empty path");
	if (*path != '/') {
		if (getcwd(cwd, sizeof cwd) == NULL)
			err(EXIT_FAIL, "current directory");
		if ((size_t)snprintf(buf, sizeof buf, "%s/%s", cwd, path) >=
		    sizeof buf)
			goto toolong;
	} else if ((size_t)snprintf(buf, sizeof buf, "%s", path) >= sizeof buf)
		goto toolong;
	for (p = buf; (comp = strsep(&p, "/")) != NULL; ) {
		if (*comp == '\0' || strcmp(comp, ".") == 0)
			continue;
		n = strlen(comp);
		if (len + n + 2 > size)
			goto toolong;
		out[len++] = '/';
		memcpy(out + len, comp, n + 1);
		len += n;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return;
toolong:
	errno = ENAMETOOLONG;
	err(EXIT_FAIL, "%s", esc(path));
}

/*
 * Split path (trailing slashes already stripped) into the directory that
 * holds its last component, put in dir[PATH_MAX] and opened (following
 * symlinks), and that component, put in base[size].  Exits on error.
 */
int
opendir_of(const char *path, char *dir, char *base, size_t size)
{
	const char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == path)
		strcpy(dir, "/");
	else {
		memcpy(dir, path, slash - path);
		dir[slash - path] = '\0';
	}
	slash = slash != NULL ? slash + 1 : path;
	if (*slash == '\0' || strcmp(slash, ".") == 0 ||
	    strcmp(slash, "..") == 0)
		errx(EXIT_FAIL, "%s: names no directory entry", esc(path));
	if (strlen(slash) >= size) {
		errno = ENAMETOOLONG;
		err(EXIT_FAIL, "%s", esc(path));
	}
	strcpy(base, slash);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(EXIT_FAIL, "%s", esc(dir));
	return fd;
}

/* ".BASE.SUFFIX" in buf[size]; exits when it does not fit. */
void
beside(char *buf, size_t size, const char *base, const char *suffix)
{
	if ((size_t)snprintf(buf, size, ".%s.%s", base, suffix) >= size ||
	    strlen(buf) > NAME_MAX) {
		errno = ENAMETOOLONG;
		err(EXIT_FAIL, ".%s.%s", esc(base), suffix);
	}
}

const char *
typename(mode_t type)
{
	switch (type & S_IFMT) {
	case S_IFDIR:	return "a directory";
	case S_IFREG:	return "a regular file";
	case S_IFLNK:	return "a symlink";
	case S_IFIFO:	return "a FIFO";
	case S_IFSOCK:	return "a socket";
	}
	return "a device";
}

/* Take the exclusive lock dir/name (dirfd is dir), held until exit, for
 * what label names; busy exits EXIT_BUSY. */
void
lock_or_exit(int dirfd, const char *dir, const char *name,
    const char *label)
{
	if (lock_acquire(dirfd, name, 0) != -1)
		return;
	if (errno == EWOULDBLOCK) {
		warnx("%s: busy (another run holds %s/%s)", esc(label),
		    esc(dir), esc(name));
		exit(EXIT_BUSY);
	}
	err(EXIT_FAIL, "%s/%s", esc(dir), esc(name));
}

/* Whether name is a temporary atomic_tmpname makes for base. */
static int
ourtmp(const char *name, const char *base)
{
	char t[NAME_MAX + 1];
	size_t n = strlen(name);

	if (!atomic_istmp(name) || atomic_tmpname(t, sizeof t, base) == -1)
		return 0;
	return strlen(t) == n && strncmp(t, name, n - 6) == 0;
}

/*
 * Remove what a killed run left in dirfd: temporaries made for one of
 * bases[nbases].  Called under the lock, so that no other run is making
 * them.  Only what envlink makes goes: symlinks, empty directories, and
 * regular files for the record.
 */
void
clean_stale(int dirfd, const char *dirlabel, const char **bases, int nbases)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, i, flag;

	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!atomic_istmp(de->d_name))
			continue;
		for (i = 0; i < nbases; i++)
			if (ourtmp(de->d_name, bases[i]))
				break;
		if (i == nbases || fstatat(dirfd, de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (S_ISLNK(st.st_mode))
			flag = 0;
		else if (S_ISDIR(st.st_mode))
			flag = AT_REMOVEDIR;	/* only if empty: ours are */
		else if (S_ISREG(st.st_mode) && strcmp(bases[i], RECORD) == 0)
			flag = 0;
		else
			continue;
		if (opt.dry)
			act("remove leftover %s/%s", esc(dirlabel),
			    esc(de->d_name));
		else if (unlinkat(dirfd, de->d_name, flag) == 0) {
			act("remove leftover %s/%s", esc(dirlabel),
			    esc(de->d_name));
			audit_change("remove", "path", abspath(dirlabel,
			    de->d_name), "why", "leftover", NULL);
		} else if (errno != ENOENT && errno != ENOTEMPTY &&
		    errno != EEXIST)
			warn("%s/%s", esc(dirlabel), esc(de->d_name));
	}
	closedir(d);
}

/* --- places: is one directory inside another? ---------------------------- */

/* Describe the directory open at fd, whose path is path. */
void
place_of(int fd, const char *path, struct place *p)
{
	char real[PATH_MAX];

	if (fstat(fd, &p->st) == -1)
		err(EXIT_FAIL, "%s", esc(path));
	p->havefs = realpath(path, real) != NULL &&
	    mountinfo_fspath(fd, real, p->fs, sizeof p->fs) == 0;
}

/*
 * Whether the directory open at fd (whose path is path) is top or lies
 * below it: by ".." up to the root, and, for a bind mount, whose ".."
 * leads elsewhere, by their paths on the filesystem.
 */
int
within(int fd, const char *path, const struct place *top)
{
	struct place p;
	struct stat st, up;
	int cur, par, i, found = 0;

	if ((cur = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return 0;
	for (i = 0; i < MAXUP && fstat(cur, &st) == 0; i++) {
		if (st.st_dev == top->st.st_dev &&
		    st.st_ino == top->st.st_ino) {
			found = 1;
			break;
		}
		par = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (par == -1 || fstat(par, &up) == -1 ||
		    (up.st_dev == st.st_dev && up.st_ino == st.st_ino)) {
			if (par != -1)
				close(par);
			break;
		}
		close(cur);
		cur = par;
	}
	close(cur);
	if (found)
		return 1;
	place_of(fd, path, &p);
	return p.havefs && top->havefs && p.st.st_dev == top->st.st_dev &&
	    mountinfo_below(p.fs, top->fs);
}

/* --- replacing an entry atomically --------------------------------------- */

/*
 * Put a symlink to target (or, target NULL, an empty directory) at name
 * in dirfd in place of what is there, which must be of type old (S_IFLNK,
 * or S_IFDIR for an empty directory).  The new entry is made under a
 * temporary name and exchanged with name, so that name never vanishes;
 * the old entry, now under the temporary name, is then removed, or, if it
 * is not what was expected (something raced), exchanged back: nothing is
 * ever lost.  Without RENAME_EXCHANGE, a symlink is renamed over a
 * symlink; another replacement removes the old entry first.  0, or -1
 * with errno (EBUSY: the entry changed meanwhile and was left alone).
 */
int
replace(int dirfd, const char *name, const char *target, mode_t old)
{
	char tmp[NAME_MAX + 1];
	struct stat st;
	int i, r, serrno;

	for (i = 0;; i++) {
		if (atomic_tmpname(tmp, sizeof tmp, name) == -1)
			return -1;
		r = target != NULL ? symlinkat(target, dirfd, tmp) :
		    mkdirat(dirfd, tmp, 0777);
		if (r == 0)
			break;
		if (errno != EEXIST || i == 100)
			return -1;
	}
	if (atomic_exchange(dirfd, tmp, dirfd, name) == -1) {
		if (errno != EINVAL && errno != ENOSYS)
			goto fail;
		/* No exchange here: the best this filesystem allows. */
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			goto fail;
		if ((st.st_mode & S_IFMT) != old) {
			errno = EBUSY;
			goto fail;
		}
		if (!(old == S_IFLNK && target != NULL) &&
		    unlinkat(dirfd, name, old == S_IFDIR ? AT_REMOVEDIR : 0) ==
		    -1)
			goto fail;
		if (renameat(dirfd, tmp, dirfd, name) == -1)
			goto fail;
		return atomic_syncdir(dirfd, NULL);
	}
	/* tmp now holds the old entry. */
	if (fstatat(dirfd, tmp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (st.st_mode & S_IFMT) == old &&
	    unlinkat(dirfd, tmp, old == S_IFDIR ? AT_REMOVEDIR : 0) == 0)
		return 0;
	/* Not ours to remove: put it back. */
	serrno = errno;
	if (atomic_exchange(dirfd, tmp, dirfd, name) == 0) {
		unlinkat(dirfd, tmp, target != NULL ? 0 : AT_REMOVEDIR);
		errno = serrno == ENOTEMPTY ? ENOTEMPTY : EBUSY;
	} else
		errno = serrno;
	return -1;
fail:
	serrno = errno;
	unlinkat(dirfd, tmp, target != NULL ? 0 : AT_REMOVEDIR);
	errno = serrno;
	return -1;
}

