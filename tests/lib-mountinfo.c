/* lib-mountinfo.c - tests of lib/mountinfo: mount ids, filesystem paths of
 * bind mounts, escaped mount points. */
/* SPDX-License-Identifier: ISC */
#define _GNU_SOURCE	/* unshare, mount */

#include <sys/types.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/mountinfo.h"
#include "tests/tap.h"

#define NNS	6		/* checks made in the mount namespace */

static char	tmp[PATH_MAX];	/* the test directory, without symlinks */

static void
die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The filesystem path of the directory at path (absolute, tidy), or an
 * "error: ..." string. */
static const char *
fspath(const char *path, char *buf, size_t size)
{
	int fd;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(buf, size, "error: open: %s", strerror(errno));
		return buf;
	}
	if (mountinfo_fspath(fd, path, buf, size) == -1)
		snprintf(buf, size, "error: %s", strerror(errno));
	close(fd);
	return buf;
}

static void
path(char *buf, const char *name)
{
	if ((size_t)snprintf(buf, PATH_MAX, "%s/%s", tmp, name) >= PATH_MAX)
		die("path");
}

/*
 * In a private mount namespace: bind tmp/a/sub onto tmp/b and onto a
 * mount point whose name the kernel escapes; write one line per check to
 * wfd ("1" or "0 why"), or "S reason" when mounting is impossible here.
 */
static void
child(int wfd)
{
	char a[PATH_MAX], b[PATH_MAX], bx[PATH_MAX], odd[PATH_MAX];
	char x[PATH_MAX], want[PATH_MAX], got[PATH_MAX], small[8];
	uint64_t ida, idb;
	int fda, fdb;

	if (unshare(CLONE_NEWNS) == -1) {
		dprintf(wfd, "S unshare(CLONE_NEWNS): %s\n", strerror(errno));
		_exit(0);
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1) {
		dprintf(wfd, "S mount private: %s\n", strerror(errno));
		_exit(0);
	}
	path(a, "a/sub");
	path(b, "b");
	path(odd, "c d\tt\\e\nf");
	if (mount(a, b, NULL, MS_BIND, NULL) == -1 ||
	    mount(a, odd, NULL, MS_BIND, NULL) == -1) {
		dprintf(wfd, "S bind mount: %s\n", strerror(errno));
		_exit(0);
	}
	fspath(a, want, sizeof want);
	fspath(b, got, sizeof got);
	dprintf(wfd, "%d bind mount: %s vs %s\n", strcmp(want, got) == 0 &&
	    want[0] == '/', want, got);
	path(x, "a/sub/x");
	path(bx, "b/x");
	fspath(x, want, sizeof want);
	fspath(bx, got, sizeof got);
	dprintf(wfd, "%d below a bind mount: %s vs %s\n",
	    strcmp(want, got) == 0, want, got);
	fspath(odd, got, sizeof got);
	fspath(a, want, sizeof want);
	dprintf(wfd, "%d escaped mount point: %s\n", strcmp(want, got) == 0,
	    got);
	if ((fda = open(tmp, O_RDONLY | O_DIRECTORY)) == -1 ||
	    (fdb = open(b, O_RDONLY | O_DIRECTORY)) == -1)
		_exit(1);
	dprintf(wfd, "%d mount ids differ\n", mountinfo_id(fda, &ida) == 0 &&
	    mountinfo_id(fdb, &idb) == 0 && ida != idb);
	errno = 0;
	dprintf(wfd, "%d a path outside the mount: ENOENT\n",
	    mountinfo_fspath(fdb, "/elsewhere", got, sizeof got) == -1 &&
	    errno == ENOENT);
	errno = 0;
	dprintf(wfd, "%d too small a buffer: ENAMETOOLONG\n",
	    mountinfo_fspath(fdb, b, small, sizeof small) == -1 &&
	    errno == ENAMETOOLONG);
	_exit(0);
}

