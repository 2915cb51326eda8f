/* main.c - envlink: build, check, repair and atomically switch
 * symlink-based data environments; atomically publish a rebuilt layer.
 * The commands' table, switch, publish and env. */
/* SPDX-License-Identifier: ISC */

#include <sys/types.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/atomic.h"
#include "lib/err.h"
#include "lib/mountinfo.h"
#include "bin/envlink/envlink.h"

#define SYNOPSIS \
	"envlink init    [-nv] [-c LAYERS] [-e NAME] MASTER ENVDIR\n" \
	"envlink check   [-v] ENVDIR\n" \
	"envlink repair  [-nv] ENVDIR\n" \
	"envlink switch  [-nv] LINK TARGET|-\n" \
	"envlink publish [-nv] LIVE NEW\n" \
	"envlink env     ENVDIR\n"

struct options opt;

static int	cmd_switch(int, char **);
static int	cmd_publish(int, char **);
static int	cmd_env(int, char **);

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*opts;
} cmds[] = {
	{ "init",	cmd_init,	":c:e:nv" },
	{ "check",	cmd_check,	":v" },
	{ "repair",	cmd_repair,	":nv" },
	{ "switch",	cmd_switch,	":nv" },
	{ "publish",	cmd_publish,	":nv" },
	{ "env",	cmd_env,	":" },
};

void
usage(void)
{
	err_usage(SYNOPSIS);
}

/* Whether LINK (base in dfd) exists, its target then in cur[size];
 * exits when it is anything but a symlink. */
static int
link_now(int dfd, const char *base, const char *link, char *cur, size_t size)
{
	struct stat st;
	ssize_t n;

	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT)
			err(EXIT_FAIL, "%s", esc(link));
		return 0;
	}
	if (!S_ISLNK(st.st_mode))
		errx(EXIT_FAIL, "%s: %s, not a symlink; refused", esc(link),
		    typename(st.st_mode));
	if ((n = readlinkat(dfd, base, cur, size - 1)) == -1)
		err(EXIT_FAIL, "%s", esc(link));
	cur[n] = '\0';
	return 1;
}

/* Exit unless target, as LINK (base in dfd, absolute path abs) would
 * resolve it, is a directory not reached through LINK itself. */
static void
target_ok(int dfd, const char *target, const char *base, const char *abs)
{
	struct stat st;
	size_t len = strlen(base);

	/* A relative target is relative to LINK's directory, as in ln -s. */
	if (fstatat(dfd, target, &st, 0) == -1)
		err(EXIT_FAIL, "%s", esc(target));
	if (!S_ISDIR(st.st_mode))
		errx(EXIT_FAIL, "%s: not a directory", esc(target));
	/* A link through itself would resolve to nothing once switched. */
	if ((strncmp(target, base, len) == 0 &&
	    (target[len] == '\0' || target[len] == '/')) ||
	    (target[0] == '/' && mountinfo_below(target, abs)))
		errx(EXIT_FAIL, "%s: goes through %s itself; refused",
		    esc(target), esc(abs));
}

