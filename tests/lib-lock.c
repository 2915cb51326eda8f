/* lib-lock.c - unit tests for lib/lock: flock contention between processes. */
/* SPDX-License-Identifier: ISC */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/lock.h"
#include "tests/tap.h"

/* What a child's lock_acquire did. */
struct result {
	int	ret;
	int	err;
	double	elapsed;
};

struct child {
	pid_t	pid;
	int	fd;		/* read end of the pipe carrying a result */
};

static char	 tmpdir[PATH_MAX];
static int	 dfd = -1;

static void
cleanup(void)
{
	if (tmpdir[0] == '\0')
		return;
	/* Only what the tests made: no tree walk needed. */
	unlinkat(dfd, "lk", 0);
	unlinkat(dfd, "lk2", 0);
	unlinkat(dfd, "lklink", 0);
	unlinkat(dfd, "dangle", 0);
	unlinkat(dfd, "dir", AT_REMOVEDIR);
	close(dfd);
	rmdir(tmpdir);
}

static void
bail(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);	/* atexit removes the temp dir */
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
msleep(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Start a child process calling lock_acquire(dfd, name, timeout). */
static struct child
child_start(const char *name, int timeout)
{
	struct child c;
	struct result r;
	int p[2];
	double t0;

	if (pipe(p) == -1 || (c.pid = fork()) == -1)
		bail("pipe or fork");
	if (c.pid == 0) {
		/* A broken lock_release must fail the test, not hang it. */
		alarm(30);
		close(p[0]);
		t0 = now();
		r.ret = lock_acquire(dfd, name, timeout);
		r.err = errno;
		r.elapsed = now() - t0;
		/* The lock, if taken, ends with this process. */
		_exit(write(p[1], &r, sizeof r) == sizeof r ? 0 : 1);
	}
	close(p[1]);
	c.fd = p[0];
	return c;
}

static struct result
child_finish(struct child c)
{
	struct result r;
	int status;

	if (read(c.fd, &r, sizeof r) != sizeof r) {
		r.ret = -2;
		r.err = 0;
		r.elapsed = 0;
	}
	close(c.fd);
	waitpid(c.pid, &status, 0);
	return r;
}

static int
busy(struct result r)
{
	if (r.ret == -1 && r.err == EWOULDBLOCK)
		return 1;
	tap_diag("child got %d, %s", r.ret, r.ret == -1 ? strerror(r.err) :
	    "-");
	return 0;
}

/* -1 with errno want: the outcome of a call that must fail. */
static int
fails(int r, int want)
{
	if (r == -1 && errno == want)
		return 1;
	tap_diag("returned %d, errno %s; want -1, %s", r,
	    r == -1 ? strerror(errno) : "-", strerror(want));
	if (r >= 0)
		lock_release(r);
	return 0;
}

int
main(void)
{
	struct result r;
	struct child c;
	struct stat st;
	const char *t;
	char mode[16];
	int fd, fd2, flags;

	tap_plan(22);
	if ((t = getenv("TMPDIR")) == NULL || *t == '\0')
		t = "/tmp";
	if (snprintf(tmpdir, sizeof tmpdir, "%s/lib-lock.XXXXXX", t) >=
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

	/* umask 0: the mode must come from lock_acquire itself. */
	umask(0);
	fd = lock_acquire(dfd, "lk", 0);
	tap_ok(fd >= 0, "acquire a free lock");
	if (fstatat(dfd, "lk", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode))
		snprintf(mode, sizeof mode, "%o", (unsigned)st.st_mode & 07777);
	else
		snprintf(mode, sizeof mode, "none");
	tap_same(mode, "600", "lock file created, mode 0600");
	flags = fcntl(fd, F_GETFD);
	tap_ok(flags != -1 && (flags & FD_CLOEXEC),
	    "descriptor is close-on-exec");
	umask(022);

	c = child_start("lk", 0);
	r = child_finish(c);
	tap_ok(busy(r), "held: another process fails with EWOULDBLOCK");
	tap_ok(r.elapsed < 0.5, "at once with timeout 0 (%.3fs)", r.elapsed);

	c = child_start("lk", 1);
	r = child_finish(c);
	tap_ok(busy(r), "held: timeout 1 fails with EWOULDBLOCK");
	tap_ok(r.elapsed >= 0.9, "after waiting about 1s (%.3fs)", r.elapsed);

	/*
	 * The child waits holding a fork-inherited copy of fd: only an
	 * explicit unlock, not a close, lets it in.
	 */
	c = child_start("lk", 5);
	msleep(200);
	errno = ERANGE;
	lock_release(fd);
	tap_ok(errno == ERANGE, "lock_release preserves errno");
	r = child_finish(c);
	tap_ok(r.ret >= 0, "a waiter gets the lock once it is released");
	tap_ok(r.elapsed >= 0.1 && r.elapsed < 5,
	    "after waiting for the release (%.3fs)", r.elapsed);
	tap_ok(fstatat(dfd, "lk", &st, AT_SYMLINK_NOFOLLOW) == 0,
	    "the lock file stays after release");

	/* The child exited holding the lock: that freed it. */
	fd = lock_acquire(dfd, "lk", 0);
	tap_ok(fd >= 0, "a lock whose holder exited is free");
	c = child_start("lk", -1);
	msleep(200);
	lock_release(fd);
	r = child_finish(c);
	tap_ok(r.ret >= 0 && r.elapsed >= 0.1,
	    "timeout -1 waits until the release (%.3fs)", r.elapsed);

	/* Two opens in one process are two locks too. */
	fd = lock_acquire(dfd, "lk", 0);
	tap_ok(fails(lock_acquire(dfd, "lk", 0), EWOULDBLOCK),
	    "the same process cannot take it twice");
	fd2 = lock_acquire(dfd, "lk2", 0);
	tap_ok(fd >= 0 && fd2 >= 0, "different lock files do not conflict");
	lock_release(fd2);
	lock_release(fd);

	if (symlinkat("lk", dfd, "lklink") == -1 ||
	    symlinkat("newlock", dfd, "dangle") == -1 ||
	    mkdirat(dfd, "dir", 0700) == -1)
		bail("make lklink, dangle, dir");
	tap_ok(fails(lock_acquire(dfd, "lklink", 0), ELOOP),
	    "a symlink as lock file: ELOOP");
	tap_ok(fails(lock_acquire(dfd, "dangle", 0), ELOOP) &&
	    fstatat(dfd, "newlock", &st, AT_SYMLINK_NOFOLLOW) == -1,
	    "a dangling symlink: ELOOP, its target not created");
	tap_ok(fails(lock_acquire(dfd, "dir", 0), EISDIR),
	    "a directory as lock file: EISDIR");
	tap_ok(fails(lock_acquire(dfd, "nodir/lk", 0), ENOENT),
	    "in a missing directory: ENOENT");
	tap_ok(fails(lock_acquire(dfd, "lk", -2), EINVAL),
	    "timeout -2: EINVAL");
	tap_ok(fails(lock_acquire(-1, "lk", 0), EBADF), "bad dirfd: EBADF");
	errno = EDOM;
	lock_release(-1);
	tap_ok(errno == EDOM, "lock_release(-1) does nothing");

	return tap_done();
}
