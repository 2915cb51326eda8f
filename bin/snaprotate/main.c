/* main.c - snaprotate: keep the snapshots restic's rules keep, within
 * size and free-space limits, and remove the others crash-safely. */
/* SPDX-License-Identifier: ISC */

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/atomic.h"
#include "lib/audit.h"
#include "lib/conf.h"
#include "lib/err.h"
#include "lib/lock.h"
#include "lib/snapdir.h"
#include "lib/time.h"
#include "lib/walk.h"
#include "bin/snaprotate/snaprotate.h"

#define SYNOPSIS \
	"snaprotate [-nv] [-d DIR] [-w SECS] [--pattern PAT] [--now TIME]\n" \
	"           [--keep-last N] [--keep-hourly N] [--keep-daily N]\n" \
	"           [--keep-weekly N] [--keep-monthly N] [--keep-yearly N]\n" \
	"           [--keep-within DUR] [--keep-within-hourly DUR]\n" \
	"           [--keep-within-daily DUR] [--keep-within-weekly DUR]\n" \
	"           [--keep-within-monthly DUR] [--keep-within-yearly DUR]\n" \
	"           [--max-size SIZE] [--min-free SIZE|PCT%]\n"

#define MAXWAIT		86400
#define MAXKEEP		1000000ULL
#define DEFAULT_LAST	7

/* Long options without a short one: values from 256 up. */
enum {
	O_PATTERN = 256, O_NOW, O_MAXSIZE, O_MINFREE,
	O_KEEP,				/* O_KEEP + enum rule */
};

static const struct option longopts[] = {
	{ "pattern",		required_argument, NULL, O_PATTERN },
	{ "now",		required_argument, NULL, O_NOW },
	{ "keep-last",		required_argument, NULL, O_KEEP + R_LAST },
	{ "keep-hourly",	required_argument, NULL, O_KEEP + R_HOURLY },
	{ "keep-daily",		required_argument, NULL, O_KEEP + R_DAILY },
	{ "keep-weekly",	required_argument, NULL, O_KEEP + R_WEEKLY },
	{ "keep-monthly",	required_argument, NULL, O_KEEP + R_MONTHLY },
	{ "keep-yearly",	required_argument, NULL, O_KEEP + R_YEARLY },
	{ "keep-within",	required_argument, NULL, O_KEEP + R_WITHIN },
	{ "keep-within-hourly",	required_argument, NULL, O_KEEP + R_WHOURLY },
	{ "keep-within-daily",	required_argument, NULL, O_KEEP + R_WDAILY },
	{ "keep-within-weekly",	required_argument, NULL, O_KEEP + R_WWEEKLY },
	{ "keep-within-monthly", required_argument, NULL, O_KEEP + R_WMONTHLY },
	{ "keep-within-yearly",	required_argument, NULL, O_KEEP + R_WYEARLY },
	{ "max-size",		required_argument, NULL, O_MAXSIZE },
	{ "min-free",		required_argument, NULL, O_MINFREE },
	{ NULL,			0,		   NULL, 0 },
};

struct options opt = { .dir = "backups" };

static void	usage(void) __attribute__((noreturn));
static void	help(void) __attribute__((noreturn));

static void
usage(void)
{
	err_usage(SYNOPSIS);
}

/* -h: the usage on stdout, laid out as err_usage lays it out. */
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

/* Print s with backslash, tab and newline escaped, so that a hostile name
 * stays one field of one line. */
void
putesc(FILE *fp, const char *s)
{
	size_t n;

	for (;;) {
		n = strcspn(s, "\\\n\t");
		fwrite(s, 1, n, fp);
		s += n;
		if (*s == '\0')
			return;
		fputs(*s == '\\' ? "\\\\" : *s == '\n' ? "\\n" : "\\t", fp);
		s++;
	}
}

/* The name of the long option with value val. */
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

static void
parse_keep(int r, const char *arg)
{
	unsigned long long v;

	if (r >= NCOUNT) {
		struct duration *d = &opt.policy.within[r - NCOUNT];

		if (time_parse_duration(arg, d) == -1)
			errx(EXIT_USAGE, "--%s: %s: want a duration such as "
			    "7d, 2w, 1y6m or 36h (y m w d h min s, each number "
			    "up to 1000000)", optname(O_KEEP + r), arg);
		opt.policy.haswithin[r - NCOUNT] = d->years != 0 ||
		    d->months != 0 || d->days != 0 || d->seconds != 0;
		return;
	}
	if (strcmp(arg, "unlimited") == 0)
		opt.policy.count[r] = UNLIMITED;
	else if (conf_number(arg, 0, MAXKEEP, &v) == 0)
		opt.policy.count[r] = (long long)v;
	else
		errx(EXIT_USAGE, "--%s: %s: want a number from 0 to %llu, "
		    "or unlimited", optname(O_KEEP + r), arg, MAXKEEP);
}

