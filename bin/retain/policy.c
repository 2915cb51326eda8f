/* policy.c - retain: the policy, from a file or the command line,
 * checked whole before anything is touched. */
/* SPDX-License-Identifier: ISC */

#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/err.h"
#include "lib/time.h"
#include "bin/retain/retain.h"

/* The directories directly under / that hold the system: never a DIR
 * or an archive, whatever they are called or linked from. */
static const char *const sysdirs[] = {
	"bin", "boot", "dev", "etc", "home", "lib", "lib32", "lib64",
	"libx32", "media", "mnt", "opt", "proc", "root", "run", "sbin",
	"snap", "srv", "sys", "tmp", "usr", "var", NULL
};

/* Where an error is: "FILE:LINE: " for a policy line, "" otherwise. */
struct where {
	const char	*file;
	unsigned long	 line;
};

static void	bad(const struct where *, const char *, ...)
		    __attribute__((format(printf, 2, 3), noreturn));

/* A configuration error: "retain: FILE:LINE: message", exit 2. */
static void
bad(const struct where *w, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", err_progname());
	if (w != NULL && w->file != NULL)
		fprintf(stderr, "%s:%lu: ", w->file, w->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	putc('\n', stderr);
	exit(EXIT_USAGE);
}

void
skip_add(struct run *r, const struct stat *st)
{
	if (skip_has(r, st))
		return;
	if (r->nskip == r->capskip) {
		r->capskip = r->capskip ? r->capskip * 2 : 16;
		r->skip = xreallocarray(r->skip, r->capskip,
		    sizeof(*r->skip));
	}
	r->skip[r->nskip].dev = st->st_dev;
	r->skip[r->nskip].ino = st->st_ino;
	r->nskip++;
}

int
skip_has(const struct run *r, const struct stat *st)
{
	size_t i;

	for (i = 0; i < r->nskip; i++)
		if (r->skip[i].dev == st->st_dev &&
		    r->skip[i].ino == st->st_ino)
			return 1;
	return 0;
}

/* path with trailing slashes and "/." components taken off ("/" and
 * "." stay). */
static char *
trim(const char *path)
{
	char *p = xstrdup(path);
	size_t len = strlen(p);

	for (;;) {
		while (len > 1 && p[len - 1] == '/')
			len--;
		if (len > 2 && p[len - 1] == '.' && p[len - 2] == '/')
			len -= 2;
		else
			break;
	}
	p[len] = '\0';
	return p;
}

/* The absolute form of a tidy path, "." components and repeated slashes
 * gone (no ".." is left by then), symlinks not resolved. */
static char *
absolute(const char *path)
{
	char cwd[PATH_MAX], *buf, *out, *p, *comp;
	size_t n, len = 0;

	if (*path != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			err(EXIT_FAIL, "current directory");
	} else
		cwd[0] = '\0';
	n = strlen(cwd) + strlen(path) + 3;
	if ((buf = malloc(n)) == NULL || (out = malloc(n)) == NULL)
		err(EXIT_FAIL, "out of memory");
	snprintf(buf, n, "%s/%s", cwd, path);
	for (p = buf; (comp = strsep(&p, "/")) != NULL; ) {
		if (*comp == '\0' || strcmp(comp, ".") == 0)
			continue;
		out[len++] = '/';
		memcpy(out + len, comp, strlen(comp));
		len += strlen(comp);
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	free(buf);
	return out;
}

/*
 * Open a DIR (what "DIR" or "archive" says) after the refusal rules:
 * not empty, not relative in a policy, no ".." component, not "/" nor
 * a directory directly under it that holds the system (by name, and by
 * identity, which catches other names and bind mounts of them), not a
 * symlink (with or without trailing slashes), a directory.  *shown gets
 * the path as messages show it, *abs its absolute form.  Exits 2.
 */
static int
opendir_checked(const struct where *w, const char *what, const char *arg,
    char **shown, char **abs, struct stat *st)
{
	struct stat lst, sst;
	char *p, *a, sys[16];
	const char *c;
	size_t i;
	int fd;

	if (*arg == '\0')
		bad(w, "%s: an empty path is refused", what);
	if (w->file != NULL && *arg != '/')
		bad(w, "%s: %s: a relative path is refused in a policy",
		    what, arg);
	p = trim(arg);
	for (c = p; *c != '\0'; c++)
		if (c[0] == '.' && c[1] == '.' && (c == p || c[-1] == '/') &&
		    (c[2] == '/' || c[2] == '\0'))
			bad(w, "%s: a path with \"..\" is refused", arg);
	a = absolute(p);
	if (strcmp(a, "/") == 0)
		bad(w, "%s: the root directory is refused", arg);
	for (i = 0; sysdirs[i] != NULL; i++)
		if (a[0] == '/' && strcmp(a + 1, sysdirs[i]) == 0)
			bad(w, "%s: a top-level system directory is refused",
			    arg);
	if (lstat(p, &lst) == -1)
		bad(w, "%s: %s", arg, strerror(errno));
	if (S_ISLNK(lst.st_mode))
		bad(w, "%s: a symbolic link is refused (name the directory "
		    "it points to)", arg);
	if (!S_ISDIR(lst.st_mode))
		bad(w, "%s: not a directory", arg);
	if ((fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		bad(w, "%s: %s", arg, strerror(errno));
	if (fstat(fd, st) == -1)
		bad(w, "%s: %s", arg, strerror(errno));
	if (st->st_dev != lst.st_dev || st->st_ino != lst.st_ino)
		bad(w, "%s: changed while being opened", arg);
	if (stat("/", &sst) == 0 && sst.st_dev == st->st_dev &&
	    sst.st_ino == st->st_ino)
		bad(w, "%s: the root directory is refused", arg);
	for (i = 0; sysdirs[i] != NULL; i++) {
		snprintf(sys, sizeof(sys), "/%s", sysdirs[i]);
		if ((stat(sys, &sst) == 0 && sst.st_dev == st->st_dev &&
		    sst.st_ino == st->st_ino) || (lstat(sys, &sst) == 0 &&
		    sst.st_dev == st->st_dev && sst.st_ino == st->st_ino))
			bad(w, "%s: refused: it is %s, a top-level system "
			    "directory", arg, sys);
	}
	*shown = p;
	*abs = a;
	return fd;
}

/* A pattern with a '/' is matched on the path below DIR: it must be
 * one, relative and tidy. */
static void
check_pattern(const struct where *w, const char *pat)
{
	const char *c, *comp;
	size_t n;

	if (strchr(pat, '/') == NULL)
		return;
	if (pat[0] == '/')
		bad(w, "%s: a pattern is relative to DIR: no leading '/'",
		    pat);
	for (c = pat; ; c += n + 1) {
		comp = c;
		n = strcspn(c, "/");
		if (n == 0)
			bad(w, "%s: an empty component in a pattern", pat);
		if ((n == 1 && comp[0] == '.') ||
		    (n == 2 && comp[0] == '.' && comp[1] == '.'))
			bad(w, "%s: \".\" and \"..\" have no place in a "
			    "pattern", pat);
		if (c[n] == '\0')
			break;
	}
}

static void
check_age(const struct where *w, struct rule *ru, const char *age)
{
	struct duration d;

	if (time_parse_duration(age, &d) == -1)
		bad(w, "%s: want an age such as 90d, 36h, 7y or 1y6m (y m w "
		    "d h min s, each number up to 1000000)", age);
	if (time_sub(opt.now, &d, &ru->cutoff) == -1)
		bad(w, "%s: too far back from now", age);
	ru->agearg = age;
}

/* The target for directory fd, a new one or the one that already has
 * that directory (under any name). */
static struct target *
target_for(struct run *r, const struct where *w, const char *shown,
    char *abs, int fd, const struct stat *st, int prune, int crossfs)
{
	struct target *tg;
	size_t i;

	for (i = 0; i < r->ntargets; i++) {
		tg = &r->targets[i];
		if (tg->st.st_dev != st->st_dev || tg->st.st_ino != st->st_ino)
			continue;
		close(fd);
		free(abs);
		free((char *)shown);
		if (tg->prune != prune || tg->crossfs != crossfs) {
			if (tg->file != NULL)
				bad(w, "%s: prune-dirs and cross-fs differ "
				    "from line %lu, which names the same "
				    "directory", tg->dir, tg->line);
			bad(w, "%s: named twice", tg->dir);
		}
		return tg;
	}
	r->targets = xreallocarray(r->targets, r->ntargets + 1,
	    sizeof(*r->targets));
	tg = &r->targets[r->ntargets++];
	memset(tg, 0, sizeof(*tg));
	tg->dir = shown;
	tg->absdir = abs;
	tg->fd = fd;
	tg->st = *st;
	tg->prune = prune;
	tg->crossfs = crossfs;
	tg->file = w->file;
	tg->line = w->line;
	skip_add(r, st);
	return tg;
}

/* Once every rule is read: rules point into r->rules, which no longer
 * moves; hand them to their targets in order. */
/* (tgidx is NULL only when there is no rule, and then it is not read;
 * tg->rules is an array of pointers: the size of a pointer is meant.) */
/* NOLINTBEGIN(clang-analyzer-core.NullDereference) */
/* NOLINTBEGIN(bugprone-sizeof-expression) */
static void
assign(struct run *r, size_t *tgidx)
{
	struct target *tg;
	size_t i, j;

	for (i = 0; i < r->nrules; i++) {
		if (r->rules[i].action == A_ARCHIVE) {
			for (j = 0; j < r->ntargets; j++)
				if (r->targets[j].st.st_dev ==
				    r->rules[i].destst.st_dev &&
				    r->targets[j].st.st_ino ==
				    r->rules[i].destst.st_ino &&
				    tgidx[i] == j) {
					struct where w = { r->rules[i].file,
					    r->rules[i].line };

					bad(&w, "%s: the archive is the "
					    "directory itself",
					    r->rules[i].dest);
				}
		}
		tg = &r->targets[tgidx[i]];
		tg->rules = xreallocarray(tg->rules, tg->nrules + 1,
		    sizeof(*tg->rules));
		tg->rules[tg->nrules++] = &r->rules[i];
	}
}
/* NOLINTEND(bugprone-sizeof-expression) */
/* NOLINTEND(clang-analyzer-core.NullDereference) */

static struct rule *
newrule(struct run *r, size_t **tgidx)
{
	struct rule *ru;

	r->rules = xreallocarray(r->rules, r->nrules + 1, sizeof(*r->rules));
	*tgidx = xreallocarray(*tgidx, r->nrules + 1, sizeof(**tgidx));
	ru = &r->rules[r->nrules++];
	memset(ru, 0, sizeof(*ru));
	ru->destfd = -1;
	ru->curfd = -1;
	return ru;
}

static void
set_dest(struct rule *ru, const struct where *w, const char *dest)
{
	char *shown, *abs;

	ru->action = A_ARCHIVE;
	ru->destfd = opendir_checked(w, "archive", dest, &shown, &abs,
	    &ru->destst);
	ru->dest = shown;
	ru->absdest = abs;
}

void
policy_read(struct run *r, const char *file)
{
	struct where w = { file, 0 };
	struct conf c;
	struct rule *ru;
	struct stat st;
	struct target *tg;
	size_t *tgidx = NULL;
	char *shown, *abs;
	int n, i, fd, prune, crossfs;

	if (conf_open(&c, file) == -1)
		errx(EXIT_USAGE, "%s: %s", file, strerror(errno));
	while ((n = conf_next(&c)) != 0) {
		w.line = c.line;
		if (n == -1)
			bad(&w, "%s", c.reason);
		if (n < 4)
			bad(&w, "want DIR PATTERN AGE delete|archive DEST "
			    "[by=mtime|by=name] [prune-dirs] [cross-fs]");
		ru = newrule(r, &tgidx);
		ru->file = file;
		ru->line = c.line;
		ru->pattern = xstrdup(c.fields[1]);
		ru->pathpat = strchr(ru->pattern, '/') != NULL;
		check_pattern(&w, ru->pattern);
		check_age(&w, ru, xstrdup(c.fields[2]));
		i = 4;
		if (strcmp(c.fields[3], "delete") == 0)
			ru->action = A_DELETE;
		else if (strcmp(c.fields[3], "archive") == 0) {
			if (n < 5)
				bad(&w, "archive: the DEST directory is "
				    "missing");
			set_dest(ru, &w, c.fields[4]);
			i = 5;
		} else
			bad(&w, "%s: want delete or archive", c.fields[3]);
		prune = crossfs = 0;
		for (; i < n; i++) {
			if (strcmp(c.fields[i], "by=mtime") == 0)
				ru->by = BY_MTIME;
			else if (strcmp(c.fields[i], "by=name") == 0)
				ru->by = BY_NAME;
			else if (strcmp(c.fields[i], "prune-dirs") == 0)
				prune = 1;
			else if (strcmp(c.fields[i], "cross-fs") == 0)
				crossfs = 1;
			else
				bad(&w, "%s: want by=mtime, by=name, "
				    "prune-dirs or cross-fs", c.fields[i]);
		}
		fd = opendir_checked(&w, "DIR", c.fields[0], &shown, &abs,
		    &st);
		tg = target_for(r, &w, shown, abs, fd, &st, prune, crossfs);
		tgidx[r->nrules - 1] = (size_t)(tg - r->targets);
	}
	conf_close(&c);
	assign(r, tgidx);
	free(tgidx);
}

void
policy_args(struct run *r, int argc, char *argv[])
{
	struct where w = { NULL, 0 };
	struct rule proto, *ru;
	struct target *tg;
	struct stat st;
	size_t *tgidx = NULL, before;
	char *shown, *abs;
	int i, fd;

	memset(&proto, 0, sizeof(proto));
	proto.pattern = opt.match != NULL ? opt.match : "*";
	if (*proto.pattern == '\0')
		errx(EXIT_USAGE, "--match: an empty pattern matches nothing");
	{
		/* As a policy line would say it, for its messages. */
		struct where mw = { NULL, 0 };

		check_pattern(&mw, proto.pattern);
	}
	proto.pathpat = strchr(proto.pattern, '/') != NULL;
	proto.by = opt.by;
	if (time_parse_duration(opt.olderthan, &(struct duration){ 0 }) == -1)
		errx(EXIT_USAGE, "--older-than: %s: want an age such as 90d, "
		    "36h, 7y or 1y6m (y m w d h min s, each number up to "
		    "1000000)", opt.olderthan);
	check_age(&w, &proto, opt.olderthan);
	proto.action = A_DELETE;
	if (opt.archive != NULL)
		set_dest(&proto, &w, opt.archive);
	for (i = 0; i < argc; i++) {
		fd = opendir_checked(&w, "DIR", argv[i], &shown, &abs, &st);
		before = r->ntargets;
		tg = target_for(r, &w, shown, abs, fd, &st, opt.prune,
		    opt.crossfs);
		if (r->ntargets == before)
			continue;	/* the same directory again */
		ru = newrule(r, &tgidx);
		*ru = proto;
		ru->destfd = proto.destfd;
		ru->curfd = -1;
		tgidx[r->nrules - 1] = (size_t)(tg - r->targets);
	}
	assign(r, tgidx);
	free(tgidx);
}
