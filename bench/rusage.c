/* rusage.c - run a command and say what it cost: wall time, CPU time and
 * peak memory, for the benchmarks (GNU time is not everywhere). */
/* SPDX-License-Identifier: ISC */

#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"

#define SYNOPSIS	"rusage -o FILE command [arg ...]"

/*
 * Runs the command with the same standard input and output and writes
 * one line to FILE: wall seconds, user seconds, system seconds, peak
 * resident set in KiB, exit status (128 + signal for a signal).  Exits
 * as the command did; 127 if it could not be run.
 */
int
main(int argc, char *argv[])
{
	struct timespec t0, t1;
	struct rusage ru;
	const char *path = NULL;
	FILE *fp;
	pid_t pid;
	int ch, st, rc;

	while ((ch = getopt(argc, argv, "+:o:")) != -1) {
		switch (ch) {
		case 'o':
			path = optarg;
			break;
		default:
			err_usage(SYNOPSIS);
		}
	}
	argc -= optind;
	argv += optind;
	if (path == NULL || argc == 0)
		err_usage(SYNOPSIS);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((pid = fork()) == -1) {
		fprintf(stderr, "rusage: fork: %s\n", strerror(errno));
		return 127;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "rusage: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &st, 0, &ru) == -1)
		if (errno != EINTR) {
			fprintf(stderr, "rusage: wait4: %s\n", strerror(errno));
			return 127;
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if ((fp = fopen(path, "w")) == NULL) {
		fprintf(stderr, "rusage: %s: %s\n", path, strerror(errno));
		return 127;
	}
	fprintf(fp, "%.4f %.4f %.4f %ld %d\n",
	    (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	    ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
	    ru.ru_maxrss, rc);
	if (fclose(fp) == EOF) {
		fprintf(stderr, "rusage: %s: %s\n", path, strerror(errno));
		return 127;
	}
	return rc;
}