static void
parse_minfree(const char *arg)
{
	char buf[32];
	size_t len = strlen(arg);

	opt.minfreearg = arg;
	opt.minfreepct = len > 0 && arg[len - 1] == '%';
	if (opt.minfreepct) {
		if (len < sizeof(buf)) {
			memcpy(buf, arg, len - 1);
			buf[len - 1] = '\0';
			if (conf_number(buf, 0, 100, &opt.minfree) == 0)
				return;
		}
	} else if (conf_size(arg, &opt.minfree) == 0)
		return;
	errx(EXIT_USAGE, "--min-free: %s: want a size such as 500M or 20G, "
	    "or a percentage from 0%% to 100%%", arg);
}

static void
parse_options(int argc, char *argv[])
{
	unsigned long long w;
	int ch, r, hasnow = 0, any;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":d:hnvVw:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			if (*optarg == '\0')
				errx(EXIT_USAGE, "-d: empty directory name");
			opt.dir = optarg;
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
		case 'w':
			if (conf_number(optarg, 0, MAXWAIT, &w) == -1)
				errx(EXIT_USAGE, "-w: %s: want seconds from 0 "
				    "to %d", optarg, MAXWAIT);
			opt.wait = (int)w;
			break;
		case O_PATTERN:
			opt.pattern = optarg;
			break;
		case O_NOW:
			if (time_parse_now(optarg, &opt.policy.now) == -1)
				errx(EXIT_USAGE, "--now: %s: want "
				    "YYYY-mm-ddTHH:MM:SSZ, YYYY-mm-dd, "
				    "YYYYmmdd_HHMMSS or @SECONDS", optarg);
			hasnow = 1;
			break;
		case O_MAXSIZE:
			if (conf_size(optarg, &opt.maxsize) == -1)
				errx(EXIT_USAGE, "--max-size: %s: want a size "
				    "such as 500M or 20G", optarg);
			opt.maxsizearg = optarg;
			break;
		case O_MINFREE:
			parse_minfree(optarg);
			break;
		case ':':
			if (optopt >= 256)
				warnx("--%s: needs a value", optname(optopt));
			else
				warnx("-%c: needs a value", optopt);
			usage();
		case '?':
			if (optopt == 0 && strncmp(argv[optind - 1], "--",
			    2) == 0)
				badlong(argv[optind - 1]);
			if (optopt >= 256)
				warnx("--%s: takes no value", optname(optopt));
			else
				warnx("-%c: unknown option", optopt);
			usage();
		default:
			if (ch < O_KEEP || ch >= O_KEEP + NRULES)
				usage();
			parse_keep(ch - O_KEEP, optarg);
			opt.anyrule = 1;
		}
	}
	if (optind != argc) {
		warnx("%s: unexpected operand", argv[optind]);
		usage();
	}
	if (!hasnow)
		opt.policy.now = time(NULL);
	if (!opt.anyrule) {
		opt.policy.count[R_LAST] = DEFAULT_LAST;
		return;
	}
	for (any = 0, r = 0; r < NRULES; r++)
		if (r < NCOUNT ? opt.policy.count[r] != 0 :
		    opt.policy.haswithin[r - NCOUNT])
			any = 1;
	if (!any)
		errx(EXIT_USAGE, "every rule given is zero: refusing a policy "
		    "that keeps no snapshot (remove them by hand)");
}

/*
 * The audit log (AUDITLOG), opened before anything is changed, so that a
 * removal that cannot be recorded is not made; a dry run opens nothing.
 */
static struct audit alog;
static int alog_open;

static void
audit_start(void)
{
	const char *log = getenv("AUDITLOG");

	if (log == NULL || *log == '\0' || opt.dry)
		return;
	if (audit_open(&alog, log) == -1)
		errx(EXIT_FAIL, "%s: %s; nothing changed", log,
		    audit_strerror(&alog));
	alog_open = 1;
}

/* The one place where snaprotate's changes reach the audit log: a record
 * of type naming object and the directory (made absolute).  A change
 * made but not recorded ends the run with status 1. */
