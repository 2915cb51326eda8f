/* lib-quarantine.c - tests of lib/quarantine: what was judged is what is
 * removed, anything else is put back; leftovers of a killed run. */
/* SPDX-License-Identifier: ISC */

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/quarantine.h"
#include "tests/tap.h"

#define PREFIX	".retain-quarantine"

static int	tfd;

static void
put(const char *name, const char *content)
{
	int fd = openat(tfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd == -1 || write(fd, content, strlen(content)) < 0 ||
	    close(fd) == -1) {
		perror(name);
		exit(1);
	}
}

/* The content of name, or "" if it cannot be read. */
static const char *
get(const char *name)
{
	static char buf[256];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if ((fd = openat(tfd, name, O_RDONLY)) == -1)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

static int
exists(const char *name)
{
	struct stat st;

	return fstatat(tfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Entries in the quarantine directory. */
static int
count(const struct quarantine *q)
{
	struct dirent *de;
	DIR *dp;
	int n = 0, fd = openat(q->fd, ".", O_RDONLY | O_DIRECTORY);

	if (fd == -1 || (dp = fdopendir(fd)) == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(dp);
	return n;
}

static void
judge(const char *name, struct stat *st)
{
	if (fstatat(tfd, name, st, AT_SYMLINK_NOFOLLOW) == -1) {
		perror(name);
		exit(1);
	}
}

static char	reported[1024];

static void
report(const char *origin, const char *slot, int error, void *arg)
{
	size_t n = strlen(reported);

	(void)arg;
	snprintf(reported + n, sizeof(reported) - n, "%s=%s:%d;",
	    origin ? origin : "?", slot, error);
}

int
main(void)
{
	char dir[] = "/tmp/lib-quarantine.XXXXXX", slot[NAME_MAX + 1];
	char slot2[NAME_MAX + 1], qname[NAME_MAX + 1];
	struct quarantine q, q2;
	struct timespec ts[2];
	struct stat st, st2;
	long left;
	int r, fd;

	tap_plan(37);
	if (mkdtemp(dir) == NULL || (tfd = open(dir, O_RDONLY |
	    O_DIRECTORY)) == -1) {
		perror(dir);
		return 1;
	}

	umask(022);
	tap_ok(quarantine_create(&q, tfd, PREFIX) == 0, "create");
	tap_ok(quarantine_isname(q.name, PREFIX), "its name is PREFIX.XXXXXX");
	tap_ok(fstat(q.fd, &st) == 0 && (st.st_mode & 07777) == 0700 &&
	    S_ISDIR(st.st_mode), "it is a directory of mode 0700");
	tap_ok(!quarantine_isname(".retain-quarantine.abc", PREFIX) &&
	    !quarantine_isname(".retain-quarantine.abcde!", PREFIX) &&
	    !quarantine_isname("retain-quarantine.abcdef", PREFIX) &&
	    quarantine_isname(".retain-quarantine.Ab3dE9", PREFIX),
	    "isname wants exactly 6 characters from [A-Za-z0-9]");

	/* What was judged goes. */
	put("old", "old\n");
	judge("old", &st);
	r = quarantine_remove(&q, tfd, "old", "old", &st, QUARANTINE_MTIME,
	    slot);
	tap_ok(r == 0 && !exists("old") && count(&q) == 0,
	    "a judged file is removed, the quarantine is empty again");

	/* Replaced between judgement and removal: kept. */
	put("f", "old\n");
	judge("f", &st);
	put("f.new", "new\n");
	tap_ok(renameat(tfd, "f.new", tfd, "f") == 0, "f replaced by a new f");
	r = quarantine_remove(&q, tfd, "f", "f", &st, QUARANTINE_MTIME, slot);
	tap_ok(r == 1, "removing what was judged of f says it changed (1)");
	tap_same(get("f"), "new\n", "the new f is back in place");
	tap_ok(count(&q) == 0 && slot[0] == '\0', "the quarantine is empty");

	/* Same inode, written since: kept with QUARANTINE_MTIME. */
	put("g", "g\n");
	judge("g", &st);
	ts[0].tv_sec = ts[1].tv_sec = st.st_mtim.tv_sec + 5;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	utimensat(tfd, "g", ts, 0);
	r = quarantine_remove(&q, tfd, "g", "g", &st, QUARANTINE_MTIME, slot);
	tap_ok(r == 1 && exists("g"), "a file modified since it was judged "
	    "is put back");
	r = quarantine_remove(&q, tfd, "g", "g", &st, 0, slot);
	tap_ok(r == 0 && !exists("g"), "without QUARANTINE_MTIME the same "
	    "inode is removed");

	/* A name that vanished: -1 ENOENT, nothing changes. */
	r = quarantine_remove(&q, tfd, "nothere", "nothere", &st, 0, slot);
	tap_ok(r == -1 && errno == ENOENT, "a vanished name fails with ENOENT");

	/* A symlink is removed as itself. */
	put("target", "t\n");
	symlinkat("target", tfd, "link");
	judge("link", &st);
	r = quarantine_remove(&q, tfd, "link", "link", &st, QUARANTINE_MTIME,
	    slot);
	tap_ok(r == 0 && !exists("link") && strcmp(get("target"), "t\n") == 0,
	    "a symlink is removed, its target kept");

	/* A hard link: one name goes, the other stays. */
	put("h1", "h\n");
	linkat(tfd, "h1", tfd, "h2", 0);
	judge("h2", &st);
	r = quarantine_remove(&q, tfd, "h2", "h2", &st, QUARANTINE_MTIME,
	    slot);
	tap_ok(r == 0 && !exists("h2") && strcmp(get("h1"), "h\n") == 0,
	    "a hard link is removed, the other name keeps the data");

	/* Directories: removed when empty, put back when not. */
	mkdirat(tfd, "d", 0755);
	judge("d", &st);
	r = quarantine_remove(&q, tfd, "d", "d", &st, 0, slot);
	tap_ok(r == 0 && !exists("d"), "an empty directory is removed");
	mkdirat(tfd, "e", 0755);
	put("e/x", "x\n");
	judge("e", &st);
	r = quarantine_remove(&q, tfd, "e", "e", &st, 0, slot);
	tap_ok(r == -1 && errno == ENOTEMPTY && slot[0] == '\0' &&
	    strcmp(get("e/x"), "x\n") == 0, "a directory that is not empty "
	    "fails with ENOTEMPTY and is put back whole");
	tap_ok(count(&q) == 0, "the quarantine is empty");

	/* A directory replaced by a symlink to elsewhere: put back. */
	mkdirat(tfd, "sw", 0755);
	judge("sw", &st);
	renameat(tfd, "sw", tfd, "sw.real");
	symlinkat("e", tfd, "sw");
	r = quarantine_remove(&q, tfd, "sw", "sw", &st, 0, slot);
	fstatat(tfd, "sw", &st2, AT_SYMLINK_NOFOLLOW);
	tap_ok(r == 1 && S_ISLNK(st2.st_mode) && exists("e/x") &&
	    exists("sw.real"), "a directory swapped for a symlink: the "
	    "symlink is put back, nothing else touched");

	/* take and putback; the name taken meanwhile. */
	put("p", "p\n");
	judge("p", &st);
	r = quarantine_take(&q, tfd, "p", "p", &st, QUARANTINE_MTIME, slot);
	tap_ok(r == 0 && !exists("p") && count(&q) == 1, "take moves it in");
	put("p", "other\n");
	tap_ok(quarantine_putback(&q, slot, tfd, "p") == -1 &&
	    errno == EEXIST && strcmp(get("p"), "other\n") == 0,
	    "putback never replaces an existing name");
	unlinkat(tfd, "p", 0);
	tap_ok(quarantine_putback(&q, slot, tfd, "p") == 0 &&
	    strcmp(get("p"), "p\n") == 0 && count(&q) == 0,
	    "putback restores it once the name is free");

	/* Slots encode the origin. */
	put("pc%t", "x\n");
	judge("pc%t", &st);
	r = quarantine_take(&q, tfd, "pc%t", "a/b%c/pc%t", &st, 0, slot);
	tap_ok(r == 0 && strstr(slot, "-a%2Fb%25c%2Fpc%25t") != NULL &&
	    slot[strspn(slot, "0123456789")] == '-',
	    "a slot is SEQ-ORIGIN with %% and / encoded (%s)", slot);
	quarantine_putback(&q, slot, tfd, "pc%t");

	/* Closing: removed when empty; kept, ENOTEMPTY, when not. */
	strcpy(qname, q.name);
	tap_ok(quarantine_close(&q) == 0 && !exists(qname) && q.fd == -1,
	    "close removes an empty quarantine");
	tap_ok(quarantine_close(&q) == 0, "close twice is harmless");
	quarantine_create(&q, tfd, PREFIX);
	put("s", "s\n");
	judge("s", &st);
	quarantine_take(&q, tfd, "s", "s", &st, 0, slot);
	strcpy(qname, q.name);
	tap_ok(quarantine_close(&q) == -1 && errno == ENOTEMPTY &&
	    exists(qname), "close leaves a quarantine that is not empty");

	/* Recovery of what a killed run left. */
	reported[0] = '\0';
	left = quarantine_recover(tfd, qname, report, NULL);
	tap_ok(left == 0 && strcmp(get("s"), "s\n") == 0 && !exists(qname),
	    "recover puts the entry back and removes the quarantine");
	tap_ok(strstr(reported, "s=") != NULL && strstr(reported, ":0;") !=
	    NULL, "recover reports it (%s)", reported);

	mkdirat(tfd, "sub", 0755);
	mkdirat(tfd, "sub/dir", 0755);
	put("sub/dir/deep", "deep\n");
	quarantine_create(&q, tfd, PREFIX);
	judge("sub/dir/deep", &st);
	fd = openat(tfd, "sub/dir", O_RDONLY | O_DIRECTORY);
	r = quarantine_take(&q, fd, "deep", "sub/dir/deep", &st, 0, slot);
	put("taken", "t\n");
	judge("taken", &st);
	quarantine_take(&q, tfd, "taken", "taken", &st, 0, slot2);
	put("taken", "again\n");
	/* An entry whose origin is not known. */
	renameat(q.fd, slot2, q.fd, "77");
	put("nohome", "n\n");
	judge("nohome", &st);
	quarantine_take(&q, tfd, "nohome", "gone/nohome", &st, 0, slot2);
	strcpy(qname, q.name);
	close(q.fd);	/* killed */
	close(fd);
	reported[0] = '\0';
	left = quarantine_recover(tfd, qname, report, NULL);
	tap_ok(r == 0 && left == 2 && strcmp(get("sub/dir/deep"), "deep\n") ==
	    0, "recover puts back what it can (%s)", reported);
	tap_ok(strcmp(get("taken"), "again\n") == 0, "and never replaces a "
	    "name taken meanwhile");
	tap_ok(strstr(reported, "?=77:") != NULL &&
	    strstr(reported, "gone/nohome=") != NULL, "unknown origins and "
	    "missing directories are reported");
	tap_ok(exists(qname), "a quarantine with entries left stays");

	/* Only our own, private quarantines are recovered. */
	fchmodat(tfd, qname, 0755, 0);
	tap_ok(quarantine_recover(tfd, qname, report, NULL) == -1 &&
	    errno == EPERM, "a quarantine of mode 0755 is not touched (EPERM)");
	mkdirat(tfd, ".retain-quarantine.AAAAAA", 0700);
	put(".retain-quarantine.AAAAAA/1-evil", "e\n");
	if (geteuid() == 0) {
		fchownat(tfd, ".retain-quarantine.AAAAAA", 65534, 65534, 0);
		tap_ok(quarantine_recover(tfd, ".retain-quarantine.AAAAAA",
		    report, NULL) == -1 && errno == EPERM && !exists("evil"),
		    "nor one owned by another user");
	} else
		tap_skip(1, "changing the owner needs root");
	tap_ok(quarantine_recover(tfd, "s", report, NULL) == -1 &&
	    errno == ENOTDIR, "a file is no quarantine (ENOTDIR)");
	symlinkat(qname, tfd, "qlink");
	tap_ok(quarantine_recover(tfd, "qlink", report, NULL) == -1 &&
	    (errno == ELOOP || errno == ENOTDIR),
	    "nor is a symlink to one (ELOOP or ENOTDIR)");

	/* Two quarantines side by side. */
	tap_ok(quarantine_create(&q, tfd, PREFIX) == 0 &&
	    quarantine_create(&q2, tfd, PREFIX) == 0 &&
	    strcmp(q.name, q2.name) != 0, "two quarantines get distinct names");
	quarantine_close(&q);
	quarantine_close(&q2);
	tap_ok(quarantine_create(&q, tfd, "") == -1 && errno == EINVAL,
	    "an empty prefix is EINVAL");

	{
		char cmd[PATH_MAX + 32];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			tap_diag("could not remove %s", dir);
	}
	return tap_done();
}
