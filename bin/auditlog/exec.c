/* exec.c - auditlog exec: run a command between a start and an end
 * record, forwarding signals, exiting with its status. */
/* SPDX-License-Identifier: ISC */

#define _GNU_SOURCE		/* pipe2 */

#include <sys/types.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/audit.h"
#include "lib/err.h"
#include "bin/auditlog/auditlog.h"

#define EXIT_NOEXEC	126	/* found but could not run, as sh(1) says */
#define EXIT_NOTFOUND	127

static const int fwdsigs[] = { SIGINT, SIGTERM, SIGHUP };
#define NFWD	(sizeof(fwdsigs) / sizeof(fwdsigs[0]))

/* The child, for the signal handler. */
static volatile pid_t child;

static void	forward(int, siginfo_t *, void *);

/*
 * A signal another process sent us goes on to the command.  One the
 * terminal sent (si_code SI_KERNEL) reached the command's process group
 * already: forwarding it would deliver it twice.
 */
static void
forward(int sig, siginfo_t *si, void *ctx)
{
	int serrno = errno;

	(void)ctx;
	if (child > 0 && si->si_code != SI_KERNEL)
		kill(child, sig);
	errno = serrno;
}

int
cmd_exec(int argc, char **argv)
{
	struct audit a;
	struct audit_field *f;
	struct sigaction sa, osa;
	struct timespec t0, t1;
	sigset_t block, old;
	char cwd[PATH_MAX], (*keys)[24], startseq[24], code[16], secs[32];
	const char *type = opt.type != NULL ? opt.type : "exec";
	char tstart[AUDIT_MAXKEY + 1], tend[AUDIT_MAXKEY + 1];
	uint64_t seq;
	pid_t pid;
	size_t i, n;
	ssize_t r;
	int pfd[2], status, cerr = 0, rc;

	if (argc == 0)
		usage();
	check_type(type, ".start");
	if ((size_t)snprintf(tstart, sizeof tstart, "%s.start", type) >=
	    sizeof tstart || (size_t)snprintf(tend, sizeof tend, "%s.end",
	    type) >= sizeof tend)
		errx(EXIT_USAGE, "-t: %s: too long", type);
	if (audit_open(&a, opt.log) == -1)
		errx(EXIT_FAIL, "%s: %s; %s not run", opt.log,
		    audit_strerror(&a), argv[0]);

	/* The start record: cwd, then argv0, argv1, ... */
	if (getcwd(cwd, sizeof cwd) == NULL)
		cwd[0] = '\0';
	if ((f = calloc((size_t)argc + 1, sizeof *f)) == NULL ||
	    (keys = calloc((size_t)argc, sizeof *keys)) == NULL)
		err(EXIT_FAIL, NULL);
	f[0] = (struct audit_field){ "cwd", cwd, strlen(cwd) };
	for (i = 0; i < (size_t)argc; i++) {
		snprintf(keys[i], sizeof keys[i], "argv%zu", i);
		f[i + 1] = (struct audit_field){ keys[i], argv[i],
		    strlen(argv[i]) };
	}
	if (audit_begin(&a) == -1 ||
	    audit_add(&a, tstart, f, (size_t)argc + 1, &seq) == -1 ||
	    audit_commit(&a) == -1)
		errx(EXIT_FAIL, "%s: %s; %s not run", opt.log,
		    audit_strerror(&a), argv[0]);
	free(f);
	free(keys);

	/* Signals wait until the child's pid is known. */
	sigemptyset(&block);
	for (i = 0; i < NFWD; i++)
		sigaddset(&block, fwdsigs[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	if (pipe2(pfd, O_CLOEXEC) == -1)
		err(EXIT_FAIL, "pipe");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((pid = fork()) == -1)
		err(EXIT_FAIL, "fork");
	if (pid == 0) {
		close(pfd[0]);
		sigprocmask(SIG_SETMASK, &old, NULL);
		execvp(argv[0], argv);
		cerr = errno;
		while (write(pfd[1], &cerr, sizeof cerr) == -1 &&
		    errno == EINTR)
			;
		_exit(cerr == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC);
	}
	child = pid;
	close(pfd[1]);
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NFWD; i++) {
		/* A signal ignored when we started (a background job's
		 * SIGINT) stays ignored, as it is for the command. */
		if (sigaction(fwdsigs[i], NULL, &osa) == 0 &&
		    osa.sa_handler == SIG_IGN)
			continue;
		sigaction(fwdsigs[i], &sa, NULL);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* exec's errno, or nothing (the pipe closed by a successful exec). */
	while ((r = read(pfd[0], &cerr, sizeof cerr)) == -1 && errno == EINTR)
		;
	if (r != (ssize_t)sizeof cerr)
		cerr = 0;
	close(pfd[0]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			err(EXIT_FAIL, "wait");
	clock_gettime(CLOCK_MONOTONIC, &t1);

	/* The end record: start, exit or signal (and error), secs. */
	snprintf(startseq, sizeof startseq, "%llu", (unsigned long long)seq);
	if ((f = calloc(4, sizeof *f)) == NULL)
		err(EXIT_FAIL, NULL);
	n = 0;
	f[n++] = (struct audit_field){ "start", startseq, strlen(startseq) };
	if (WIFSIGNALED(status)) {
		snprintf(code, sizeof code, "%d", WTERMSIG(status));
		f[n++] = (struct audit_field){ "signal", code, strlen(code) };
		rc = 128 + WTERMSIG(status);
	} else {
		rc = WEXITSTATUS(status);
		snprintf(code, sizeof code, "%d", rc);
		f[n++] = (struct audit_field){ "exit", code, strlen(code) };
	}
	if (cerr != 0) {
		f[n++] = (struct audit_field){ "error", strerror(cerr),
		    strlen(strerror(cerr)) };
		warnx("%s: %s", argv[0], strerror(cerr));
	}
	t1.tv_sec -= t0.tv_sec;
	if ((t1.tv_nsec -= t0.tv_nsec) < 0) {
		t1.tv_nsec += 1000000000;
		t1.tv_sec--;
	}
	snprintf(secs, sizeof secs, "%lld.%06ld", (long long)t1.tv_sec,
	    t1.tv_nsec / 1000);
	f[n++] = (struct audit_field){ "secs", secs, strlen(secs) };
	if (audit_recordv(&a, tend, f, n) == -1) {
		warnx("%s: %s; the end of %s is not recorded", opt.log,
		    audit_strerror(&a), argv[0]);
		if (rc == 0)
			rc = EXIT_FAIL;
	}
	free(f);
	audit_close(&a);
	return rc;
}
