/* lib-atomic.c - unit tests for lib/atomic: real files in a temp dir. */
/* SPDX-License-Identifier: ISC */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/atomic.h"
#include "tests/tap.h"

#ifndef FICLONE
#define FICLONE		_IOW(0x94, 9, int)
#endif

/* Not a multiple of any buffer size. */
#define BIGSIZE		(3 * 1024 * 1024 + 12345)
#define SWAPS		1000

static char	 tmpdir[PATH_MAX];
static int	 dfd = -1;
static int	 root;

static void
rmtree(int at, const char *name)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	int fd, pass;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlinkat(at, name, 0);
		return;
	}
	/* A test may have left it read-only. */
	fchmodat(at, name, 0700, 0);
	for (pass = 0; pass < 3; pass++) {
		fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd == -1 || (d = fdopendir(fd)) == NULL) {
			if (fd != -1)
				close(fd);
			return;
		}
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 &&
			    strcmp(e->d_name, "..") != 0)
				rmtree(dirfd(d), e->d_name);
		closedir(d);
		if (unlinkat(at, name, AT_REMOVEDIR) == 0 ||
		    errno != ENOTEMPTY)
			return;
	}
}

static void
cleanup(void)
{
	if (tmpdir[0] != '\0')
		rmtree(AT_FDCWD, tmpdir);
}

static void
bail(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);	/* atexit removes the temp dir */
}

/* Deterministic bytes, so that a mismatch can be reproduced. */
static void
fill(unsigned char *buf, size_t len, uint64_t seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		buf[i] = (unsigned char)(seed >> 24);
	}
}

