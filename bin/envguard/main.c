/* main.c - envguard: refuse or sandbox writes into protected trees.  The
 * command table, the options, the protected trees and confirm. */
/* SPDX-License-Identifier: ISC */
#define _GNU_SOURCE

#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/audit.h"
#include "lib/err.h"
#include "bin/envguard/envguard.h"

#define SYNOPSIS \
	"envguard check   [-p ENV=PATH]... PATH...\n" \
	"envguard run     [-v] [-p ENV=PATH]... [-r PATH]... [-w PATH]... " \
	"[--best-effort] -- CMD [ARG]...\n" \
	"envguard lock    [-nv] [-i] PATH...\n" \
	"envguard unlock  [-nv] [-f] PATH...\n" \
	"envguard confirm [-e ENV] [MESSAGE]\n"

#define CONFIRM_DEFAULT	"prod production"
#define ANSWER_MAX	256

struct options opt;

static int	cmd_confirm(int, char **);
static int	listed(const char *, const char *);
static void	add_prot(const char *, const char *);

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*opts;
} cmds[] = {
	{ "check",	cmd_check,	":p:" },
	{ "run",	cmd_run,	"+:p:r:vw:" },
	{ "lock",	cmd_lock,	":inv" },
	{ "unlock",	cmd_unlock,	":fnv" },
	{ "confirm",	cmd_confirm,	":e:" },
};

static const struct option longopts[] = {
	{ "best-effort",	no_argument,	NULL,	'B' },
	{ NULL,			0,		NULL,	0 },
};

void
usage(void)
{
	err_usage(SYNOPSIS);
}

/* Print s with backslash, tab and newline escaped, so that a hostile name
 * stays one field of one line. */
void
putesc(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", fp);
		else if (*s == '\n')
			fputs("\\n", fp);
		else if (*s == '\t')
			fputs("\\t", fp);
		else
			putc(*s, fp);
	}
}

/* One line of -v output on stderr: WORD escaped-path. */
void
say(const char *word, const char *path)
{
	if (!opt.verbose)
		return;
	fprintf(stderr, "%s ", word);
	putesc(stderr, path);
	putc('\n', stderr);
}

/*
 * The audit log (AUDITLOG), opened before anything is changed.  A log that
 * cannot be appended to stops the command there: a change that cannot be
 * recorded is not made.  why ends the message ("nothing changed").
 */
static struct audit alog;
static int alog_open;

void
audit_start(const char *why)
{
	const char *log = getenv("AUDITLOG");

	if (log == NULL || *log == '\0' || alog_open)
		return;
	if (audit_open(&alog, log) == -1)
		errx(EXIT_FAIL, "%s: %s; %s", log, audit_strerror(&alog), why);
	alog_open = 1;
}

/* One record of type for one change, fields kv (key, value, ..., NULL).
 * 0, or -1 with a message printed. */
int
audit_change(const char *type, const char *const *kv)
{
	if (!alog_open)
		return 0;
	if (audit_record(&alog, type, kv) == 0)
		return 0;
	warnx("%s: %s; the %s is not in the audit log", getenv("AUDITLOG"),
	    audit_strerror(&alog), type);
	return -1;
}

/* Whether capability cap is in the effective set. */
int
have_cap(int cap)
{
	struct cap_hdr h = { CAPV3, 0 };
	struct cap_data d[2];

	if (syscall(SYS_capget, &h, d) == -1)
		return 0;
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

/* Whether word is one of the blank-separated words of list. */
static int
listed(const char *list, const char *word)
{
	size_t len = strlen(word);
	const char *p = list, *e;

	while (*p != '\0') {
		p += strspn(p, " \t\n");
		e = p + strcspn(p, " \t\n");
		if (e != p && (size_t)(e - p) == len &&
		    strncmp(p, word, len) == 0)
			return 1;
		p = e;
	}
	return 0;
}

/* The protected trees as configured: -p first, then ENVGUARD_PROTECT. */
static struct {
	char	**env, **path;
	int	  n;
} prot;

static void
add_prot(const char *spec, const char *from)
{
	const char *eq = strchr(spec, '='), *p;
	char *env, *path;

	if (eq == NULL || eq == spec || eq[1] == '\0')
		errx(EXIT_USAGE, "%s: %s: want ENV=PATH", from, spec);
	for (p = spec; p < eq; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
		    *p == '.'))
			errx(EXIT_USAGE, "%s: %s: an environment's name is "
			    "letters, digits, '.', '_' and '-'", from, spec);
	if ((env = strndup(spec, eq - spec)) == NULL ||
	    (path = strdup(eq + 1)) == NULL)
		err(EXIT_FAIL, NULL);
	prot.env[prot.n] = env;
	prot.path[prot.n++] = path;
}

