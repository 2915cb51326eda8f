/* main.c - retain: delete or archive files older than a policy allows,
 * and drop old records from line-oriented files.  Options, messages,
 * locks and the audit log. */
/* SPDX-License-Identifier: ISC */

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/audit.h"
#include "lib/err.h"
#include "lib/time.h"
#include "bin/retain/retain.h"

#define SYNOPSIS \
	"retain [-nv] [--now TIME] -f POLICY\n" \
	"retain [-nv] [--now TIME] --older-than AGE [--match GLOB]\n" \
	"       [--by mtime|name] [--archive DEST] [--prune-dirs]\n" \
	"       [--cross-fs] DIR ...\n" \
	"retain records [--now TIME] [-F csv|tsv|jsonl] [-N] -k FIELD\n" \
	"       --older-than AGE\n"

enum {
	O_NOW = 256, O_OLDER, O_MATCH, O_BY, O_ARCHIVE, O_PRUNE, O_CROSSFS,
};

static const struct option longopts[] = {
	{ "now",	required_argument, NULL, O_NOW },
	{ "older-than",	required_argument, NULL, O_OLDER },
	{ "match",	required_argument, NULL, O_MATCH },
	{ "by",		required_argument, NULL, O_BY },
	{ "archive",	required_argument, NULL, O_ARCHIVE },
	{ "prune-dirs",	no_argument,	   NULL, O_PRUNE },
	{ "cross-fs",	no_argument,	   NULL, O_CROSSFS },
	{ NULL,		0,		   NULL, 0 },
};

struct options opt;

static void	usage(void) __attribute__((noreturn));
static void	help(void) __attribute__((noreturn));

static void
usage(void)
{
	err_usage(SYNOPSIS);
}

static void
help(void)
{
	const char *p;

	fputs("usage: ", stdout);
	for (p = SYNOPSIS; *p != '\0'; p++) {
		putchar(*p);
		if (*p == '\n' && p[1] != '\0')
			fputs("       ", stdout);
	}
	err_flush();
	exit(EXIT_OK);
}

char *
xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		err(EXIT_FAIL, "out of memory");
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if ((p = reallocarray(p, n, size)) == NULL)
		err(EXIT_FAIL, "out of memory");
	return p;
}

/* Write s[len] with backslash, tab and newline escaped (\\, \t, \n), so
 * that a hostile name stays one field of one line. */
void
putesc(FILE *fp, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\')
			fputs("\\\\", fp);
		else if (s[i] == '\n')
			fputs("\\n", fp);
		else if (s[i] == '\t')
			fputs("\\t", fp);
		else
			putc(s[i], fp);
	}
}

/* "retain: DIR/REL: message" on stderr, DIR/REL escaped (REL may be
 * NULL or ""). */
static void
vsay(const char *dir, const char *rel, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", err_progname());
	putesc(stderr, dir, strlen(dir));
	if (rel != NULL && *rel != '\0') {
		putc('/', stderr);
		putesc(stderr, rel, strlen(rel));
	}
	fputs(": ", stderr);
	vfprintf(stderr, fmt, ap);
	putc('\n', stderr);
}

/* One action line on stdout: "delete\tPATH" or "archive\tPATH\tDEST",
 * PATH being DIR/REL and DEST the archive's DEST/REL. */
void
action_line(const struct target *tg, const char *rel, const struct rule *ru)
{
	fputs(ru != NULL ? "archive\t" : "delete\t", stdout);
	putesc(stdout, tg->dir, strlen(tg->dir));
	putc('/', stdout);
	putesc(stdout, rel, strlen(rel));
	if (ru != NULL) {
		putc('\t', stdout);
		putesc(stdout, ru->dest, strlen(ru->dest));
		putc('/', stdout);
		putesc(stdout, rel, strlen(rel));
	}
	putc('\n', stdout);
	if (ferror(stdout))
		err_flush();
}

/* A problem with an entry: reported, and the run will exit 1. */
void
warnp(const char *dir, const char *rel, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(dir, rel, fmt, ap);
	va_end(ap);
}

