/* run.c - envguard run: CMD under a Landlock ruleset that keeps the
 * protected trees read-only; as root also read-only bind mounts in a
 * private mount namespace, without the capabilities to undo them. */
/* SPDX-License-Identifier: ISC */
#define _GNU_SOURCE	/* unshare, CLONE_NEWNS, O_PATH, syscall numbers */

#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/mountinfo.h"
#include "bin/envguard/envguard.h"

/*
 * Landlock as the kernel defines it (no header with musl): the system
 * calls, the structures and the access rights by ABI version.
 */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset	444
#endif
#ifndef SYS_landlock_add_rule
#define SYS_landlock_add_rule		445
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self	446
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr		442
#endif
#ifndef SYS_close_range
#define SYS_close_range			436
#endif

#define LL_CREATE_RULESET_VERSION	1U
#define LL_RULE_PATH_BENEATH		1

#define LL_EXECUTE	(1ULL << 0)
#define LL_WRITE_FILE	(1ULL << 1)
#define LL_READ_FILE	(1ULL << 2)
#define LL_READ_DIR	(1ULL << 3)
#define LL_REMOVE_DIR	(1ULL << 4)
#define LL_REMOVE_FILE	(1ULL << 5)
#define LL_MAKE_CHAR	(1ULL << 6)
#define LL_MAKE_DIR	(1ULL << 7)
#define LL_MAKE_REG	(1ULL << 8)
#define LL_MAKE_SOCK	(1ULL << 9)
#define LL_MAKE_FIFO	(1ULL << 10)
#define LL_MAKE_BLOCK	(1ULL << 11)
#define LL_MAKE_SYM	(1ULL << 12)
#define LL_REFER	(1ULL << 13)	/* ABI 2 */
#define LL_TRUNCATE	(1ULL << 14)	/* ABI 3 */
#define LL_IOCTL_DEV	(1ULL << 15)	/* ABI 5 */

/* What changes the filesystem, in ABI 1.  Reading and executing are not
 * handled: they stay as they were. */
#define LL_WRITES_V1	(LL_WRITE_FILE | LL_REMOVE_DIR | LL_REMOVE_FILE | \
	LL_MAKE_CHAR | LL_MAKE_DIR | LL_MAKE_REG | LL_MAKE_SOCK | \
	LL_MAKE_FIFO | LL_MAKE_BLOCK | LL_MAKE_SYM)
/* The rights a rule on a non-directory may carry. */
#define LL_FILE_RIGHTS	(LL_EXECUTE | LL_WRITE_FILE | LL_READ_FILE | \
	LL_TRUNCATE | LL_IOCTL_DEV)
/* What -w leaves to the terminal and the null devices. */
#define LL_DEV_RIGHTS	(LL_WRITE_FILE | LL_TRUNCATE | LL_IOCTL_DEV)

struct ll_ruleset_attr {
	uint64_t	handled_access_fs;
};

struct ll_path_beneath {
	uint64_t	allowed_access;
	int32_t		parent_fd;
} __attribute__((packed));

/* mount_setattr(2) */
struct mount_attr_k {
	uint64_t	attr_set;
	uint64_t	attr_clr;
	uint64_t	propagation;
	uint64_t	userns_fd;
};
#define MOUNT_ATTR_RDONLY_K	0x1ULL
#ifndef AT_RECURSIVE
#define AT_RECURSIVE		0x8000
#endif


#define MAXDOMAINS	16	/* the kernel's limit on stacked domains */
#define MAXFD_LOOP	(1 << 20)

struct rules {
	int		 fd;		/* the ruleset */
	uint64_t	 handled;
	int		 n;
};

/* What exposed() needs and counts. */
struct expo {
	const struct tree *t;		/* all protected trees */
	int		 nt;
	int		 found;
};

/* A tree on the way down from a writable root: its level at the root. */
struct way {
	const struct tree *t;
	int		 base;
};

static void	drop_caps(void);
static void	mounts(struct tree *, int);
static int	add_rule(struct rules *, int, const char *, const char *,
		    uint64_t);
static void	ancestor(struct rules *, int, const char *, struct way *,
		    int, int);
static void	exposed(const struct tree *, const struct mnt *,
		    const char *, void *);
static void	check_stdio(const struct tree *, int);
static void	close_inherited(void);
static const char *ll_unavailable(void);