/*
 * The protected trees: every configured tree of an environment other than
 * the current one and, with ro, the -r trees.  Each is resolved (it may
 * be missing; the caller decides whether that is an error).  Exits on a
 * configuration error.  Returns the number of trees.
 */
int
load_trees(struct tree **out, int *n, int ro)
{
	const char *ep = getenv("ENVGUARD_PROTECT");
	struct tree *t;
	char *list = NULL, *s, *item;
	size_t max;
	int i;

	max = (size_t)opt.nprot + (ro ? (size_t)opt.nro : 0) + 1;
	if (ep != NULL) {
		if ((list = strdup(ep)) == NULL)
			err(EXIT_FAIL, NULL);
		max += strlen(ep) / 2 + 1;
	}
	prot.env = reallocarray(NULL, max, sizeof(char *));
	prot.path = reallocarray(NULL, max, sizeof(char *));
	t = reallocarray(NULL, max, sizeof(*t));
	if (prot.env == NULL || prot.path == NULL || t == NULL)
		err(EXIT_FAIL, NULL);
	prot.n = 0;
	for (i = 0; i < opt.nprot; i++)
		add_prot(opt.prot[i], "-p");
	for (s = list; s != NULL && (item = strsep(&s, ":")) != NULL; )
		if (*item != '\0')
			add_prot(item, "ENVGUARD_PROTECT");
	*n = 0;
	for (i = 0; i < prot.n + (ro ? opt.nro : 0); i++) {
		memset(&t[*n], 0, sizeof(t[*n]));
		if (i < prot.n) {
			if (opt.env != NULL && strcmp(prot.env[i], opt.env) == 0)
				continue;
			t[*n].env = prot.env[i];
			t[*n].given = prot.path[i];
		} else {
			t[*n].env = "-r";
			t[*n].given = opt.ro[i - prot.n];
			if (*t[*n].given == '\0')
				errx(EXIT_USAGE, "-r: empty path");
		}
		if ((t[*n].res = malloc(sizeof(struct resolved))) == NULL)
			err(EXIT_FAIL, NULL);
		if (resolve(t[*n].given, t[*n].res) == -1)
			err(EXIT_FAIL, "%s", t[*n].given);
		(*n)++;
	}
	free(list);
	*out = t;
	return *n;
}

/*
 * Ask on the terminal for the environment's name.  molly-guard does
 * nothing without a terminal; here no terminal means no, unless
 * ENVGUARD_YES names the environment (and that is audited).
 */