/* A note for -v: something left alone on purpose. */
void
notep(const char *dir, const char *rel, const char *fmt, ...)
{
	va_list ap;

	if (!opt.verbose)
		return;
	va_start(ap, fmt);
	vsay(dir, rel, fmt, ap);
	va_end(ap);
}

/*
 * The one place where retain's changes reach the audit log: a record of
 * type what naming the path changed (and for a move where it went).  A
 * change made but not recorded ends the run with status 1.
 */
void
audit_change(struct run *r, const char *what, const char *absdir,
    const char *rel, const char *absdest, const char *destrel)
{
	const char *kv[5];
	char *path, *dest = NULL;
	size_t n;

	if (!r->alogopen)
		return;
	n = strlen(absdir) + strlen(rel) + 2;
	if ((path = malloc(n)) == NULL)
		err(EXIT_FAIL, "out of memory");
	snprintf(path, n, "%s%s%s", absdir, *rel ? "/" : "", rel);
	kv[0] = "path";
	kv[1] = path;
	kv[2] = NULL;
	if (absdest != NULL) {
		n = strlen(absdest) + strlen(destrel) + 2;
		if ((dest = malloc(n)) == NULL)
			err(EXIT_FAIL, "out of memory");
		snprintf(dest, n, "%s/%s", absdest, destrel);
		kv[2] = "dest";
		kv[3] = dest;
		kv[4] = NULL;
	}
	if (audit_record(&r->alog, what, kv) == -1)
		errx(EXIT_FAIL, "%s: %s; the %s of %s is not in the audit log",
		    getenv("AUDITLOG"), audit_strerror(&r->alog), what, path);
	free(path);
	free(dest);
}

/* The audit log (AUDITLOG), opened before anything is changed, so that a
 * change that cannot be recorded is not made; a dry run opens nothing. */
static void
audit_start(struct run *r)
{
	const char *log = getenv("AUDITLOG");

	if (log == NULL || *log == '\0' || opt.dry)
		return;
	if (audit_open(&r->alog, log) == -1)
		errx(EXIT_FAIL, "%s: %s; nothing changed", log,
		    audit_strerror(&r->alog));
	r->alogopen = 1;
}

/*
 * The lock of a run is an flock on each DIR itself: no lock file inside
 * a tree that a policy could delete, and systemd-tmpfiles leaves a
 * locked directory alone too.  All are taken before anything changes.
 */
static void
lock_targets(struct run *r)
{
	size_t i;

	if (opt.dry)
		return;
	for (i = 0; i < r->ntargets; i++) {
		if (flock(r->targets[i].fd, LOCK_EX | LOCK_NB) == 0)
			continue;
		if (errno == EWOULDBLOCK) {
			warnx("%s: busy (another retain, or another process "
			    "holding a lock on it, is working there)",
			    r->targets[i].dir);
			exit(EXIT_BUSY);
		}
		err(EXIT_FAIL, "%s: lock", r->targets[i].dir);
	}
}

/* Free what the policy holds and close its directories; errno kept.
 * Nothing here is needed once the run is over, but a leak checker
 * should find nothing to report. */
static void
run_free(struct run *r)
{
	struct rule *ru;
	size_t i;
	int serrno = errno;

	for (i = 0; i < r->ntargets; i++) {
		close(r->targets[i].fd);
		free((char *)r->targets[i].dir);
		free(r->targets[i].absdir);
		free(r->targets[i].rules);
	}
	for (i = 0; i < r->nrules; i++) {
		ru = &r->rules[i];
		if (ru->file != NULL) {
			free((char *)ru->pattern);
			free((char *)ru->agearg);
		}
		/* The command line's rules share one archive. */
		if (ru->action == A_ARCHIVE && (ru->file != NULL || i == 0)) {
			close(ru->destfd);
			free((char *)ru->dest);
			free(ru->absdest);
		}
	}
	free(r->targets);
	free(r->rules);
	free(r->skip);
	errno = serrno;
}