/*
 * Give up CAP_SYS_ADMIN (remount, umount) and CAP_LINUX_IMMUTABLE
 * (chattr -i) for good: from the bounding set, so that no exec regains
 * them, and from the effective, permitted and inheritable sets (which
 * also clears them from the ambient set).
 */
static void
drop_caps(void)
{
	static const int caps[] = { CAP_SYS_ADMIN_K, CAP_LINUX_IMMUTABLE_K };
	struct cap_hdr h = { CAPV3, 0 };
	struct cap_data d[2];
	uint32_t mask = 0;
	size_t i;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (prctl(PR_CAPBSET_READ, caps[i], 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, caps[i], 0, 0, 0) == -1 &&
		    geteuid() == 0)
			err(EXIT_FAIL, "prctl PR_CAPBSET_DROP");
		mask |= 1U << caps[i];
	}
	if (syscall(SYS_capget, &h, d) == -1)
		err(EXIT_FAIL, "capget");
	if (((d[0].effective | d[0].permitted | d[0].inheritable) & mask) == 0)
		return;
	d[0].effective &= ~mask;
	d[0].permitted &= ~mask;
	d[0].inheritable &= ~mask;
	if (syscall(SYS_capset, &h, d) == -1)
		err(EXIT_FAIL, "capset");
	say("drop", "CAP_SYS_ADMIN CAP_LINUX_IMMUTABLE");
}

/*
 * The second tier, as root: in a private mount namespace, each protected
 * tree bind-mounted read-only onto itself (with whatever is mounted
 * below it), which also stops chmod, chown, utimes, xattrs and chattr.
 */
static void
mounts(struct tree *t, int nt)
{
	struct mount_attr_k ma;
	struct mnttab tab;
	size_t k;
	int i;

	if (unshare(CLONE_NEWNS) == -1)
		err(EXIT_FAIL, "unshare CLONE_NEWNS");
	/* Nothing done here may reach the other namespaces, and nothing
	 * mounted there later (a bind mount of a tree) may show up here. */
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		err(EXIT_FAIL, "mount --make-rprivate /");
	for (i = 0; i < nt; i++) {
		const char *p = t[i].res->path;

		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) == -1)
			err(EXIT_FAIL, "%s: bind mount", p);
		memset(&ma, 0, sizeof(ma));
		ma.attr_set = MOUNT_ATTR_RDONLY_K;
		if (syscall(SYS_mount_setattr, AT_FDCWD, p, AT_RECURSIVE,
		    &ma, sizeof(ma)) == 0) {
			say("mount read-only", p);
			continue;
		}
		if (errno != ENOSYS)
			err(EXIT_FAIL, "%s: mount_setattr read-only", p);
		/* Before 5.12: the tree's mount, then each one below it. */
		if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY,
		    NULL) == -1)
			err(EXIT_FAIL, "%s: remount read-only", p);
		if (mnt_load(&tab) == -1)
			err(EXIT_FAIL, "/proc/self/mountinfo");
		for (k = 0; k < tab.n; k++) {
			const char *q = tab.m[k].point;

			if (strcmp(q, p) == 0 || !mountinfo_below(q, p))
				continue;
			if (mount(NULL, q, NULL, MS_REMOUNT | MS_BIND |
			    MS_RDONLY, NULL) == -1)
				err(EXIT_FAIL, "%s: remount read-only", q);
		}
		mnt_free(&tab);
		say("mount read-only", p);
	}
}

/*
 * Allow access beneath name (relative to dirfd; path for messages).  A
 * symlink gets no rule: what it points to is reached by its own path.
 * A non-directory gets the file rights only.  Returns 1 if a rule was
 * added, 0 if none was needed; exits on error.
 */
static int
add_rule(struct rules *rs, int dirfd, const char *name, const char *path,
    uint64_t access)
{
	struct ll_path_beneath pb;
	struct stat st;
	int fd;

	if ((fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;	/* gone meanwhile */
		err(EXIT_FAIL, "%s", path);
	}
	if (fstat(fd, &st) == -1)
		err(EXIT_FAIL, "%s", path);
	if (S_ISLNK(st.st_mode)) {
		close(fd);
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		access &= LL_FILE_RIGHTS;
	access &= rs->handled;
	if (access == 0) {
		close(fd);
		return 0;
	}
	pb.allowed_access = access;
	pb.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, rs->fd, LL_RULE_PATH_BENEATH, &pb,
	    0) == -1)
		err(EXIT_FAIL, "%s: landlock_add_rule", path);
	close(fd);
	rs->n++;
	if (opt.verbose) {
		fputs(access == rs->handled ? "allow all " :
		    S_ISDIR(st.st_mode) ? "allow write beneath " :
		    "allow write ", stderr);
		putesc(stderr, path);
		putc('\n', stderr);
	}
	return 1;
}