static void
namespace_tests(void)
{
	char line[PATH_MAX * 3];
	FILE *fp;
	pid_t pid;
	int p[2], n = 0;

	if (pipe(p) == -1 || (pid = fork()) == -1)
		die("fork");
	if (pid == 0) {
		close(p[0]);
		child(p[1]);
	}
	close(p[1]);
	if ((fp = fdopen(p[0], "r")) == NULL)
		die("fdopen");
	while (n < NNS && fgets(line, sizeof line, fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == 'S') {
			tap_skip(NNS - n, line + 2);
			n = NNS;
			break;
		}
		/* A line may continue a mount point's newline: keep going. */
		if (line[0] != '0' && line[0] != '1')
			continue;
		tap_ok(line[0] == '1', "%s", line + 2);
		n++;
	}
	while (n++ < NNS)
		tap_ok(0, "namespace check did not report");
	fclose(fp);
	waitpid(pid, NULL, 0);
}

int
main(void)
{
	char d[PATH_MAX], buf[PATH_MAX], top[PATH_MAX], sub[PATH_MAX];
	char want[PATH_MAX + 8];
	uint64_t id;
	int fd;

	tap_plan(9 + 5 + NNS);

	tap_ok(mountinfo_below("/srv/master", "/srv/master"),
	    "a path is below itself");
	tap_ok(mountinfo_below("/srv/master/a", "/srv/master"),
	    "a child is below");
	tap_ok(!mountinfo_below("/srv/master2", "/srv/master"),
	    "/srv/master2 is not below /srv/master");
	tap_ok(!mountinfo_below("/srv", "/srv/master"),
	    "a parent is not below");
	tap_ok(mountinfo_below("/x", "/"), "everything is below /");
	tap_ok(mountinfo_below("/", "/"), "/ is below /");
	tap_ok(!mountinfo_below("/srvx/master", "/srv"),
	    "a longer name is not below");
	tap_ok(!mountinfo_below("/sr", "/srv"), "a shorter name is not below");
	errno = 0;
	tap_ok(mountinfo_fspath(AT_FDCWD, "rel", buf, sizeof buf) == -1 &&
	    errno == EINVAL, "a relative path is EINVAL");

	snprintf(d, sizeof d, "%s/lib-mountinfo.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(d) == NULL || realpath(d, tmp) == NULL)
		die("mkdtemp");
	path(buf, "a");
	mkdir(buf, 0755);
	path(buf, "a/sub");
	mkdir(buf, 0755);
	path(buf, "a/sub/x");
	mkdir(buf, 0755);
	path(buf, "b");
	mkdir(buf, 0755);
	path(buf, "c d\tt\\e\nf");
	mkdir(buf, 0755);

	if ((fd = open(tmp, O_RDONLY | O_DIRECTORY)) == -1)
		die(tmp);
	if (mountinfo_id(fd, &id) == 0)
		tap_ok(1, "mountinfo_id gives an id");
	else
		tap_ok(errno == ENOSYS, "mountinfo_id: ENOSYS where the "
		    "kernel cannot tell (%s)", strerror(errno));
	close(fd);
	fspath("/", top, sizeof top);
	tap_ok(top[0] == '/', "the root directory has a filesystem path: %s",
	    top);
	fspath(tmp, top, sizeof top);
	tap_ok(top[0] == '/', "the test directory has one: %s", top);
	path(buf, "a/sub");
	fspath(buf, sub, sizeof sub);
	snprintf(want, sizeof want, "%s/a/sub", strcmp(top, "/") ? top : "");
	tap_same(sub, want, "a subdirectory's path adds its name");
	tap_ok(mountinfo_below(sub, top), "and is below the test directory's");

	namespace_tests();

	path(buf, "a/sub/x"); rmdir(buf);
	path(buf, "a/sub"); rmdir(buf);
	path(buf, "a"); rmdir(buf);
	path(buf, "b"); rmdir(buf);
	path(buf, "c d\tt\\e\nf"); rmdir(buf);
	rmdir(tmp);
	return tap_done();
}