static const char *
optname(int val)
{
	size_t i;

	for (i = 0; longopts[i].name != NULL; i++)
		if (longopts[i].val == val)
			return longopts[i].name;
	return "?";
}

/* An unknown or ambiguous long option, as given (without "=VALUE"). */
static void
badlong(const char *arg)
{
	size_t len = strcspn(arg + 2, "="), i, n = 0;

	for (i = 0; longopts[i].name != NULL; i++)
		if (strncmp(longopts[i].name, arg + 2, len) == 0)
			n++;
	warnx("%.*s: %s option", (int)len + 2, arg, n > 1 ? "ambiguous" :
	    "unknown");
	usage();
}

int
main(int argc, char *argv[])
{
	struct run run;
	size_t i;
	int ch, hasnow = 0;

	if (argc > 1 && strcmp(argv[1], "records") == 0)
		return records_main(argc - 1, argv + 1);
	if (argc < 2)
		usage();

	memset(&run, 0, sizeof(run));
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":f:hnvV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			opt.policy = optarg;
			break;
		case 'h':
			help();
		case 'n':
			opt.dry = 1;
			break;
		case 'v':
			opt.verbose = 1;
			break;
		case 'V':
			err_version();
		case O_NOW:
			if (time_parse_now(optarg, &opt.now) == -1)
				errx(EXIT_USAGE, "--now: %s: want "
				    "YYYY-mm-ddTHH:MM:SSZ, YYYY-mm-dd, "
				    "YYYYmmdd_HHMMSS or @SECONDS", optarg);
			hasnow = 1;
			break;
		case O_OLDER:
			opt.olderthan = optarg;
			break;
		case O_MATCH:
			opt.match = optarg;
			break;
		case O_BY:
			if (strcmp(optarg, "mtime") == 0)
				opt.by = BY_MTIME;
			else if (strcmp(optarg, "name") == 0)
				opt.by = BY_NAME;
			else
				errx(EXIT_USAGE, "--by: %s: want mtime or name",
				    optarg);
			break;
		case O_ARCHIVE:
			opt.archive = optarg;
			break;
		case O_PRUNE:
			opt.prune = 1;
			break;
		case O_CROSSFS:
			opt.crossfs = 1;
			break;
		case ':':
			if (optopt >= 256)
				warnx("--%s: needs a value", optname(optopt));
			else
				warnx("-%c: needs a value", optopt);
			usage();
		default:
			if (optopt == 0 && strncmp(argv[optind - 1], "--",
			    2) == 0)
				badlong(argv[optind - 1]);
			if (optopt >= 256)
				warnx("--%s: takes no value", optname(optopt));
			else
				warnx("-%c: unknown option", optopt);
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (!hasnow)
		opt.now = time(NULL);

	if (opt.policy != NULL) {
		if (opt.olderthan != NULL || opt.match != NULL ||
		    opt.archive != NULL || opt.prune || opt.crossfs ||
		    opt.by != BY_MTIME) {
			warnx("-f: the policy says what to match and how old; "
			    "--older-than, --match, --by, --archive, "
			    "--prune-dirs and --cross-fs go with DIR operands");
			usage();
		}
		if (argc > 0) {
			warnx("%s: unexpected operand (the policy names the "
			    "directories)", argv[0]);
			usage();
		}
		policy_read(&run, opt.policy);
	} else {
		if (opt.olderthan == NULL) {
			warnx("--older-than (or -f POLICY) is needed");
			usage();
		}
		if (argc == 0) {
			warnx("no DIR given");
			usage();
		}
		policy_args(&run, argc, argv);
	}

	audit_start(&run);
	lock_targets(&run);
	for (i = 0; i < run.ntargets; i++)
		files_walk(&run, &run.targets[i]);
	for (i = 0; i < run.nrules; i++)
		archive_done(&run.rules[i]);
	if (run.alogopen)
		audit_close(&run.alog);
	run_free(&run);
	err_flush();
	return run.status;
}