/* Level d+1 of the tree on way w: where its name starts, and its length. */
static const char *
way_name(const struct way *w, int d, size_t *len)
{
	const struct resolved *r = w->t->res;
	const char *p = r->path + r->off[w->base + d + 1];

	*len = strcspn(p, "/");
	return p;
}

/*
 * The names of directory dfd (O_PATH will do) other than "." and "..",
 * as a NULL-terminated array; NULL with errno if it cannot be read.
 */
static char **
list_dir(int dfd)
{
	struct dirent *de;
	char **names = NULL, **p;
	size_t n = 0, cap = 0;
	DIR *dir;
	int fd, save;

	if ((fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return NULL;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return NULL;
	}
	while ((errno = 0, de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n + 1 >= cap) {
			cap = cap ? cap * 2 : 64;
			if ((p = reallocarray(names, cap, sizeof(*p))) == NULL)
				err(EXIT_FAIL, NULL);
			names = p;
		}
		if ((names[n++] = strdup(de->d_name)) == NULL)
			err(EXIT_FAIL, NULL);
	}
	save = errno;
	closedir(dir);
	if (save != 0) {
		while (n > 0)
			free(names[--n]);
		free(names);
		errno = save;
		return NULL;
	}
	if (names == NULL && (names = calloc(1, sizeof(*names))) == NULL)
		err(EXIT_FAIL, NULL);
	names[n] = NULL;
	return names;
}

/*
 * dfd (path dpath) is a directory d levels below a writable root, on the
 * way to the trees in w[0..n-1].  Landlock only allows, so everything in
 * it that is not on the way gets a rule of its own: full access beneath
 * each sibling; the protected trees get none; a directory further on the
 * way is handled the same way.  Entries directly in dfd can then not be
 * made, removed or renamed: nothing allows it there.  A directory that
 * cannot be listed (mode 0711) gets no sibling rules: all of it but the
 * way is read-only, and a warning says so.
 */
static void
ancestor(struct rules *rs, int dfd, const char *dpath, struct way *w,
    int n, int d)
{
	struct way *sub;
	struct stat st;
	const struct resolved *r;
	const char *wn;
	char path[PATH_MAX], **names, *name;
	size_t len, wl;
	int fd, i, j, k, prot, listed;

	if ((names = list_dir(dfd)) == NULL) {
		warn("%s: cannot list it, so all of it but the way to the "
		    "protected trees is read-only for CMD", dpath);
		/* The names on the way, each once. */
		if ((names = calloc(n + 1, sizeof(*names))) == NULL)
			err(EXIT_FAIL, NULL);
		for (i = k = 0; i < n; i++) {
			wn = way_name(&w[i], d, &wl);
			for (j = 0; j < k; j++)
				if (strlen(names[j]) == wl &&
				    memcmp(names[j], wn, wl) == 0)
					break;
			if (j == k && (names[k++] = strndup(wn, wl)) == NULL)
				err(EXIT_FAIL, NULL);
		}
		listed = 0;
	} else
		listed = 1;
	if ((sub = reallocarray(NULL, n, sizeof(*sub))) == NULL)
		err(EXIT_FAIL, NULL);
	for (j = 0; (name = names[j]) != NULL; j++) {
		if ((size_t)snprintf(path, sizeof(path), "%s%s%s", dpath,
		    strcmp(dpath, "/") == 0 ? "" : "/", name) >= sizeof(path))
			errno = ENAMETOOLONG, err(EXIT_FAIL, "%s/%s", dpath,
			    name);
		len = strlen(name);
		k = 0;
		prot = -1;
		for (i = 0; i < n; i++) {
			wn = way_name(&w[i], d, &wl);
			if (wl != len || memcmp(wn, name, len) != 0)
				continue;
			if (w[i].t->res->depth == w[i].base + d + 1)
				prot = k;
			sub[k++] = w[i];
		}
		if (k == 0) {
			add_rule(rs, dfd, name, path, rs->handled);
			continue;
		}
		/* On the way: it must still be what was resolved. */
		i = prot >= 0 ? prot : 0;
		r = sub[i].t->res;
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			err(EXIT_FAIL, "%s", path);
		if (st.st_dev != r->dev[sub[i].base + d + 1] ||
		    st.st_ino != r->ino[sub[i].base + d + 1])
			errx(EXIT_FAIL, "%s: replaced while the rules were made",
			    path);
		if (prot >= 0) {
			if (opt.verbose) {
				fputs("protect ", stderr);
				putesc(stderr, path);
				fprintf(stderr, " (%s)\n", sub[prot].t->env);
			}
			continue;
		}
		if ((fd = openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC)) == -1)
			err(EXIT_FAIL, "%s", path);
		ancestor(rs, fd, path, sub, k, d + 1);
		close(fd);
	}
	for (j = 0; names[j] != NULL; j++)
		free(names[j]);
	free(names);
	free(sub);
	if (opt.verbose) {
		fputs("effect ", stderr);
		putesc(stderr, dpath);
		fputs(listed ? ": no entry can be made, removed or renamed "
		    "directly in it\n" : ": cannot be listed: nothing in it is "
		    "writable but the way on\n", stderr);
	}
}