static int
writefile(int at, const char *name, const void *buf, size_t len, mode_t mode)
{
	int fd;

	fd = openat(at, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd == -1)
		return -1;
	if (write(fd, buf, len) != (ssize_t)len || fchmod(fd, mode) == -1) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* Read a whole file into a fresh buffer; its length in *len, or NULL. */
static unsigned char *
readfile(int at, const char *name, size_t *len)
{
	unsigned char *buf;
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd;

	if ((fd = openat(at, name, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size &&
	    (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* Whether file name holds exactly want[len]. */
static int
holds(int at, const char *name, const void *want, size_t len)
{
	unsigned char *buf;
	size_t got;
	int same;

	if ((buf = readfile(at, name, &got)) == NULL)
		return 0;
	same = got == len && memcmp(buf, want, len) == 0;
	free(buf);
	return same;
}

static int
modeof(int at, const char *name)
{
	struct stat st;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	return st.st_mode & 07777;
}

static int
exists(int at, const char *name)
{
	struct stat st;

	return fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Temporary names left in directory dir (relative to dfd; NULL: dfd). */
static int
tmps(const char *dir)
{
	struct dirent *e;
	DIR *d;
	int fd, n = 0;

	fd = openat(dfd, dir != NULL ? dir : ".",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || (d = fdopendir(fd)) == NULL)
		bail("open a test directory");
	while ((e = readdir(d)) != NULL)
		if (atomic_istmp(e->d_name)) {
			tap_diag("left behind: %s", e->d_name);
			n++;
		}
	closedir(d);
	return n;
}

/* The target of symlink name as a string in buf, or NULL. */
static const char *
readlink_(int at, const char *name, char *buf, size_t size)
{
	ssize_t n;

	if ((n = readlinkat(at, name, buf, size - 1)) == -1)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/* -1 with errno want: the outcome of a call that must fail. */
static int
fails(int r, int want)
{
	if (r == -1 && errno == want)
		return 1;
	tap_diag("returned %d, errno %s; want -1, %s", r,
	    r == -1 ? strerror(errno) : "-", strerror(want));
	return 0;
}

static void
test_names(void)
{
	char buf[PATH_MAX], buf2[PATH_MAX], longname[256], utf[256];
	size_t i;

	tap_ok(atomic_tmpname(buf, sizeof buf, "file") == 0 &&
	    strlen(buf) == 12 && strncmp(buf, ".file.", 6) == 0,
	    "tmpname: .file.XXXXXX");
	tap_diag("%s", buf);
	tap_ok(atomic_istmp(buf), "istmp recognizes it");
	tap_ok(atomic_tmpname(buf2, sizeof buf2, "file") == 0 &&
	    strcmp(buf, buf2) != 0, "two tmpnames differ");
	tap_ok(atomic_tmpname(buf, sizeof buf, "sub/dir/f") == 0 &&
	    strlen(buf) == 17 && strncmp(buf, "sub/dir/.f.", 11) == 0 &&
	    atomic_istmp(buf + 8), "tmpname keeps a directory part");

	memset(longname, 'a', 255);
	longname[255] = '\0';
	tap_ok(atomic_tmpname(buf, sizeof buf, longname) == 0 &&
	    strlen(buf) == NAME_MAX && buf[0] == '.' &&
	    strncmp(buf + 1, longname, 247) == 0 && buf[248] == '.' &&
	    atomic_istmp(buf), "a 255-byte target is truncated to NAME_MAX");
	/* 127 two-byte characters: 247 bytes would cut the last in two. */
	for (i = 0; i < 254; i += 2) {
		utf[i] = (char)0xc3;
		utf[i + 1] = (char)0xa9;
	}
	utf[254] = '\0';
	tap_ok(atomic_tmpname(buf, sizeof buf, utf) == 0 &&
	    strlen(buf) == 254 && buf[247] == '.' &&
	    (unsigned char)buf[246] == 0xa9,
	    "truncation does not split a UTF-8 character");
	tap_ok(atomic_tmpname(buf, 10, "abcdef") == 0 &&
	    strlen(buf) == 9 && strncmp(buf, ".a.", 3) == 0,
	    "truncated to the buffer size");
	tap_ok(fails(atomic_tmpname(buf, 9, "abcdef"), ENAMETOOLONG),
	    "no room for one character: ENAMETOOLONG");
	tap_ok(fails(atomic_tmpname(buf, sizeof buf, ""), EINVAL) &&
	    fails(atomic_tmpname(buf, sizeof buf, "dir/"), EINVAL),
	    "an empty last component: EINVAL");

	tap_ok(atomic_istmp(".x.abc123") && atomic_istmp("..x.ABCxyz") &&
	    atomic_istmp(". .000000"), "istmp: shapes accepted");
	tap_ok(!atomic_istmp("file") && !atomic_istmp(".file") &&
	    !atomic_istmp(".file.abcde") && !atomic_istmp(".file.abcde!") &&
	    !atomic_istmp("..abcdef") && !atomic_istmp(".x.abcdefg") &&
	    !atomic_istmp("x.y.abcdef") && !atomic_istmp(".a/b.abcdef") &&
	    !atomic_istmp(".x.abc-12") && !atomic_istmp("") &&
	    !atomic_istmp(NULL), "istmp: other names refused");
}

static void
test_syncdir(void)
{
	tap_ok(atomic_syncdir(dfd, NULL) == 0 &&
	    atomic_syncdir(dfd, ".") == 0 &&
	    atomic_syncdir(AT_FDCWD, NULL) == 0 &&
	    atomic_syncdir(AT_FDCWD, tmpdir) == 0, "syncdir");
	tap_ok(fails(atomic_syncdir(dfd, "nonexistent"), ENOENT),
	    "syncdir of a missing directory: ENOENT");
}

static void
test_write(void)
{
	char longname[256];
	struct stat st;
	int oldfd, r, mode;
	char buf[8];

	umask(077);
	tap_ok(atomic_write(dfd, "w", "hello\n", 6, 0640) == 0 &&
	    holds(dfd, "w", "hello\n", 6), "write creates with the content");
	mode = modeof(dfd, "w");
	tap_ok(mode == 0640, "mode 0640 despite umask 077 (%o)", mode);
	if ((oldfd = openat(dfd, "w", O_RDONLY | O_CLOEXEC)) == -1)
		bail("open w");
	tap_ok(atomic_write(dfd, "w", "bye", 3, 0600) == 0 &&
	    holds(dfd, "w", "bye", 3) && modeof(dfd, "w") == 0600,
	    "write replaces content and mode 0600");
	tap_ok(pread(oldfd, buf, sizeof buf, 0) == 6 &&
	    memcmp(buf, "hello\n", 6) == 0,
	    "a reader of the old file still sees it whole");
	close(oldfd);
	tap_ok(atomic_write(dfd, "w", "", 0, 0644) == 0 &&
	    fstatat(dfd, "w", &st, 0) == 0 && st.st_size == 0 &&
	    (st.st_mode & 07777) == 0644, "write of nothing: empty file");
	r = atomic_write(dfd, "w", "x", 1, 02755);
	mode = modeof(dfd, "w");
	tap_ok(r == 0 && mode == 02755 && holds(dfd, "w", "x", 1),
	    "set-id bits survive the write (%o)", mode);

	if (mkdirat(dfd, "sub", 0700) == -1)
		bail("mkdir sub");
	tap_ok(atomic_write(dfd, "sub/f", "in sub", 6, 0644) == 0 &&
	    holds(dfd, "sub/f", "in sub", 6) && tmps("sub") == 0,
	    "write through a directory part");

	if (writefile(dfd, "target", "T", 1, 0644) == -1 ||
	    symlinkat("target", dfd, "lnk") == -1)
		bail("make target and lnk");
	tap_ok(atomic_write(dfd, "lnk", "new", 3, 0644) == 0 &&
	    fstatat(dfd, "lnk", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) && holds(dfd, "lnk", "new", 3) &&
	    holds(dfd, "target", "T", 1),
	    "a symlink is replaced, its target untouched");

	memset(longname, 'b', 255);
	longname[255] = '\0';
	tap_ok(atomic_write(dfd, longname, "long", 4, 0644) == 0 &&
	    holds(dfd, longname, "long", 4), "write a 255-byte name");

	if (mkdirat(dfd, "isdir", 0700) == -1)
		bail("mkdir isdir");
	tap_ok(fails(atomic_write(dfd, "isdir", "x", 1, 0644), EISDIR),
	    "write over a directory: EISDIR");
	tap_ok(fails(atomic_write(dfd, "nodir/f", "x", 1, 0644), ENOENT),
	    "write into a missing directory: ENOENT");
	tap_ok(fails(atomic_write(-1, "f", "x", 1, 0644), EBADF),
	    "write with a bad dirfd: EBADF");
	tap_ok(tmps(NULL) == 0, "no temporary left after writes");
	umask(022);
}

/* A directory the test user cannot write: every change there must fail
 * and leave nothing. */
static void
test_readonly(void)
{
	const int n = 5;

	if (root) {
		tap_skip(n, "running as root: permission checks do not apply");
		return;
	}
	if (mkdirat(dfd, "ro", 0700) == -1 ||
	    writefile(dfd, "ro/keep", "old", 3, 0644) == -1 ||
	    writefile(dfd, "src", "data", 4, 0644) == -1 ||
	    fchmodat(dfd, "ro", 0500, 0) == -1)
		bail("make ro");
	tap_ok(fails(atomic_write(dfd, "ro/new", "x", 1, 0644), EACCES) &&
	    !exists(dfd, "ro/new"), "write into a read-only dir: EACCES");
	tap_ok(fails(atomic_write(dfd, "ro/keep", "new", 3, 0644), EACCES) &&
	    holds(dfd, "ro/keep", "old", 3),
	    "replace in a read-only dir: EACCES, old content kept");
	tap_ok(fails(atomic_symlink(dfd, "ro/l", "x"), EACCES),
	    "symlink in a read-only dir: EACCES");
	tap_ok(fails(atomic_copy_file(dfd, "src", dfd, "ro/copy"), EACCES) &&
	    !exists(dfd, "ro/copy"), "copy into a read-only dir: EACCES");
	tap_ok(tmps("ro") == 0, "nothing left in the read-only dir");
	fchmodat(dfd, "ro", 0700, 0);
}

static void
test_symlink(void)
{
	struct shared {
		int	stop, ready;
		long	reads, bad, saw[2];
		int	err;
	} volatile *sh;
	struct timespec ms = { 0, 1000000 };
	struct stat st;
	char buf[PATH_MAX];
	ssize_t n;
	pid_t pid;
	int i, r, failed, status;

	r = atomic_symlink(dfd, "link", "a");
	tap_same(r == 0 ? readlink_(dfd, "link", buf, sizeof buf) : NULL, "a",
	    "symlink creates");
	r = atomic_symlink(dfd, "link", "b/c");
	tap_same(r == 0 ? readlink_(dfd, "link", buf, sizeof buf) : NULL,
	    "b/c", "symlink replaces");
	if (mkdirat(dfd, "d", 0700) == -1)
		bail("mkdir d");
	tap_ok(fails(atomic_symlink(dfd, "d", "x"), EISDIR) &&
	    fstatat(dfd, "d", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode) && tmps(NULL) == 0,
	    "symlink over a directory: EISDIR, nothing left");
	if (symlinkat("d", dfd, "dlink") == -1)
		bail("symlink dlink");
	r = atomic_symlink(dfd, "dlink", "link");
	tap_same(r == 0 ? readlink_(dfd, "dlink", buf, sizeof buf) : NULL,
	    "link", "a symlink to a directory is replaced, not entered");

	/* A reader that must never find the name missing or wrong. */
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		bail("mmap");
	if (atomic_symlink(dfd, "cur", "t0") == -1)
		bail("symlink cur");
	if ((pid = fork()) == -1)
		bail("fork");
	if (pid == 0) {
		while (!sh->stop) {
			n = readlinkat(dfd, "cur", buf, sizeof buf);
			if (n == 2 && buf[0] == 't' &&
			    (buf[1] == '0' || buf[1] == '1'))
				sh->saw[buf[1] - '0']++;
			else {
				sh->bad++;
				sh->err = n == -1 ? errno : 0;
			}
			sh->reads++;
			sh->ready = 1;
		}
		_exit(0);
	}
	for (i = 0; !sh->ready && i < 10000; i++)
		nanosleep(&ms, NULL);
	for (failed = i = 0; i < SWAPS; i++)
		if (atomic_symlink(dfd, "cur", i % 2 ? "t0" : "t1") == -1)
			failed++;
	sh->stop = 1;
	waitpid(pid, &status, 0);
	tap_ok(failed == 0, "%d swaps, %d failed", SWAPS, failed);
	if (!tap_ok(sh->bad == 0 && sh->reads > 0 && sh->saw[0] > 0 &&
	    sh->saw[1] > 0, "a concurrent reader always found a valid link"))
		tap_diag("%ld reads, %ld bad (last: %s)", sh->reads, sh->bad,
		    sh->err ? strerror(sh->err) : "wrong target");
	else
		tap_diag("%ld reads: %ld t0, %ld t1", sh->reads, sh->saw[0],
		    sh->saw[1]);
	munmap((void *)sh, sizeof *sh);
	tap_ok(tmps(NULL) == 0, "no temporary left after swaps");
}

static void
test_exchange(void)
{
	int r;

	if (mkdirat(dfd, "x", 0700) == -1 || mkdirat(dfd, "y", 0700) == -1 ||
	    writefile(dfd, "x/id", "x", 1, 0644) == -1 ||
	    writefile(dfd, "y/id", "y", 1, 0644) == -1)
		bail("make x and y");
	r = atomic_exchange(dfd, "x", dfd, "y");
	if (r == -1 && (errno == EINVAL || errno == ENOSYS)) {
		tap_skip(2, "no RENAME_EXCHANGE on this filesystem");
		return;
	}
	tap_ok(r == 0 && holds(dfd, "x/id", "y", 1) &&
	    holds(dfd, "y/id", "x", 1), "exchange two directories");
	tap_ok(fails(atomic_exchange(dfd, "x", dfd, "missing"), ENOENT) &&
	    holds(dfd, "x/id", "y", 1), "exchange with a missing name: ENOENT");
}

static void
test_noreplace(void)
{
	if (writefile(dfd, "r1", "one", 3, 0644) == -1 ||
	    writefile(dfd, "r3", "three", 5, 0644) == -1 ||
	    mkdirat(dfd, "rd1", 0700) == -1)
		bail("make r1 r3 rd1");
	tap_ok(atomic_rename_noreplace(dfd, "r1", dfd, "r2") == 0 &&
	    !exists(dfd, "r1") && holds(dfd, "r2", "one", 3),
	    "rename_noreplace to a free name");
	tap_ok(fails(atomic_rename_noreplace(dfd, "r3", dfd, "r2"), EEXIST) &&
	    holds(dfd, "r2", "one", 3) && holds(dfd, "r3", "three", 5),
	    "rename_noreplace onto an existing name: EEXIST, both kept");
	tap_ok(atomic_rename_noreplace(dfd, "rd1", dfd, "sub/rd2") == 0 &&
	    !exists(dfd, "rd1") && modeof(dfd, "sub/rd2") == 0700,
	    "rename_noreplace moves a directory into another");
}

static int
tmpfd(const char *name)
{
	int fd;

	fd = openat(dfd, name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1)
		bail(name);
	return fd;
}

static void
test_copy_data(unsigned char *big)
{
	unsigned char *pbuf;
	int in, out, p[2], m, r, status;
	off_t inoff, outoff;
	pid_t pid;
	size_t len = 1024 * 1024;

	if (writefile(dfd, "big", big, BIGSIZE, 0644) == -1)
		bail("write big");

	in = openat(dfd, "big", O_RDONLY | O_CLOEXEC);
	out = tmpfd("c1");
	m = 0;
	r = atomic_copy_data(in, out, BIGSIZE, &m);
	tap_ok(r == 0 && (m == ATOMIC_CLONE || m == ATOMIC_RANGE) &&
	    holds(dfd, "c1", big, BIGSIZE),
	    "whole regular file copied by clone or range (method %d)", m);
	tap_ok(lseek(in, 0, SEEK_CUR) == BIGSIZE &&
	    lseek(out, 0, SEEK_CUR) == BIGSIZE, "offsets advanced by size");
	close(out);

	/* From offset 1, FICLONE does not apply: copy_file_range does. */
	lseek(in, 1, SEEK_SET);
	out = tmpfd("c2");
	m = 0;
	r = atomic_copy_data(in, out, BIGSIZE - 1, &m);
	tap_ok(r == 0 && m == ATOMIC_RANGE &&
	    holds(dfd, "c2", big + 1, BIGSIZE - 1),
	    "copy_file_range from an offset (method %d)", m);
	inoff = lseek(in, 0, SEEK_CUR);
	outoff = lseek(out, 0, SEEK_CUR);
	tap_ok(inoff == BIGSIZE && outoff == BIGSIZE - 1,
	    "offsets after copy_file_range");
	close(out);

	/* The clone path, where the filesystem has reflinks. */
	out = tmpfd("c3");
	lseek(in, 0, SEEK_SET);
	if (ioctl(out, FICLONE, in) == -1) {
		tap_skip(1, "no reflink (FICLONE) on this filesystem");
	} else {
		if (ftruncate(out, 0) == -1)
			bail("ftruncate");
		m = 0;
		r = atomic_copy_data(in, out, BIGSIZE, &m);
		tap_ok(r == 0 && m == ATOMIC_CLONE &&
		    holds(dfd, "c3", big, BIGSIZE),
		    "FICLONE (method %d)", m);
	}
	close(out);

	out = tmpfd("c4");
	lseek(in, BIGSIZE - 1000, SEEK_SET);
	tap_ok(fails(atomic_copy_data(in, out, 2000, &m), ENODATA),
	    "a file shorter than size: ENODATA");
	tap_ok(fails(atomic_copy_data(in, out, -1, &m), EINVAL),
	    "negative size: EINVAL");
	lseek(in, 0, SEEK_SET);
	tap_ok(atomic_copy_data(in, out, 0, NULL) == 0 &&
	    lseek(in, 0, SEEK_CUR) == 0, "size 0 copies nothing");
	close(out);
	close(in);

	/* A pipe: only read/write can copy it. */
	if ((pbuf = malloc(len)) == NULL || pipe(p) == -1)
		bail("pipe");
	fill(pbuf, len, 42);
	if ((pid = fork()) == -1)
		bail("fork");
	if (pid == 0) {
		close(p[0]);
		_exit(write(p[1], pbuf, len) == (ssize_t)len ? 0 : 1);
	}
	close(p[1]);
	out = tmpfd("c5");
	m = 0;
	r = atomic_copy_data(p[0], out, len, &m);
	tap_ok(r == 0 && m == ATOMIC_RW && holds(dfd, "c5", pbuf, len),
	    "a pipe is copied by read/write (method %d)", m);
	close(out);
	close(p[0]);
	waitpid(pid, &status, 0);

	if (pipe(p) == -1 || write(p[1], pbuf, 100) != 100)
		bail("pipe");
	close(p[1]);
	out = tmpfd("c6");
	tap_ok(fails(atomic_copy_data(p[0], out, 200, &m), ENODATA),
	    "a pipe that ends early: ENODATA");
	close(out);
	close(p[0]);
	free(pbuf);
}

static void
test_copy_file(unsigned char *big)
{
	struct timespec ts[2] = { { 1000000000, 987654321 },
	    { 1234567890, 123456789 } };
	struct stat st;
	int r;

	umask(077);
	if (fchmodat(dfd, "big", 0751, 0) == -1 ||
	    utimensat(dfd, "big", ts, 0) == -1)
		bail("prepare big");
	/* Stat before reading the copy: the read may move its atime. */
	r = atomic_copy_file(dfd, "big", dfd, "copy");
	if (fstatat(dfd, "copy", &st, 0) == -1)
		memset(&st, 0, sizeof st);
	tap_ok(r == 0 && holds(dfd, "copy", big, BIGSIZE),
	    "copy_file: same bytes");
	tap_ok((st.st_mode & 07777) == 0751, "copy_file: mode 0751 (%o)",
	    (unsigned)st.st_mode & 07777);
	tap_ok(st.st_mtim.tv_sec == ts[1].tv_sec &&
	    st.st_mtim.tv_nsec == ts[1].tv_nsec &&
	    st.st_atim.tv_sec == ts[0].tv_sec &&
	    st.st_atim.tv_nsec == ts[0].tv_nsec,
	    "copy_file: mtime and atime to the nanosecond");
	if (root) {
		if (fchownat(dfd, "big", 4242, 4343, 0) == -1 ||
		    fchmodat(dfd, "big", 06755, 0) == -1)
			bail("chown big");
		tap_ok(atomic_copy_file(dfd, "big", dfd, "copy") == 0 &&
		    fstatat(dfd, "copy", &st, 0) == 0 && st.st_uid == 4242 &&
		    st.st_gid == 4343 && (st.st_mode & 07777) == 06755,
		    "copy_file as root: owner and set-id bits");
	} else
		tap_skip(1, "not root: the owner cannot be given away");

	if (writefile(dfd, "small", "small", 5, 0600) == -1)
		bail("write small");
	tap_ok(atomic_copy_file(dfd, "small", dfd, "copy") == 0 &&
	    holds(dfd, "copy", "small", 5) && modeof(dfd, "copy") == 0600,
	    "copy_file replaces an existing file");
	tap_ok(atomic_copy_file(dfd, "small", dfd, "sub/copy") == 0 &&
	    holds(dfd, "sub/copy", "small", 5),
	    "copy_file into a subdirectory");

	if (symlinkat("small", dfd, "slink") == -1 ||
	    mkfifoat(dfd, "fifo", 0600) == -1)
		bail("make slink, fifo");
	tap_ok(fails(atomic_copy_file(dfd, "slink", dfd, "c-l"), ELOOP) &&
	    !exists(dfd, "c-l"), "copy_file of a symlink: ELOOP");
	tap_ok(fails(atomic_copy_file(dfd, "sub", dfd, "c-d"), EINVAL) &&
	    !exists(dfd, "c-d"), "copy_file of a directory: EINVAL");
	tap_ok(fails(atomic_copy_file(dfd, "fifo", dfd, "c-f"), EINVAL) &&
	    !exists(dfd, "c-f"), "copy_file of a FIFO: EINVAL, no hang");
	tap_ok(fails(atomic_copy_file(dfd, "missing", dfd, "c-m"), ENOENT),
	    "copy_file of a missing file: ENOENT");
	tap_ok(fails(atomic_copy_file(dfd, "small", dfd, "nodir/c"), ENOENT),
	    "copy_file into a missing directory: ENOENT");
	tap_ok(fails(atomic_copy_file(dfd, "small", dfd, "isdir"), EISDIR) &&
	    holds(dfd, "small", "small", 5),
	    "copy_file over a directory: EISDIR");
	tap_ok(tmps(NULL) == 0 && tmps("sub") == 0,
	    "no temporary left after copies");
	umask(022);
}

int
main(void)
{
	const char *t;
	unsigned char *big;

	tap_plan(66);
	root = geteuid() == 0;
	if ((t = getenv("TMPDIR")) == NULL || *t == '\0')
		t = "/tmp";
	if (snprintf(tmpdir, sizeof tmpdir, "%s/lib-atomic.XXXXXX", t) >=
	    (int)sizeof tmpdir) {
		errno = ENAMETOOLONG;
		bail("TMPDIR");
	}
	if (mkdtemp(tmpdir) == NULL) {
		tmpdir[0] = '\0';
		bail("mkdtemp");
	}
	atexit(cleanup);
	if ((dfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		bail(tmpdir);
	if ((big = malloc(BIGSIZE)) == NULL)
		bail("malloc");
	fill(big, BIGSIZE, 0x9e3779b97f4a7c15ULL);

	test_names();
	test_syncdir();
	test_write();
	test_readonly();
	test_symlink();
	test_exchange();
	test_noreplace();
	test_copy_data(big);
	test_copy_file(big);

	free(big);
	close(dfd);
	return tap_done();
}