static void
audit_change(const char *what, const char *object)
{
	char dir[PATH_MAX], cwd[PATH_MAX];

	if (!alog_open)
		return;
	if (opt.dir[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL ||
	    (size_t)snprintf(dir, sizeof(dir), "%s/%s", cwd, opt.dir) >=
	    sizeof(dir))
		snprintf(dir, sizeof(dir), "%s", opt.dir);
	if (audit_record(&alog, what, (const char *const[]){ "name", object,
	    "dir", dir, NULL }) == -1)
		errx(EXIT_FAIL, "%s: %s; the %s of %s is not in the audit log",
		    getenv("AUDITLOG"), audit_strerror(&alog), what, object);
}

/* Take the directory's lock, held until the process exits. */
static void
lock_dir(int fd)
{
	if (lock_acquire(fd, SNAPDIR_LOCK, opt.wait) != -1)
		return;
	if (errno == EWOULDBLOCK) {
		warnx("%s: busy (another run holds %s/%s)", opt.dir, opt.dir,
		    SNAPDIR_LOCK);
		exit(EXIT_BUSY);
	}
	err(EXIT_FAIL, "%s/%s", opt.dir, SNAPDIR_LOCK);
}

/* -v on stderr for each leftover an earlier run left and this one
 * removed. */
static void
leftover(const char *name, int error, void *arg)
{
	(void)arg;
	if (error != 0) {
		errno = error;
		warn("%s/%s", opt.dir, name);
	} else if (opt.verbose) {
		fprintf(stderr, "remove leftover %s/", opt.dir);
		putesc(stderr, name);
		putc('\n', stderr);
	}
}

static void
addsnap(struct snap **v, size_t *n, size_t *cap, char *name, time_t t)
{
	struct snap *nv;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		if ((nv = reallocarray(*v, *cap, sizeof(*nv))) == NULL)
			err(EXIT_FAIL, "%s", opt.dir);
		*v = nv;
	}
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[*n].name = name;
	(*v)[*n].t = t;
	(*n)++;
}

/* The complete snapshots of a snapback directory; leftovers of killed
 * runs removed first unless dry. */
static size_t
list_snapdir(struct snapdir *d, struct snap **v)
{
	size_t i, n = 0, cap = 0;
	time_t t;

	if (snapdir_kind(d) == -1 ||
	    (!opt.dry && snapdir_scan(d, 1, leftover, NULL) == -1))
		err(EXIT_FAIL, "%s", opt.dir);
	*v = NULL;
	/* Dry, the leftovers are still there: incomplete snapshots are
	 * told apart when counting (every dry run counts). */
	for (i = 0; i < d->nsnap; i++)
		if (snapdir_is_snapshot(d, d->snap[i], &t))
			addsnap(v, &n, &cap, d->snap[i], t);
	return n;
}

/* The names matching the pattern; trash of killed runs (temporaries named
 * after a matching name) removed first unless dry. */