/*
 * mnt_exposed's callback for run: a mount that shows a protected tree
 * elsewhere, unless that place is itself in a protected tree.  By path:
 * the mount shows the tree's own inodes, so by device and inode it is
 * always "in" it.  (A rule on it would allow the tree itself.)
 */
static void
exposed(const struct tree *t, const struct mnt *m, const char *seen,
    void *arg)
{
	struct expo *x = arg;
	int j;

	for (j = 0; j < x->nt; j++)
		if (mountinfo_below(seen, x->t[j].res->path))
			return;
	(void)m;
	warnx("%s: a mount showing the protected tree %s (%s), or part of "
	    "it, outside it; unmount it, or protect it too", seen,
	    t->res->path, t->env);
	x->found++;
}

/*
 * Descriptors 0, 1 and 2 are passed to CMD, with the rights they were
 * opened with: refuse one open for writing on a file in a protected
 * tree (`envguard run -r prod -- cmd >prod/x').
 */
static void
check_stdio(const struct tree *t, int nt)
{
	static const char *const names[] = {
		"standard input", "standard output", "standard error"
	};
	struct resolved *r;
	struct stat st;
	char link[32], target[PATH_MAX];
	ssize_t n;
	int fd, fl, j;

	if ((r = malloc(sizeof(*r))) == NULL)
		err(EXIT_FAIL, NULL);
	for (fd = 0; fd <= 2; fd++) {
		if ((fl = fcntl(fd, F_GETFL)) == -1 ||
		    (fl & O_ACCMODE) == O_RDONLY || fstat(fd, &st) == -1 ||
		    !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0 || *target != '/')
			continue;
		target[n] = '\0';
		if (resolve(target, r) == -1 || r->nexist - 1 != r->depth ||
		    r->st.st_dev != st.st_dev || r->st.st_ino != st.st_ino)
			continue;	/* deleted: not in any tree */
		for (j = 0; j < nt; j++)
			if (inside(r, &t[j]))
				errx(EXIT_FAIL, "%s: %s is open for writing on "
				    "it, in the protected tree %s (%s)", target,
				    names[fd], t[j].res->path, t[j].env);
	}
	free(r);
}

/* Descriptors opened before restrict_self keep their rights: none but
 * 0, 1 and 2 may reach CMD. */
static void
close_inherited(void)
{
	struct rlimit rl;
	long fd, max;

	say("close", "descriptors above 2");
	if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
		return;
	max = MAXFD_LOOP;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < MAXFD_LOOP)
		max = (long)rl.rlim_cur;
	for (fd = 3; fd < max; fd++)
		close((int)fd);
}

static const char *
ll_unavailable(void)
{
	if (errno == ENOSYS)
		return "this kernel has no Landlock";
	if (errno == EOPNOTSUPP)
		return "Landlock is disabled (boot with lsm=...,landlock)";
	return strerror(errno);
}

