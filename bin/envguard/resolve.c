/* resolve.c - envguard: paths resolved without requiring them to exist,
 * trees compared by device and inode, the mount table, and check. */
/* SPDX-License-Identifier: ISC */
#define _GNU_SOURCE	/* O_PATH */

#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/mountinfo.h"
#include "bin/envguard/envguard.h"

#define MAXLINKS	40	/* as the kernel's path walk */
#define MOUNTINFO	"/proc/self/mountinfo"

static int	append(struct resolved *, const char *, size_t);
static int	samename(const struct resolved *, int,
		    const struct resolved *, int);
static int	join(char *, size_t, const char *, const char *);
static void	unescape(char *);
static void	alias(const struct tree *, const struct mnt *, const char *,
		    void *);

/* Add level depth+1 named name[len] to r->path (not its dev/ino). */
static int
append(struct resolved *r, const char *name, size_t len)
{
	size_t at = strlen(r->path);

	if (len > NAME_MAX || r->depth + 1 >= RES_MAXLEVEL ||
	    at + 1 + len >= sizeof(r->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (r->depth > 0)
		r->path[at++] = '/';
	r->depth++;
	r->off[r->depth] = at;
	memcpy(r->path + at, name, len);
	r->path[at + len] = '\0';
	return 0;
}

/*
 * Resolve path as the kernel would (symlinks, "..", relative to the
 * working directory), and go on past the longest existing prefix: the
 * missing tail is taken as written, with "." dropped and ".." removing
 * the component before it.  A component below something that is not a
 * directory counts as missing (it cannot exist).  Returns 0, or -1 with
 * errno (ELOOP after MAXLINKS symlinks, ENAMETOOLONG, EACCES, ...).
 */
int
resolve(const char *path, struct resolved *r)
{
	char pend[PATH_MAX], next[PATH_MAX], target[PATH_MAX];
	const char *p, *e;
	struct stat st;
	ssize_t tl;
	size_t len;
	int links = 0, n;

	if (*path == '\0') {
		errno = ENOENT;
		return -1;
	}
	if (*path != '/') {
		if (getcwd(target, sizeof(target)) == NULL)
			return -1;
		n = snprintf(pend, sizeof(pend), "%s/%s", target, path);
	} else
		n = snprintf(pend, sizeof(pend), "%s", path);
	if (n < 0 || (size_t)n >= sizeof(pend)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(r->path, "/");
	r->off[0] = 0;
	r->depth = 0;
	if (lstat("/", &st) == -1)
		return -1;
	r->dev[0] = st.st_dev;
	r->ino[0] = st.st_ino;
	r->nexist = 1;
	for (p = pend; ; p = e) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		e = p + strcspn(p, "/");
		len = e - p;
		if (len == 1 && *p == '.')
			continue;
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (r->depth > 0) {
				r->path[r->off[r->depth] -
				    (r->depth > 1 ? 1 : 0)] = '\0';
				r->depth--;
				if (r->nexist > r->depth + 1)
					r->nexist = r->depth + 1;
			}
			continue;
		}
		if (append(r, p, len) == -1)
			return -1;
		if (r->nexist < r->depth)
			continue;		/* below a missing one */
		if (lstat(r->path, &st) == -1) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			return -1;
		}
		if (!S_ISLNK(st.st_mode)) {
			r->dev[r->depth] = st.st_dev;
			r->ino[r->depth] = st.st_ino;
			r->nexist = r->depth + 1;
			continue;
		}
		if (++links > MAXLINKS) {
			errno = ELOOP;
			return -1;
		}
		tl = readlink(r->path, target, sizeof(target));
		if (tl == -1)
			return -1;
		if ((size_t)tl >= sizeof(target)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		target[tl] = '\0';
		/* The link's own level goes; its target takes its place. */
		r->path[r->off[r->depth] - (r->depth > 1 ? 1 : 0)] = '\0';
		r->depth--;
		if (*target == '/') {
			strcpy(r->path, "/");
			r->depth = 0;
		}
		r->nexist = r->depth + 1;
		n = snprintf(next, sizeof(next), "%s/%s", target, e);
		if (n < 0 || (size_t)n >= sizeof(next)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(pend, next, n + 1);
		e = pend;
	}
	/* st of the last existing level, for the caller. */
	if (r->nexist - 1 == r->depth) {
		if (lstat(r->path, &r->st) == -1)
			return -1;
	} else {
		memcpy(next, r->path, r->off[r->nexist]);
		next[r->nexist > 1 ? r->off[r->nexist] - 1 : 1] = '\0';
		if (lstat(next, &r->st) == -1)
			return -1;
	}
	return 0;
}

static int
samename(const struct resolved *a, int i, const struct resolved *b, int j)
{
	size_t la = strcspn(a->path + a->off[i], "/");
	size_t lb = strcspn(b->path + b->off[j], "/");

	return la == lb && memcmp(a->path + a->off[i], b->path + b->off[j],
	    la) == 0;
}

/*
 * Whether r lies in tree t: some existing level of r is the deepest
 * existing level of t (same device and inode), and the levels after it
 * carry the names of t's missing tail; or a level of r is a bind mount
 * of part of t seen elsewhere.  Never by string prefix.
 */
int
inside(const struct resolved *r, const struct tree *t)
{
	const struct resolved *tr = t->res;
	int k = tr->nexist - 1, tail = tr->depth - k, i, j;

	for (j = 0; j < r->nexist; j++) {
		if (r->dev[j] != tr->dev[k] || r->ino[j] != tr->ino[k] ||
		    r->depth - j < tail)
			continue;
		for (i = 1; i <= tail; i++)
			if (!samename(r, j + i, tr, k + i))
				break;
		if (i > tail)
			return 1;
	}
	for (i = 0; i < t->nalias; i++)
		for (j = 0; j < r->nexist; j++)
			if (r->dev[j] == t->adev[i] && r->ino[j] == t->aino[i])
				return 1;
	return 0;
}

/* dir followed by rel ("" or starting with '/') into buf, tidy: no
 * doubled or trailing slash.  0, or -1 with ENAMETOOLONG. */
static int
join(char *buf, size_t size, const char *dir, const char *rel)
{
	int n;

	if (strcmp(rel, "/") == 0)
		rel = "";
	if (strcmp(dir, "/") == 0 && *rel != '\0')
		dir = "";
	n = snprintf(buf, size, "%s%s", dir, rel);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Undo mountinfo's octal escapes (\040 for a space, ...) in place. */
static void
unescape(char *s)
{
	char *d = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (s[1] - '0') << 6 | (s[2] - '0') << 3 |
			    (s[3] - '0');
			s += 3;
		} else
			*d++ = *s;
	}
	*d = '\0';
}

/*
 * Read /proc/self/mountinfo.  Returns 0, or -1 with errno (ENOENT when
 * /proc is not mounted; EINVAL for a line that does not parse).
 */
int
mnt_load(struct mnttab *t)
{
	char *line = NULL, *f[10], *s;
	struct mnt *m;
	size_t cap = 0, mcap = 0;
	FILE *fp;
	int i, save;

	t->m = NULL;
	t->n = 0;
	if ((fp = fopen(MOUNTINFO, "re")) == NULL)
		return -1;
	while (getline(&line, &cap, fp) != -1) {
		line[strcspn(line, "\n")] = '\0';
		s = line;
		for (i = 0; i < 6 && (f[i] = strsep(&s, " ")) != NULL; i++)
			;
		/* Optional fields up to "-", then the type. */
		while (s != NULL && (f[6] = strsep(&s, " ")) != NULL &&
		    strcmp(f[6], "-") != 0)
			;
		f[7] = s == NULL ? NULL : strsep(&s, " ");
		if (i < 6 || f[7] == NULL) {
			errno = EINVAL;
			goto fail;
		}
		if (t->n == mcap) {
			mcap = mcap ? mcap * 2 : 64;
			if ((m = reallocarray(t->m, mcap, sizeof(*m))) == NULL)
				goto fail;
			t->m = m;
		}
		m = &t->m[t->n];
		unescape(f[3]);
		unescape(f[4]);
		m->id = strtoul(f[0], NULL, 10);
		/* (The kernel writes MAJOR:MINOR; a field it did not is
		 * refused, as sscanf counts.) */
		/* NOLINTNEXTLINE(cert-err34-c) */
		if (sscanf(f[2], "%u:%u", &m->major, &m->minor) != 2) {
			errno = EINVAL;
			goto fail;
		}
		m->root = strdup(f[3]);
		m->point = strdup(f[4]);
		m->fstype = strdup(f[7]);
		if (m->root == NULL || m->point == NULL || m->fstype == NULL) {
			free(m->root);
			free(m->point);
			free(m->fstype);
			goto fail;
		}
		t->n++;
	}
	if (ferror(fp))
		goto fail;
	free(line);
	fclose(fp);
	return 0;
fail:
	save = errno;
	free(line);
	fclose(fp);
	mnt_free(t);
	errno = save;
	return -1;
}

void
mnt_free(struct mnttab *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->m[i].root);
		free(t->m[i].point);
		free(t->m[i].fstype);
	}
	free(t->m);
	t->m = NULL;
	t->n = 0;
}

