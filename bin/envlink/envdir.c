/* envdir.c - envlink init, check and repair: the layers of
 * an environment directory. */
/* SPDX-License-Identifier: ISC */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/atomic.h"
#include "lib/err.h"
#include "bin/envlink/envlink.h"

/* --- diagnosis of a layer ------------------------------------------------- */

/* Whether the directory name in dirfd is empty (-1: cannot tell). */
static int
isempty(int dirfd, const char *name)
{
	struct dirent *de;
	DIR *d;
	int fd, empty = 1;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

/*
 * Look at layer l of environment e in ENVDIR (efd, label); mfd is the
 * master directory (-1 if it cannot be opened), master its place.
 */
static void
diagnose(const struct env *e, int l, int efd, const char *label, int mfd,
    const struct place *master, struct diag *d)
{
	const struct layer *ly = &e->layer[l];
	char path[PATH_MAX];
	struct stat st, mst;
	ssize_t n;
	int fd;

	memset(d, 0, sizeof *d);
	if (snprintf(path, sizeof path, "%s/%s", label, ly->name) >=
	    (int)sizeof path) {
		errno = ENAMETOOLONG;
		err(EXIT_FAIL, "%s", esc(label));
	}
	if (ly->shared && mfd != -1)
		d->writable = faccessat(mfd, ly->name, W_OK, AT_EACCESS) == 0;
	if (fstatat(efd, ly->name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT)
			err(EXIT_FAIL, "%s", esc(path));
		d->state = S_MISSING;
		return;
	}
	d->type = st.st_mode & S_IFMT;
	if (S_ISLNK(st.st_mode)) {
		n = readlinkat(efd, ly->name, d->text, sizeof d->text - 1);
		if (n == -1)
			err(EXIT_FAIL, "%s", esc(path));
		d->text[n] = '\0';
		if (fstatat(efd, ly->name, &st, 0) == -1) {
			d->state = S_DANGLING;
			return;
		}
	}
	if (ly->shared) {
		if (d->type != S_IFLNK)
			d->state = d->type == S_IFDIR && isempty(efd,
			    ly->name) == 1 ? S_EMPTYDIR : S_NOTLINK;
		else if (mfd == -1 || fstatat(mfd, ly->name, &mst, 0) == -1 ||
		    mst.st_dev != st.st_dev || mst.st_ino != st.st_ino)
			d->state = S_WRONGLINK;
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		d->state = d->type == S_IFLNK ? S_LINKED : S_NOTDIR;
		return;
	}
	if (mfd != -1 && (fd = openat(efd, ly->name, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) != -1) {
		if (within(fd, path, master))
			d->state = d->type == S_IFLNK ? S_INTOMASTER : S_INSIDE;
		close(fd);
	}
	if (d->state == S_OK && d->type == S_IFLNK)
		d->state = S_LINKED;
}

/* The check line(s) for a layer; returns how many. */
static int
report(const struct env *e, int l, const struct diag *d)
{
	const struct layer *ly = &e->layer[l];
	char m[PATH_MAX + NAME_LEN + 2];
	int n = 0;

	snprintf(m, sizeof m, "%s/%s", e->master, ly->name);
	if (d->state != S_OK) {
		printf("%s\t", ly->name);
		n++;
	}
	switch (d->state) {
	case S_OK:
		break;
	case S_MISSING:
		puts("missing");
		break;
	case S_DANGLING:
		printf("dangling symlink to %s\n", esc(d->text));
		break;
	case S_WRONGLINK:
		printf("symlink to %s, not to %s\n", esc(d->text), esc(m));
		break;
	case S_EMPTYDIR:
		printf("an empty directory, not a symlink to %s\n", esc(m));
		break;
	case S_NOTLINK:
		printf("%s%s, not a symlink to %s\n", typename(d->type),
		    d->type == S_IFDIR ? " with content" : "", esc(m));
		break;
	case S_LINKED:
		printf("symlink to %s, not a directory\n", esc(d->text));
		break;
	case S_INTOMASTER:
		printf("symlink into the master: %s\n", esc(d->text));
		break;
	case S_NOTDIR:
		printf("%s, not a directory\n", typename(d->type));
		break;
	case S_INSIDE:
		printf("a directory inside the master %s\n", esc(e->master));
		break;
	}
	if (d->writable) {
		printf("%s\twarning: %s is writable by uid %lu\n", ly->name,
		    esc(m), (unsigned long)geteuid());
		n++;
	}
	return n;
}

/* --- the environment of a command ---------------------------------------- */

/* Open ENVDIR (path given, trailing slashes stripped into label) and read
 * its record; exits if it is not an environment. */
static int
open_env(const char *arg, char *label, size_t size, struct env *e)
{
	int efd;

	strip(arg, label, size);
	if ((efd = open(label, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(EXIT_FAIL, "%s", esc(label));
	if (record_read(efd, esc(label), e) == -1)
		errx(EXIT_FAIL, "%s: not an environment (no %s; run envlink "
		    "init first)", esc(label), RECORD);
	return efd;
}

/* Open the master of e and describe it; -1 if it cannot be opened. */
static int
open_master(const struct env *e, struct place *master)
{
	int mfd;

	if ((mfd = open(e->master, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1)
		place_of(mfd, e->master, master);
	return mfd;
}

/*
 * Report on stderr what stands in the way of init in ENVDIR: a record of
 * another environment, an entry that is not the layer it should be (a
 * missing one is no conflict).  Returns how many; *have is set when the
 * same record is there already.
 */
static int
init_conflicts(const struct env *e, int efd, const char *label, int mfd,
    const struct place *master, int *have)
{
	char link[PATH_MAX + NAME_LEN + 2], *text, *want;
	size_t len, wantlen;
	struct env old;
	struct diag d;
	int i, n = 0;

	*have = 0;
	if (record_read(efd, esc(label), &old) == 0) {
		text = record_text(&old, &len);
		want = record_text(e, &wantlen);
		if (len == wantlen && memcmp(text, want, len) == 0)
			*have = 1;
		else {
			warnx("%s/%s: records another environment (%s, master "
			    "%s)", esc(label), RECORD, old.name,
			    esc(old.master));
			n++;
		}
		free(text);
		free(want);
	}
	for (i = 0; i < e->nlayers; i++) {
		diagnose(e, i, efd, label, mfd, master, &d);
		if (d.state == S_OK || d.state == S_MISSING)
			continue;
		snprintf(link, sizeof link, "%s/%s", e->master,
		    e->layer[i].name);
		if (d.state == S_INSIDE)
			warnx("%s/%s: a directory inside the master %s",
			    esc(label), e->layer[i].name, esc(e->master));
		else
			warnx("%s/%s: %s%s where %s%s belongs", esc(label),
			    e->layer[i].name, d.type == S_IFLNK ?
			    "a symlink to " : typename(d.type),
			    d.type == S_IFLNK ? esc(d.text) : "",
			    e->layer[i].shared ? "a symlink to " :
			    "a directory", e->layer[i].shared ? esc(link) : "");
		n++;
	}
	return n;
}

/* --- commands ----------------------------------------------------------- */

int
cmd_init(int argc, char **argv)
{
	char label[PATH_MAX], abs[PATH_MAX], base[NAME_MAX + 1];
	char pdir[PATH_MAX], link[PATH_MAX + NAME_LEN + 2], real[PATH_MAX];
	const char *bases[MAXLAYERS + 1];
	struct env e;
	struct place master, envdir;
	struct stat st;
	int mfd, pfd, efd = -1, i, conflicts = 0, made = 0, have = 0;

	if (argc != 2)
		usage();
	memset(&e, 0, sizeof e);
	if (opt.layers != NULL)
		layers_load(opt.layers, &e);
	else
		layers_default(&e);
	absolute(argv[0], e.master, sizeof e.master);
	strip(argv[1], label, sizeof label);
	absolute(label, abs, sizeof abs);
	if (opt.name != NULL) {
		if (!name_ok(opt.name))
			errx(EXIT_USAGE, "-e: %s: not an environment name "
			    "(letters, digits, '.', '_' and '-', at most 64, "
			    "not starting with '.' or '-')", esc(opt.name));
		strcpy(e.name, opt.name);
	} else if (!name_ok(strrchr(abs, '/') + 1))
		errx(EXIT_USAGE, "%s: its name is not an environment name "
		    "(letters, digits, '.', '_' and '-', at most 64): give one "
		    "with -e", esc(label));
	else
		strcpy(e.name, strrchr(abs, '/') + 1);

	/* MASTER and its shared layers must be there. */
	if ((mfd = open(e.master, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(EXIT_FAIL, "%s", esc(argv[0]));
	place_of(mfd, e.master, &master);
	for (i = 0; i < e.nlayers; i++) {
		if (!e.layer[i].shared)
			continue;
		if (fstatat(mfd, e.layer[i].name, &st, 0) == -1) {
			warn("%s/%s", esc(e.master), e.layer[i].name);
			conflicts++;
		} else if (!S_ISDIR(st.st_mode)) {
			warnx("%s/%s: not a directory", esc(e.master),
			    e.layer[i].name);
			conflicts++;
		}
	}
	if (conflicts > 0)
		errx(EXIT_FAIL, "%s: the master lacks %d shared layer%s; "
		    "nothing changed", esc(argv[0]), conflicts,
		    conflicts == 1 ? "" : "s");

	/*
	 * ENVDIR and MASTER must not hold each other.  An existing ENVDIR
	 * is found by its real path, so that "." and "dir/.." name it too.
	 */
	pfd = opendir_of(realpath(label, real) != NULL ? real : abs, pdir,
	    base, sizeof base);
	if (within(pfd, pdir, &master))
		errx(EXIT_FAIL, "%s: inside the master %s; refused",
		    esc(label), esc(e.master));
	if ((efd = openat(pfd, base, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			err(EXIT_FAIL, "%s", esc(label));
		if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0)
			errx(EXIT_FAIL, "%s: a dangling symlink", esc(label));
	} else {
		place_of(efd, label, &envdir);
		if (within(efd, label, &master))
			errx(EXIT_FAIL, "%s: inside the master %s; refused",
			    esc(label), esc(e.master));
		if (within(mfd, e.master, &envdir))
			errx(EXIT_FAIL, "%s: the master %s is inside it; "
			    "refused", esc(label), esc(e.master));
	}

	/* Conflicts first, before the lock file is made; again under it. */
	if (efd != -1 && (conflicts = init_conflicts(&e, efd, label, mfd,
	    &master, &have)) > 0)
		errx(EXIT_FAIL, "%s: %d conflict%s; nothing changed",
		    esc(label), conflicts, conflicts == 1 ? "" : "s");
	audit_start();
	if (efd == -1 && !opt.dry) {
		if (mkdirat(pfd, base, 0777) == -1 && errno != EEXIST)
			err(EXIT_FAIL, "%s", esc(label));
		if (atomic_syncdir(pfd, NULL) == -1)
			err(EXIT_FAIL, "%s", esc(label));
		if ((efd = openat(pfd, base, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1)
			err(EXIT_FAIL, "%s", esc(label));
		act("mkdir %s", esc(label));
		audit_change("mkdir", "path", abspath(label, NULL), NULL);
	} else if (efd == -1)
		act("mkdir %s", esc(label));
	if (efd != -1) {
		if (!opt.dry)
			lock_or_exit(efd, label, RECORD_LOCK, label);
		for (i = 0; i < e.nlayers; i++)
			bases[i] = e.layer[i].name;
		bases[i] = RECORD;
		clean_stale(efd, label, bases, e.nlayers + 1);
		if ((conflicts = init_conflicts(&e, efd, label, mfd, &master,
		    &have)) > 0)
			errx(EXIT_FAIL, "%s: %d conflict%s; nothing changed",
			    esc(label), conflicts, conflicts == 1 ? "" : "s");
	}

	for (i = 0; i < e.nlayers; i++) {
		if (efd != -1 && fstatat(efd, e.layer[i].name, &st,
		    AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		snprintf(link, sizeof link, "%s/%s", e.master,
		    e.layer[i].name);
		if (e.layer[i].shared)
			act("link %s/%s -> %s", esc(label), e.layer[i].name,
			    esc(link));
		else
			act("mkdir %s/%s", esc(label), e.layer[i].name);
		if (opt.dry)
			continue;
		if ((e.layer[i].shared ? symlinkat(link, efd, e.layer[i].name) :
		    mkdirat(efd, e.layer[i].name, 0777)) == -1)
			err(EXIT_FAIL, "%s/%s", esc(label), e.layer[i].name);
		made++;
		if (e.layer[i].shared)
			audit_change("link", "path", abspath(label,
			    e.layer[i].name), "target", link, NULL);
		else
			audit_change("mkdir", "path", abspath(label,
			    e.layer[i].name), NULL);
	}
	if (made > 0 && atomic_syncdir(efd, NULL) == -1)
		err(EXIT_FAIL, "%s", esc(label));
	if (!have) {
		act("write %s/%s", esc(label), RECORD);
		if (!opt.dry) {
			record_write(efd, esc(label), &e);
			audit_change("record", "path", abspath(label, RECORD),
			    "name", e.name, "master", e.master, NULL);
		}
	}
	err_flush();
	return audit_failed() ? EXIT_FAIL : EXIT_OK;
}

int
cmd_check(int argc, char **argv)
{
	char label[PATH_MAX];
	struct env e;
	struct place master;
	struct diag d;
	int efd, mfd, i, n = 0;

	if (argc != 1)
		usage();
	efd = open_env(argv[0], label, sizeof label, &e);
	mfd = open_master(&e, &master);
	for (i = 0; i < e.nlayers; i++) {
		diagnose(&e, i, efd, label, mfd, &master, &d);
		if (report(&e, i, &d) == 0 && opt.verbose)
			fprintf(stderr, "ok %s\n", e.layer[i].name);
		n += d.state != S_OK || d.writable;
	}
	err_flush();
	return n > 0 ? EXIT_FAIL : EXIT_OK;
}

/* Repair one layer if that destroys nothing; 0 if it is fine now. */
static int
repair_one(const struct env *e, int l, int efd, const char *label, int mfd,
    struct diag *d)
{
	const char *name = e->layer[l].name, *was;
	char m[PATH_MAX + NAME_LEN + 2];
	struct stat st;
	int r;

	snprintf(m, sizeof m, "%s/%s", e->master, name);
	if (e->layer[l].shared && d->state != S_OK &&
	    d->state != S_NOTLINK && (mfd == -1 ||
	    fstatat(mfd, name, &st, 0) == -1 || !S_ISDIR(st.st_mode))) {
		warnx("%s: %s; %s/%s not repaired", esc(m), mfd == -1 ||
		    errno == ENOENT ? "missing" : "not a directory",
		    esc(label), name);
		return -1;
	}
	switch (d->state) {
	case S_OK:
		return 0;
	case S_MISSING:
		if (e->layer[l].shared)
			act("link %s/%s -> %s", esc(label), name, esc(m));
		else
			act("mkdir %s/%s", esc(label), name);
		if (opt.dry)
			return 0;
		r = e->layer[l].shared ? symlinkat(m, efd, name) :
		    mkdirat(efd, name, 0777);
		if (r == 0)
			r = atomic_syncdir(efd, NULL);
		break;
	case S_DANGLING:
	case S_WRONGLINK:
	case S_EMPTYDIR:
	case S_LINKED:
	case S_INTOMASTER:
		if (!e->layer[l].shared)
			act("replace %s/%s (a symlink to %s) by a directory",
			    esc(label), name, esc(d->text));
		else if (d->state == S_EMPTYDIR)
			act("replace %s/%s (an empty directory) by a link to "
			    "%s", esc(label), name, esc(m));
		else
			act("relink %s/%s -> %s (was %s)", esc(label), name,
			    esc(m), esc(d->text));
		if (opt.dry)
			return 0;
		r = replace(efd, name, e->layer[l].shared ? m : NULL,
		    d->type);
		break;
	default:
		if (d->state == S_INSIDE)
			warnx("%s/%s: a directory inside the master; left "
			    "alone", esc(label), name);
		else
			warnx("%s/%s: %s, not a %s; left alone", esc(label),
			    name, d->type == S_IFDIR ?
			    "a directory with content" : typename(d->type),
			    e->layer[l].shared ? "symlink" : "directory");
		return -1;
	}
	if (r == -1) {
		warn("%s/%s", esc(label), name);
		return -1;
	}
	/* What the layer was, when something was replaced. */
	was = d->state == S_MISSING ? NULL : d->state == S_EMPTYDIR ?
	    "empty directory" : d->text;
	if (!e->layer[l].shared)
		audit_change("mkdir", "path", abspath(label, name), "was", was,
		    NULL);
	else
		audit_change(d->state == S_DANGLING || d->state == S_WRONGLINK ?
		    "relink" : "link", "path", abspath(label, name), "target",
		    m, "was", was, NULL);
	return 0;
}

int
cmd_repair(int argc, char **argv)
{
	char label[PATH_MAX];
	const char *bases[MAXLAYERS + 1];
	struct env e;
	struct place master;
	struct diag d;
	int efd, mfd, i, n = 0;

	if (argc != 1)
		usage();
	efd = open_env(argv[0], label, sizeof label, &e);
	audit_start();
	if (!opt.dry)
		lock_or_exit(efd, label, RECORD_LOCK, label);
	for (i = 0; i < e.nlayers; i++)
		bases[i] = e.layer[i].name;
	bases[i] = RECORD;
	clean_stale(efd, label, bases, e.nlayers + 1);
	mfd = open_master(&e, &master);
	for (i = 0; i < e.nlayers; i++) {
		diagnose(&e, i, efd, label, mfd, &master, &d);
		if (repair_one(&e, i, efd, label, mfd, &d) == 0) {
			/* Only the warning, which repair cannot fix, stays. */
			d.state = S_OK;
			if (!opt.dry)
				diagnose(&e, i, efd, label, mfd, &master, &d);
		}
		n += report(&e, i, &d);
	}
	err_flush();
	return n > 0 || audit_failed() ? EXIT_FAIL : EXIT_OK;
}

