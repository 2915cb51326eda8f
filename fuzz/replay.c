/* replay.c - run a fuzz target over its seed corpus without libFuzzer,
 * as one TAP test, so that `make check` catches regressions with any
 * compiler (musl-gcc included). */
/* SPDX-License-Identifier: ISC */

#define _GNU_SOURCE		/* memfd_create */

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz/fuzz.h"

#ifndef FUZZ_TARGET
#error "compile with -DFUZZ_TARGET=\"name\""
#endif

/* Seconds one input may take, in the slowest build (sanitizers). */
#define REPLAY_TIMEOUT	120

/* libFuzzer calls it once, if the target has it. */
int	LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int
rm1(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read path whole; NULL (errno) on failure. */
static uint8_t *
slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *p;
	ssize_t n;
	size_t got = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || (p = malloc((size_t)st.st_size + 1)) ==
	    NULL) {
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size && (n = read(fd, p + got,
	    (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	*len = got;
	return p;
}

/* What the child wrote to fd, as TAP comments. */
static void
diag(int fd)
{
	char buf[4096];
	ssize_t n;
	int bol = 1, i;

	if (lseek(fd, 0, SEEK_SET) == -1)
		return;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		for (i = 0; i < n; i++) {
			if (bol)
				fputs("# ", stdout);
			putchar(buf[i]);
			bol = buf[i] == '\n';
		}
	if (!bol)
		putchar('\n');
}

/*
 * Run the target on one file in a child, its stdout (which would spoil
 * the TAP) to /dev/null and its stderr kept, to be shown if it fails:
 * 0 when it returns, else a message in why[size].
 */
static int
replay(const char *path, int argc, char **argv, char *why, size_t size)
{
	uint8_t *data;
	size_t len;
	pid_t pid;
	int st, errfd, null;

	fflush(stdout);
	if ((errfd = memfd_create("stderr", MFD_CLOEXEC)) == -1) {
		snprintf(why, size, "memfd_create: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(why, size, "fork: %s", strerror(errno));
		close(errfd);
		return -1;
	}
	if (pid == 0) {
		if ((null = open("/dev/null", O_WRONLY)) == -1 ||
		    dup2(null, STDOUT_FILENO) == -1 ||
		    dup2(errfd, STDERR_FILENO) == -1)
			_exit(3);
		alarm(REPLAY_TIMEOUT);
		if ((data = slurp(path, &len)) == NULL) {
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
			_exit(3);
		}
		if (LLVMFuzzerInitialize != NULL)
			LLVMFuzzerInitialize(&argc, &argv);
		/* An empty input comes as NULL, as libFuzzer gives it. */
		LLVMFuzzerTestOneInput(len > 0 ? data : NULL, len);
		free(data);
		fflush(NULL);
		_exit(0);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			snprintf(why, size, "waitpid: %s", strerror(errno));
			close(errfd);
			return -1;
		}
	if (st != 0)
		diag(errfd);
	close(errfd);
	if (WIFSIGNALED(st)) {
		snprintf(why, size, "killed by signal %d%s", WTERMSIG(st),
		    WTERMSIG(st) == SIGALRM ? " (timeout)" : "");
		return -1;
	}
	if (WEXITSTATUS(st) != 0) {
		snprintf(why, size, "exit %d", WEXITSTATUS(st));
		return -1;
	}
	return 0;
}

/*
 * replay [DIR|FILE ...]: each FILE, and each file in each DIR (in name
 * order); by default the target's seed corpus, tests/corpus/TARGET.
 */
int
main(int argc, char *argv[])
{
	char *def[] = { "tests/corpus/" FUZZ_TARGET, NULL };
	char **args = argc > 1 ? argv + 1 : def, **files = NULL, **nf;
	char path[4096], why[256], tmp[4096];
	const char *t = getenv("TMPDIR");
	struct dirent *de;
	struct stat st;
	size_t nfiles = 0, i, nbad = 0;
	DIR *d;

	for (; *args != NULL; args++) {
		if (stat(*args, &st) == -1) {
			printf("1..1\nnot ok 1 - %s: %s: %s\n", FUZZ_TARGET,
			    *args, strerror(errno));
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if ((nf = reallocarray(files, nfiles + 1,
			    sizeof *files)) == NULL ||
			    (nf[nfiles] = strdup(*args)) == NULL)
				fuzz_die("out of memory");
			files = nf;
			nfiles++;
			continue;
		}
		if ((d = opendir(*args)) == NULL) {
			printf("1..1\nnot ok 1 - %s: %s: %s\n", FUZZ_TARGET,
			    *args, strerror(errno));
			return 1;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if ((size_t)snprintf(path, sizeof path, "%s/%s", *args,
			    de->d_name) >= sizeof path)
				continue;
			if ((nf = reallocarray(files, nfiles + 1,
			    sizeof *files)) == NULL ||
			    (nf[nfiles] = strdup(path)) == NULL)
				fuzz_die("out of memory");
			files = nf;
			nfiles++;
		}
		closedir(d);
	}
	if (nfiles > 1)
		qsort(files, nfiles, sizeof *files, cmp);
	/* The targets' files go to a directory of their own, removed at
	 * the end, even after a target that aborted. */
	snprintf(tmp, sizeof tmp, "%s/fuzz-replay.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	if (mkdtemp(tmp) == NULL || setenv("TMPDIR", tmp, 1) == -1) {
		printf("1..1\nnot ok 1 - %s: %s: %s\n", FUZZ_TARGET, tmp,
		    strerror(errno));
		return 1;
	}
	printf("1..1\n");
	for (i = 0; i < nfiles; i++)
		if (replay(files[i], argc, argv, why, sizeof why) == -1) {
			printf("# %s: %s\n", files[i], why);
			nbad++;
		}
	if (nfiles == 0)
		printf("not ok 1 - %s: no seeds\n", FUZZ_TARGET);
	else if (nbad > 0)
		printf("not ok 1 - %s: %zu of %zu seeds fail\n", FUZZ_TARGET,
		    nbad, nfiles);
	else
		printf("ok 1 - %s: %zu seeds replayed\n", FUZZ_TARGET, nfiles);
	for (i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	nftw(tmp, rm1, 16, FTW_DEPTH | FTW_PHYS);
	return nbad > 0 || nfiles == 0;
}
