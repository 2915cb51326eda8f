/* envguard-probe.c - one file system call, for the envguard tests: exit 0
 * if it succeeded, 1 with "probe: OP: reason" if it failed. */
/* SPDX-License-Identifier: ISC */
#define _GNU_SOURCE

#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/xattr.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE	(1 << 1)
#endif

static int
wr(int fd)
{
	if (fd == -1)
		return -1;
	if (write(fd, "x", 1) != 1) {
		close(fd);
		return -1;
	}
	return close(fd);
}

int
main(int argc, char *argv[])
{
	struct timespec ts[2] = { { 0, 0 }, { 0, 0 } };
	const char *op;
	int rc;

	/* The Landlock ABI version, or 0 without Landlock. */
	if (argc == 2 && strcmp(argv[1], "abi") == 0) {
		long v = syscall(444, NULL, 0, 1U);

		printf("%ld\n", v < 0 ? 0L : v);
		return 0;
	}
	if (argc < 3) {
		fputs("usage: envguard-probe abi | OP ARG...\n", stderr);
		return 2;
	}
	op = argv[1];
	if (strcmp(op, "write") == 0)
		rc = wr(open(argv[2], O_WRONLY | O_CLOEXEC));
	else if (strcmp(op, "append") == 0)
		rc = wr(open(argv[2], O_WRONLY | O_APPEND | O_CLOEXEC));
	else if (strcmp(op, "otrunc") == 0) {
		rc = open(argv[2], O_RDONLY | O_TRUNC | O_CLOEXEC);
		if (rc != -1)
			rc = close(rc);
	} else if (strcmp(op, "truncate") == 0)
		rc = truncate(argv[2], 0);
	else if (strcmp(op, "create") == 0)
		rc = wr(open(argv[2], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0644));
	else if (strcmp(op, "unlink") == 0)
		rc = unlink(argv[2]);
	else if (strcmp(op, "rmdir") == 0)
		rc = rmdir(argv[2]);
	else if (strcmp(op, "mkdir") == 0)
		rc = mkdir(argv[2], 0755);
	else if (strcmp(op, "mkfifo") == 0)
		rc = mkfifo(argv[2], 0644);
	else if (strcmp(op, "rename") == 0 && argc == 4)
		rc = rename(argv[2], argv[3]);
	else if (strcmp(op, "exchange") == 0 && argc == 4)
		rc = (int)syscall(SYS_renameat2, AT_FDCWD, argv[2], AT_FDCWD,
		    argv[3], RENAME_EXCHANGE);
	else if (strcmp(op, "link") == 0 && argc == 4)
		rc = link(argv[2], argv[3]);
	else if (strcmp(op, "symlink") == 0 && argc == 4)
		rc = symlink(argv[2], argv[3]);
	else if (strcmp(op, "fdwrite") == 0)
		rc = wr(atoi(argv[2]));
	else if (strcmp(op, "chmod") == 0)
		rc = chmod(argv[2], 0777);
	else if (strcmp(op, "chown") == 0)
		rc = chown(argv[2], 65534, 65534);
	else if (strcmp(op, "utime") == 0)
		rc = utimensat(AT_FDCWD, argv[2], ts, 0);
	else if (strcmp(op, "setxattr") == 0)
		rc = setxattr(argv[2], "user.probe", "x", 1, 0);
	else {
		fprintf(stderr, "probe: %s: unknown operation\n", op);
		return 2;
	}
	if (rc == -1) {
		fprintf(stderr, "probe: %s: %s\n", op, strerror(errno));
		return 1;
	}
	return 0;
}