static int
cmd_confirm(int argc, char **argv)
{
	const char *list = getenv("ENVGUARD_CONFIRM"), *yes;
	char answer[ANSWER_MAX + 1];
	size_t len;
	ssize_t got;
	FILE *tty;
	int fd;

	if (argc > 1)
		usage();
	if (opt.env == NULL || *opt.env == '\0')
		return EXIT_OK;
	if (list == NULL)
		list = CONFIRM_DEFAULT;
	if (!listed(list, opt.env))
		return EXIT_OK;
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd == -1) {
		yes = getenv("ENVGUARD_YES");
		if (yes != NULL && listed(yes, opt.env)) {
			const char *kv[] = { "environment", opt.env, "by",
			    "ENVGUARD_YES", NULL };

			audit_start("not confirmed");
			if (audit_change("confirm-bypass", kv) == -1)
				errx(EXIT_FAIL, "%s: not confirmed", opt.env);
			return EXIT_OK;
		}
		errx(EXIT_FAIL, "%s: confirmation needed, but there is no "
		    "terminal (ENVGUARD_YES=%s confirms without one)", opt.env,
		    opt.env);
	}
	if ((tty = fdopen(fd, "r+")) == NULL)
		err(EXIT_FAIL, "/dev/tty");
	if (argc == 1)
		fprintf(tty, "%s\n", argv[0]);
	fprintf(tty, "This is the %s environment.  Type its name to go on: ",
	    opt.env);
	fflush(tty);
	/* One line, read with read(2): stdio would buffer past it. */
	len = 0;
	for (;;) {
		got = read(fd, answer + len, 1);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0 || answer[len] == '\n')
			break;
		if (len < ANSWER_MAX)
			len++;
	}
	if (got == -1)
		err(EXIT_FAIL, "/dev/tty");
	answer[len] = '\0';
	if (got == 0)
		fputc('\n', tty);
	fclose(tty);
	if (strcmp(answer, opt.env) != 0)
		errx(EXIT_FAIL, "%s: not confirmed", opt.env);
	return EXIT_OK;
}

int
main(int argc, char *argv[])
{
	size_t i;
	int ch;

	/* A closed 0, 1 or 2 would be reused by the next open, and a
	 * descriptor of ours handed on to CMD or written to as output. */
	for (ch = 0; ch <= 2; ch++)
		if (fcntl(ch, F_GETFD) == -1 && errno == EBADF &&
		    open("/dev/null", O_RDWR) != ch)
			return EXIT_FAIL;
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "-h") == 0) {
		fputs("usage: ", stdout);
		for (i = 0; SYNOPSIS[i] != '\0'; i++) {
			putchar(SYNOPSIS[i]);
			if (SYNOPSIS[i] == '\n' && SYNOPSIS[i + 1] != '\0')
				fputs("       ", stdout);
		}
		err_flush();
		return EXIT_OK;
	}
	if (strcmp(argv[1], "-V") == 0)
		err_version();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		warnx("%s: unknown command", argv[1]);
		usage();
	}
	argc--;
	argv++;
	opt.env = getenv("DATA_ENV");
	if (opt.env != NULL && *opt.env == '\0')
		opt.env = NULL;
	opt.prot = reallocarray(NULL, argc, sizeof(char *));
	opt.ro = reallocarray(NULL, argc, sizeof(char *));
	opt.rw = reallocarray(NULL, argc, sizeof(char *));
	if (opt.prot == NULL || opt.ro == NULL || opt.rw == NULL)
		err(EXIT_FAIL, NULL);
	/* Only run has a long option; it stops at CMD, whose options are
	 * its own ('+'). */
	while ((ch = cmds[i].fn == cmd_run ?
	    getopt_long(argc, argv, cmds[i].opts, longopts, NULL) :
	    getopt(argc, argv, cmds[i].opts)) != -1) {
		switch (ch) {
		case 'B':
			opt.besteffort = 1;
			break;
		case 'e':
			if (*optarg == '\0')
				errx(EXIT_USAGE, "-e: empty environment name");
			opt.env = optarg;
			break;
		case 'f':
			opt.force = 1;
			break;
		case 'i':
			opt.immutable = 1;
			break;
		case 'n':
			opt.dry = 1;
			break;
		case 'p':
			opt.prot[opt.nprot++] = optarg;
			break;
		case 'r':
			opt.ro[opt.nro++] = optarg;
			break;
		case 'v':
			opt.verbose = 1;
			break;
		case 'w':
			if (*optarg == '\0')
				errx(EXIT_USAGE, "-w: empty path");
			opt.rw[opt.nrw++] = optarg;
			break;
		case ':':
			warnx("-%c: needs a value", optopt);
			usage();
		default:
			if (optopt == 0)
				warnx("%s: unknown option", argv[optind - 1]);
			else
				warnx("-%c: unknown option", optopt);
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	return cmds[i].fn(argc, argv);
}