static size_t
list_pattern(int fd, const struct pattern *pat, struct snap **v)
{
	struct dirent *de;
	size_t n = 0, cap = 0, len;
	char inner[NAME_MAX + 1], *name;
	DIR *dp;
	time_t t;
	int dfd;

	*v = NULL;
	if ((dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (dp = fdopendir(dfd)) == NULL)
		err(EXIT_FAIL, "%s", opt.dir);
	while ((errno = 0, de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (atomic_istmp(de->d_name)) {
			len = strlen(de->d_name) - 8;
			memcpy(inner, de->d_name + 1, len);
			inner[len] = '\0';
			if (pattern_match(pat, inner, &t)) {
				if (!opt.dry)
					leftover(de->d_name, walk_remove(fd,
					    de->d_name, WALK_XDEV) == -1 &&
					    errno != ENOENT ? errno : 0, NULL);
				continue;
			}
		}
		if (!pattern_match(pat, de->d_name, &t))
			continue;
		if ((name = strdup(de->d_name)) == NULL)
			err(EXIT_FAIL, "%s", opt.dir);
		addsnap(v, &n, &cap, name, t);
	}
	if (errno != 0)
		err(EXIT_FAIL, "%s", opt.dir);
	closedir(dp);
	return n;
}

/*
 * Remove a matching name: a file (or symlink, or anything but a
 * directory) is unlinked, one step; a directory is renamed to a trash
 * name first, so that a crash leaves it whole or as trash that the next
 * run removes.  The directory is synced after each step.
 */
static int
remove_pattern(int fd, const char *name)
{
	char trash[NAME_MAX + 1];
	struct stat st;
	int i;

	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(fd, name, 0) == -1)
			return -1;
		return atomic_syncdir(fd, NULL);
	}
	/* A trash name must hold the whole name to be known as trash. */
	if (strlen(name) + 8 > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (i = 0; ; i++) {
		if (atomic_tmpname(trash, sizeof(trash), name) == -1)
			return -1;
		if (atomic_rename_noreplace(fd, name, fd, trash) == 0)
			break;
		/* A filesystem without RENAME_NOREPLACE: a plain rename to
		 * a name just seen free (only this run, under the lock,
		 * makes trash here). */
		if (errno == EINVAL || errno == ENOSYS) {
			if (fstatat(fd, trash, &st, AT_SYMLINK_NOFOLLOW) == 0)
				errno = EEXIST;
			else if (errno != ENOENT)
				return -1;
			else if (renameat(fd, name, fd, trash) == -1 ||
			    atomic_syncdir(fd, NULL) == -1)
				return -1;
			else
				break;
		}
		if (errno != EEXIST || i == 8)
			return -1;
	}
	if (walk_remove(fd, trash, WALK_XDEV) == -1)
		return -1;
	return atomic_syncdir(fd, NULL);
}

static void
line(const char *word, const struct snap *s)
{
	fputs(word, stdout);
	putc('\t', stdout);
	putesc(stdout, s->name);
	putc('\t', stdout);
	if (KEPT(s))
		policy_reasons(stdout, s);
	else
		printf("%llu", s->freed);
	putc('\n', stdout);
}

int
main(int argc, char *argv[])
{
	char latest[NAME_MAX + 1];
	unsigned long long freed = 0;
	struct pattern pat;
	struct snapdir d;
	struct space *sp = NULL;
	struct snap *s;
	const char *why;
	size_t n, i, j, nkeep = 0, nremove = 0;
	int fd, failed = 0, limits, r;

	parse_options(argc, argv);
	audit_start();
	if (opt.pattern != NULL &&
	    pattern_compile(&pat, opt.pattern, &why) == -1)
		errx(EXIT_USAGE, "--pattern: %s: %s", opt.pattern, why);
	limits = opt.maxsizearg != NULL || opt.minfreearg != NULL;

	latest[0] = '\0';
	if (opt.pattern != NULL) {
		if ((fd = open(opt.dir, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1)
			err(EXIT_FAIL, "%s", opt.dir);
		if (!opt.dry)
			lock_dir(fd);
		n = list_pattern(fd, &pat, &s);
	} else {
		if (snapdir_open(&d, opt.dir) == -1) {
			if (errno == EINVAL)
				err(EXIT_FAIL, "%s/%s", opt.dir,
				    SNAPDIR_RECORD);
			err(EXIT_FAIL, "%s", opt.dir);
		}
		if (d.source[0] == '\0')
			errx(EXIT_FAIL, "%s: not a snapback directory (no %s); "
			    "--pattern rotates other names", opt.dir,
			    SNAPDIR_RECORD);
		fd = d.fd;
		if (!opt.dry)
			lock_dir(fd);
		n = list_snapdir(&d, &s);
		snapdir_latest(&d, latest, sizeof(latest));
	}

	if (n > 0 && (limits || opt.verbose || opt.dry)) {
		if ((sp = space_count(fd, s, n, opt.pattern == NULL,
		    opt.dry && opt.pattern == NULL, limits)) == NULL)
			return EXIT_FAIL;
		for (i = j = 0; i < n; i++)
			if (!(s[i].flags & S_INCOMPLETE))
				s[j++] = s[i];
		n = j;
	}

	policy_sort(s, n);
	for (i = 0; i < n; i++)
		if (strcmp(s[i].name, latest) == 0)
			s[i].flags |= S_LATEST;
	policy_protect(s, n, opt.policy.now);
	if (policy_apply(s, n, &opt.policy) == -1)
		err(EXIT_FAIL, "%s", opt.dir);

	if (sp != NULL) {
		if (limits && (r = space_limit(sp, fd, s, n)) != 0) {
			if (r == -1)
				return EXIT_FAIL;
			failed = 1;
		}
		space_freed(sp, s, n);
	}

	/* Oldest first, as they are listed. */
	for (i = 0; i < n; i++) {
		if (KEPT(&s[i])) {
			nkeep++;
			if (opt.verbose || opt.dry)
				line("keep", &s[i]);
			continue;
		}
		if (!opt.dry) {
			if ((opt.pattern != NULL ? remove_pattern(fd,
			    s[i].name) : snapdir_remove(&d, s[i].name)) == -1) {
				warn("%s/%s", opt.dir, s[i].name);
				failed = 1;
				nkeep++;
				continue;
			}
			audit_change("remove", s[i].name);
		}
		nremove++;
		freed += s[i].freed;
		if (opt.verbose || opt.dry)
			line("remove", &s[i]);
	}
	if (opt.verbose || opt.dry)
		printf("total\tkeep %zu\tremove %zu\t%llu\n", nkeep, nremove,
		    freed);
	err_flush();
	space_free(sp);
	return failed ? EXIT_FAIL : EXIT_OK;
}