/*
 * The mount path (absolute, no symlinks) is on: by the mount id statx
 * gives, else the last mount whose mount point is the longest prefix of
 * path.  NULL if none (a mount id that is not listed: the mount holding
 * a chroot's root is not shown).
 */
const struct mnt *
mnt_of(const struct mnttab *t, const char *path)
{
	const struct mnt *best = NULL;
	uint64_t id;
	size_t i, bl = 0, l;
	int fd, have;

	if ((fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return NULL;
	have = mountinfo_id(fd, &id) == 0;
	close(fd);
	if (have) {
		for (i = 0; i < t->n; i++)
			if (t->m[i].id == id)
				return &t->m[i];
		return NULL;	/* not listed: in a chroot, say */
	}
	for (i = 0; i < t->n; i++) {
		l = strlen(t->m[i].point);
		if (mountinfo_below(path, t->m[i].point) &&
		    (best == NULL || l >= bl)) {
			best = &t->m[i];
			bl = l;
		}
	}
	return best;
}

/*
 * Call fn for each mount that shows tree t, or a part of it, at a place
 * outside t: a bind mount of a directory in t, or another mount of a
 * directory above t (the same filesystem mounted twice, a bind mount of
 * an ancestor).  fn gets the mount and where the part of t is seen.
 * t must exist.  Returns how many were found, or -1 with errno.
 */
int
mnt_exposed(const struct mnttab *tab, const struct tree *t,
    void (*fn)(const struct tree *, const struct mnt *, const char *,
    void *), void *arg)
{
	const struct mnt *m, *l;
	const char *path = t->res->path, *rel;
	char fs[PATH_MAX], seen[PATH_MAX];
	size_t i;
	int found = 0, n;

	if ((m = mnt_of(tab, path)) == NULL) {
		errno = ENOENT;
		return -1;
	}
	/* Where t is within its filesystem. */
	rel = strcmp(m->point, "/") == 0 ? path : path + strlen(m->point);
	if (join(fs, sizeof(fs), m->root, rel) == -1)
		return -1;
	for (i = 0; i < tab->n; i++) {
		l = &tab->m[i];
		if (l == m || l->major != m->major || l->minor != m->minor)
			continue;
		if (mountinfo_below(l->root, fs))
			n = join(seen, sizeof(seen), l->point, "");
		else if (mountinfo_below(fs, l->root))
			n = join(seen, sizeof(seen), l->point,
			    strcmp(l->root, "/") == 0 ? fs :
			    fs + strlen(l->root));
		else
			continue;
		if (n == -1)
			continue;	/* beyond PATH_MAX: not reachable */
		if (mountinfo_below(seen, path))
			continue;	/* inside t, or over it */
		found++;
		if (fn != NULL)
			fn(t, l, seen, arg);
	}
	return found;
}

/* mnt_exposed's callback for check: what is seen elsewhere is denied
 * by its device and inode. */
static void
alias(const struct tree *ct, const struct mnt *m, const char *seen,
    void *arg)
{
	struct tree *t = (struct tree *)ct;
	struct stat st;
	void *p;

	(void)m;
	(void)arg;
	if (stat(seen, &st) == -1)
		return;
	if ((p = reallocarray(t->adev, t->nalias + 1, sizeof(dev_t))) == NULL)
		err(EXIT_FAIL, NULL);
	t->adev = p;
	if ((p = reallocarray(t->aino, t->nalias + 1, sizeof(ino_t))) == NULL)
		err(EXIT_FAIL, NULL);
	t->aino = p;
	t->adev[t->nalias] = st.st_dev;
	t->aino[t->nalias++] = st.st_ino;
}

static void
record(const char *kind, const char *path, const struct tree *t,
    const char *extra)
{
	fputs(kind, stdout);
	putchar('\t');
	putesc(stdout, path);
	printf("\t%s\t", t->env);
	putesc(stdout, t->given);
	if (extra != NULL)
		printf("\t%s", extra);
	putchar('\n');
}

int
cmd_check(int argc, char **argv)
{
	struct resolved *r;
	struct mnttab tab;
	struct tree *t;
	char links[32];
	int nt, i, j, rc = EXIT_OK;

	if (argc < 1)
		usage();
	load_trees(&t, &nt, 0);
	if (nt > 0 && mnt_load(&tab) == -1)
		warn("%s: bind mounts of protected trees are not checked",
		    MOUNTINFO);
	else if (nt > 0) {
		for (j = 0; j < nt; j++)
			if (t[j].res->nexist - 1 == t[j].res->depth)
				mnt_exposed(&tab, &t[j], alias, NULL);
		mnt_free(&tab);
	}
	if ((r = malloc(sizeof(*r))) == NULL)
		err(EXIT_FAIL, NULL);
	for (i = 0; i < argc; i++) {
		if (resolve(argv[i], r) == -1) {
			warn("%s", argv[i]);
			rc = EXIT_FAIL;
			continue;
		}
		for (j = 0; j < nt; j++)
			if (inside(r, &t[j]))
				break;
		if (j < nt) {
			record("deny", argv[i], &t[j], NULL);
			rc = EXIT_FAIL;
			continue;
		}
		/* Writing through another name of a protected file. */
		if (r->nexist - 1 != r->depth || !S_ISREG(r->st.st_mode) ||
		    r->st.st_nlink < 2)
			continue;
		for (j = 0; j < nt; j++)
			if (t[j].res->st.st_dev == r->st.st_dev)
				break;
		if (j < nt) {
			snprintf(links, sizeof(links), "%lu hard links",
			    (unsigned long)r->st.st_nlink);
			record("warn", argv[i], &t[j], links);
		}
	}
	free(r);
	err_flush();
	return rc;
}