int
cmd_run(int argc, char **argv)
{
	struct ll_ruleset_attr ra;
	struct rules rs;
	struct mnttab tab;
	struct tree *t, *w;
	struct way *way;
	struct statvfs sv;
	struct expo x;
	const char *why = NULL;
	int nt, i, j, k, abi, ll, tier, fd;

	if (argc < 1)
		usage();
	load_trees(&t, &nt, 1);
	for (i = 0; i < nt; i++)
		if (t[i].res->nexist - 1 != t[i].res->depth)
			errx(EXIT_FAIL, "%s: protected tree (%s): %s",
			    t[i].given, t[i].env, strerror(ENOENT));
	/* A tree inside another adds nothing (and must not open siblings
	 * inside the outer one). */
	for (i = 0; i < nt; i++)
		for (j = 0; j < nt; j++)
			if (i != j && inside(t[i].res, &t[j]) &&
			    (!inside(t[j].res, &t[i]) || i > j)) {
				t[i--] = t[--nt];
				break;
			}
	if ((w = reallocarray(NULL, opt.nrw + 1, sizeof(*w))) == NULL)
		err(EXIT_FAIL, NULL);
	for (i = 0; i < opt.nrw; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].env = "-w";
		w[i].given = opt.rw[i];
		if ((w[i].res = malloc(sizeof(struct resolved))) == NULL)
			err(EXIT_FAIL, NULL);
		if (resolve(w[i].given, w[i].res) == -1)
			err(EXIT_FAIL, "%s", w[i].given);
		if (w[i].res->nexist - 1 != w[i].res->depth)
			errno = ENOENT, err(EXIT_FAIL, "%s", w[i].given);
		for (j = 0; j < nt; j++)
			if (inside(w[i].res, &t[j]))
				errx(EXIT_USAGE, "-w %s: inside the protected "
				    "tree %s (%s)", w[i].given, t[j].res->path,
				    t[j].env);
	}

	/* A bind mount would show a protected tree where rules allow. */
	if (nt > 0 && mnt_load(&tab) == -1) {
		if (!opt.besteffort)
			err(EXIT_FAIL, "/proc/self/mountinfo: cannot check for "
			    "bind mounts of the protected trees (--best-effort "
			    "runs without that check)");
		warn("--best-effort: /proc/self/mountinfo: bind mounts of the "
		    "protected trees are not checked, nor descriptors 0-2");
	} else if (nt > 0) {
		x.t = t;
		x.nt = nt;
		x.found = 0;
		for (i = 0; i < nt; i++) {
			if (mnt_exposed(&tab, &t[i], exposed, &x) != -1)
				continue;
			if (!opt.besteffort)
				err(EXIT_FAIL, "%s: its mount is not in "
				    "/proc/self/mountinfo, so bind mounts of it "
				    "cannot be checked (--best-effort runs "
				    "without that check)", t[i].res->path);
			warn("--best-effort: %s: its mount is not in "
			    "/proc/self/mountinfo: bind mounts of it are not "
			    "checked", t[i].res->path);
		}
		mnt_free(&tab);
		if (x.found > 0)
			exit(EXIT_FAIL);
		check_stdio(t, nt);
	}

	abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LL_CREATE_RULESET_VERSION);
	if (abi < 0) {
		why = ll_unavailable();
		ll = 0;
	} else
		ll = abi;
	tier = nt > 0 && geteuid() == 0 && have_cap(CAP_SYS_ADMIN_K);
	if ((nt > 0 || opt.nrw > 0) && ll < 3) {
		if (!opt.besteffort) {
			if (ll == 0)
				errx(EXIT_FAIL, "Landlock: %s; run needs Landlock "
				    "ABI 3 or later (--best-effort runs CMD "
				    "without it)", why);
			errx(EXIT_FAIL, "Landlock ABI %d: read-only trees need "
			    "ABI 3 or later, which stops truncation "
			    "(--best-effort runs CMD without that)", ll);
		}
		if (ll == 0 && nt > 0 && !tier)
			warnx("--best-effort: no Landlock (%s): nothing stops "
			    "CMD from writing into the protected trees", why);
		if (ll == 0 && opt.nrw > 0)
			warnx("--best-effort: no Landlock (%s): -w is not "
			    "enforced, CMD can write outside the -w trees", why);
		if (ll > 0 && nt > 0 && !tier)
			warnx("--best-effort: Landlock ABI %d: truncation "
			    "(truncate(2), open with O_TRUNC) of files in the "
			    "protected trees is not stopped", ll);
		if (ll > 0 && opt.nrw > 0)
			warnx("--best-effort: Landlock ABI %d: truncation of "
			    "files outside the -w trees is not stopped", ll);
		if (ll == 1)
			warnx("--best-effort: Landlock ABI 1: no file can be "
			    "moved or linked to another directory while CMD "
			    "runs");
	}
	if (opt.verbose && ll > 0)
		fprintf(stderr, "landlock ABI %d\n", ll);

	if (tier)
		mounts(t, nt);
	else if (nt > 0 && geteuid() == 0) {
		/* Nested under another envguard, say: fine if read-only
		 * already. */
		for (i = 0; i < nt; i++)
			if (statvfs(t[i].res->path, &sv) == -1 ||
			    !(sv.f_flag & ST_RDONLY))
				break;
		if (i < nt)
			warnx("no CAP_SYS_ADMIN: chmod, chown, utimes, xattrs "
			    "and chattr in the protected trees are not "
			    "stopped");
	}

	if ((nt > 0 || opt.nrw > 0) && ll > 0) {
		rs.handled = LL_WRITES_V1;
		if (ll >= 2)
			rs.handled |= LL_REFER;
		if (ll >= 3)
			rs.handled |= LL_TRUNCATE;
		if (ll >= 5 && opt.nrw > 0)
			rs.handled |= LL_IOCTL_DEV;
		ra.handled_access_fs = rs.handled;
		rs.n = 0;
		rs.fd = (int)syscall(SYS_landlock_create_ruleset, &ra,
		    sizeof(ra), 0U);
		if (rs.fd == -1)
			err(EXIT_FAIL, "landlock_create_ruleset");
		if ((way = reallocarray(NULL, nt + 1, sizeof(*way))) == NULL)
			err(EXIT_FAIL, NULL);
		/* Without -w everything is writable but the trees: "/" is
		 * the one writable root. */
		if (opt.nrw == 0) {
			memset(&w[0], 0, sizeof(w[0]));
			if ((w[0].res = malloc(sizeof(struct resolved))) == NULL)
				err(EXIT_FAIL, NULL);
			if (resolve("/", w[0].res) == -1)
				err(EXIT_FAIL, "/");
		}
		for (i = 0; i < (opt.nrw > 0 ? opt.nrw : 1); i++) {
			const struct resolved *wr = w[i].res;

			for (k = j = 0; j < nt; j++) {
				int lv;

				for (lv = 0; lv < t[j].res->nexist; lv++)
					if (t[j].res->dev[lv] ==
					    wr->dev[wr->depth] &&
					    t[j].res->ino[lv] ==
					    wr->ino[wr->depth])
						break;
				if (lv == t[j].res->nexist)
					continue;
				if (lv == t[j].res->depth) {
					/* "/" protected: nothing to allow. */
					if (opt.verbose)
						fprintf(stderr, "protect %s "
						    "(%s)\n", wr->path,
						    t[j].env);
					k = -1;
					break;
				}
				way[k].t = &t[j];
				way[k++].base = lv;
			}
			if (k == 0)
				add_rule(&rs, AT_FDCWD, wr->path, wr->path,
				    rs.handled);
			else if (k > 0) {
				fd = open(wr->path, O_PATH | O_DIRECTORY |
				    O_CLOEXEC);
				if (fd == -1)
					err(EXIT_FAIL, "%s", wr->path);
				ancestor(&rs, fd, wr->path, way, k, 0);
				close(fd);
			}
		}
		if (opt.nrw > 0) {
			static const char *const devs[] = {
				"/dev/null", "/dev/zero", "/dev/tty", "/dev/pts"
			};
			size_t d;

			for (d = 0; d < sizeof(devs) / sizeof(devs[0]); d++)
				add_rule(&rs, AT_FDCWD, devs[d], devs[d],
				    LL_DEV_RIGHTS);
		}
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
			err(EXIT_FAIL, "prctl PR_SET_NO_NEW_PRIVS");
		if (syscall(SYS_landlock_restrict_self, rs.fd, 0U) == -1) {
			if (errno == E2BIG)
				errx(EXIT_FAIL, "Landlock: CMD would run in more "
				    "than %d nested Landlock domains, the "
				    "kernel's limit (too many nested envguard "
				    "runs or other sandboxes)", MAXDOMAINS);
			err(EXIT_FAIL, "landlock_restrict_self");
		}
		close(rs.fd);
	} else if (nt == 0 && opt.nrw == 0)
		say("protect", "nothing: no protected trees and no -w");
	if (nt > 0)
		drop_caps();
	close_inherited();
	if (opt.verbose) {
		fputs("exec", stderr);
		for (i = 0; i < argc; i++) {
			putc(' ', stderr);
			putesc(stderr, argv[i]);
		}
		putc('\n', stderr);
	}
	fflush(stderr);
	execvp(argv[0], argv);
	warn("%s", argv[0]);
	return errno == ENOENT ? 127 : 126;
}