static int
cmd_switch(int argc, char **argv)
{
	char link[PATH_MAX], base[NAME_MAX + 1], prev[NAME_MAX + 1];
	char lockname[NAME_MAX + 1], cur[PATH_MAX], target[PATH_MAX];
	char ldir[PATH_MAX], abs[PATH_MAX];
	const char *bases[2];
	struct stat st;
	ssize_t n;
	int dfd, have, back;

	if (argc != 2)
		usage();
	if (argv[1][0] == '\0')
		errx(EXIT_USAGE, "empty TARGET");
	back = strcmp(argv[1], "-") == 0;
	strip(argv[0], link, sizeof link);
	absolute(link, abs, sizeof abs);
	dfd = opendir_of(link, ldir, base, sizeof base);
	beside(prev, sizeof prev, base, "prev");
	beside(lockname, sizeof lockname, base, "lock");
	if (!back) {
		if ((size_t)snprintf(target, sizeof target, "%s", argv[1]) >=
		    sizeof target) {
			errno = ENAMETOOLONG;
			err(EXIT_FAIL, "%s", esc(argv[1]));
		}
		target_ok(dfd, target, base, abs);
	}
	/* Before the lock, so that a refusal leaves no lock file behind;
	 * again under it. */
	(void)link_now(dfd, base, link, cur, sizeof cur);
	if (back && faccessat(dfd, prev, F_OK, AT_SYMLINK_NOFOLLOW) == -1 &&
	    errno == ENOENT)
		errx(EXIT_FAIL, "%s: no previous target (no %s/%s)",
		    esc(link), esc(ldir), esc(prev));
	audit_start();
	if (!opt.dry)
		lock_or_exit(dfd, ldir, lockname, link);
	bases[0] = base;
	bases[1] = prev;
	clean_stale(dfd, ldir, bases, 2);

	/* Under the lock: what is there now, and where to. */
	have = link_now(dfd, base, link, cur, sizeof cur);
	if (fstatat(dfd, prev, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !S_ISLNK(st.st_mode))
		errx(EXIT_FAIL, "%s/%s: %s, not a symlink; refused", esc(ldir),
		    esc(prev), typename(st.st_mode));
	if (back) {
		n = readlinkat(dfd, prev, target, sizeof target - 1);
		if (n == -1 && errno == ENOENT)
			errx(EXIT_FAIL, "%s: no previous target (no %s/%s)",
			    esc(link), esc(ldir), esc(prev));
		if (n == -1)
			err(EXIT_FAIL, "%s/%s", esc(ldir), esc(prev));
		target[n] = '\0';
	}
	target_ok(dfd, target, base, abs);

	if (have)
		act("switch %s -> %s (was %s)", esc(link), esc(target),
		    esc(cur));
	else
		act("switch %s -> %s (new)", esc(link), esc(target));
	if (opt.dry) {
		err_flush();
		return EXIT_OK;
	}
	/* The previous target first: a crash then leaves LINK as it was. */
	if (have && atomic_symlink(dfd, prev, cur) == -1)
		err(EXIT_FAIL, "%s/%s", esc(ldir), esc(prev));
	if (have) {
		if (replace(dfd, base, target, S_IFLNK) == -1)
			err(EXIT_FAIL, "%s", esc(link));
	} else if (symlinkat(target, dfd, base) == -1 ||
	    atomic_syncdir(dfd, NULL) == -1)
		err(EXIT_FAIL, "%s", esc(link));
	audit_change("switch", "link", abspath(link, NULL), "target", target,
	    "previous", have ? cur : NULL, NULL);
	if (have)
		printf("%s\n", esc(cur));
	err_flush();
	return audit_failed() ? EXIT_FAIL : EXIT_OK;
}

static int
cmd_publish(int argc, char **argv)
{
	char live[PATH_MAX], next[PATH_MAX], lbase[NAME_MAX + 1];
	char nbase[NAME_MAX + 1], lockname[NAME_MAX + 1];
	char ldir[PATH_MAX], ndir[PATH_MAX];
	struct place lp, np;
	struct stat lst, nst, after;
	uint64_t idl, idn, idld, idnd;
	int ldfd, ndfd, lfd, nfd, serrno, synced = 1;

	if (argc != 2)
		usage();
	strip(argv[0], live, sizeof live);
	strip(argv[1], next, sizeof next);
	ldfd = opendir_of(live, ldir, lbase, sizeof lbase);
	ndfd = opendir_of(next, ndir, nbase, sizeof nbase);
	if (fstatat(ldfd, lbase, &lst, AT_SYMLINK_NOFOLLOW) == -1)
		err(EXIT_FAIL, "%s", esc(live));
	if (fstatat(ndfd, nbase, &nst, AT_SYMLINK_NOFOLLOW) == -1)
		err(EXIT_FAIL, "%s", esc(next));
	if (!S_ISDIR(lst.st_mode))
		errx(EXIT_FAIL, "%s: %s, not a directory", esc(live),
		    typename(lst.st_mode));
	if (!S_ISDIR(nst.st_mode))
		errx(EXIT_FAIL, "%s: %s, not a directory", esc(next),
		    typename(nst.st_mode));
	if (lst.st_dev == nst.st_dev && lst.st_ino == nst.st_ino)
		errx(EXIT_FAIL, "%s: the same directory as %s", esc(next),
		    esc(live));
	if (lst.st_dev != nst.st_dev)
		errx(EXIT_FAIL, "%s: on another filesystem than %s: no atomic "
		    "exchange is possible; nothing changed", esc(next),
		    esc(live));
	if ((lfd = openat(ldfd, lbase, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		err(EXIT_FAIL, "%s", esc(live));
	if ((nfd = openat(ndfd, nbase, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		err(EXIT_FAIL, "%s", esc(next));
	/* rename(2) works within one mount, and moves no mount point. */
	if (mountinfo_id(ldfd, &idld) == 0 && mountinfo_id(ndfd, &idnd) == 0 &&
	    mountinfo_id(lfd, &idl) == 0 && mountinfo_id(nfd, &idn) == 0) {
		if (idld != idnd)
			errx(EXIT_FAIL, "%s: on another mount than %s: no "
			    "atomic exchange is possible; nothing changed",
			    esc(next), esc(live));
		if (idl != idld)
			errx(EXIT_FAIL, "%s: a mount point; refused",
			    esc(live));
		if (idn != idnd)
			errx(EXIT_FAIL, "%s: a mount point; refused",
			    esc(next));
	}
	place_of(lfd, live, &lp);
	place_of(nfd, next, &np);
	if (within(nfd, next, &lp))
		errx(EXIT_FAIL, "%s: inside %s; refused", esc(next), esc(live));
	if (within(lfd, live, &np))
		errx(EXIT_FAIL, "%s: inside %s; refused", esc(live), esc(next));
	beside(lockname, sizeof lockname, lbase, "lock");
	audit_start();
	if (!opt.dry)
		lock_or_exit(ldfd, ldir, lockname, live);
	act("exchange %s and %s", esc(live), esc(next));
	if (opt.dry) {
		err_flush();
		return EXIT_OK;
	}
	if (atomic_exchange(ldfd, lbase, ndfd, nbase) == -1) {
		if (errno == EINVAL || errno == ENOSYS)
			errx(EXIT_FAIL, "%s: this kernel or filesystem cannot "
			    "exchange directories atomically (renameat2 "
			    "RENAME_EXCHANGE: %s); nothing changed", esc(live),
			    strerror(errno));
		if (errno == EXDEV)
			errx(EXIT_FAIL, "%s: on another filesystem than %s: "
			    "no atomic exchange is possible; nothing changed",
			    esc(next), esc(live));
		/* Where only the fsync failed, the exchange is made. */
		serrno = errno;
		if (fstatat(ldfd, lbase, &after, AT_SYMLINK_NOFOLLOW) == -1 ||
		    after.st_ino != nst.st_ino) {
			errno = serrno;
			err(EXIT_FAIL, "%s", esc(live));
		}
		errno = serrno;
		warn("%s: exchanged, but not synced to disk", esc(live));
		synced = 0;
	}
	audit_change("publish", "live", abspath(live, NULL), "new",
	    abspath(next, NULL), NULL);
	err_flush();
	return !synced || audit_failed() ? EXIT_FAIL : EXIT_OK;
}

/* Print VAR='value' with single quotes made safe for sh. */
static void
assign(const char *var, const char *value)
{
	printf("%s='", var);
	for (; *value != '\0'; value++)
		if (*value == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*value);
	puts("'");
}

static int
cmd_env(int argc, char **argv)
{
	char label[PATH_MAX], real[PATH_MAX];
	struct env e;
	int efd;

	if (argc != 1)
		usage();
	strip(argv[0], label, sizeof label);
	/* Resolved, so that a job keeps one environment even when a link
	 * to it is switched while it runs. */
	if (realpath(label, real) == NULL)
		err(EXIT_FAIL, "%s", esc(label));
	if ((efd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(EXIT_FAIL, "%s", esc(label));
	if (record_read(efd, esc(label), &e) == -1)
		errx(EXIT_FAIL, "%s: not an environment (no %s; run envlink "
		    "init first)", esc(label), RECORD);
	assign("DATA_ENV", e.name);
	assign("DATA_ROOT", real);
	assign("DATA_MASTER", e.master);
	puts("export DATA_ENV DATA_ROOT DATA_MASTER");
	err_flush();
	return EXIT_OK;
}

int
main(int argc, char *argv[])
{
	size_t i;
	int ch;

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
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			break;
	if (i == sizeof cmds / sizeof cmds[0]) {
		warnx("%s: unknown command", esc(argv[1]));
		usage();
	}
	argc--;
	argv++;
	while ((ch = getopt(argc, argv, cmds[i].opts)) != -1) {
		switch (ch) {
		case 'c':
			opt.layers = optarg;
			break;
		case 'e':
			opt.name = optarg;
			break;
		case 'n':
			opt.dry = 1;
			break;
		case 'v':
			opt.verbose = 1;
			break;
		case ':':
			warnx("-%c: needs a value", optopt);
			usage();
		default:
			warnx("-%c: unknown option", optopt);
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	return cmds[i].fn(argc, argv);
}

