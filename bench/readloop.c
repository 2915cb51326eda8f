/* readloop.c - resolve a path in a loop and count the failures, for the
 * envlink benchmark: what a reader sees while a link is switched. */
/* SPDX-License-Identifier: ISC */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"

#define SYNOPSIS	"readloop PATH"

static volatile sig_atomic_t stop;

static void
onsignal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * Open PATH as a directory (following symlinks, as a reader of a data
 * layer does) and close it, again and again, until SIGTERM or SIGINT;
 * then print "reads failed enoent" (tab-separated) on stdout.  A read
 * fails when the open does; enoent counts the failures that said the
 * path did not exist.
 */
int
main(int argc, char *argv[])
{
	unsigned long long reads = 0, failed = 0, enoent = 0;
	struct sigaction sa;
	int fd;

	if (argc != 2)
		err_usage(SYNOPSIS);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = onsignal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop) {
		reads++;
		fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd != -1) {
			close(fd);
			continue;
		}
		failed++;
		if (errno == ENOENT)
			enoent++;
	}
	printf("%llu\t%llu\t%llu\n", reads, failed, enoent);
	err_flush();
	return EXIT_OK;
}
