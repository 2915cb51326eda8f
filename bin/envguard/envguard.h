/* envguard.h - what the parts of envguard share. */
/* SPDX-License-Identifier: ISC */
#ifndef ENVGUARD_H
#define ENVGUARD_H

#include <sys/types.h>
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>

/* The parsed options, set once in main. */
struct options {
	const char	*env;		/* DATA_ENV, or -e for confirm */
	int		 dry;		/* -n */
	int		 verbose;	/* -v */
	int		 force;		/* -f */
	int		 immutable;	/* -i */
	int		 besteffort;	/* --best-effort */
	char		**prot;		/* -p ENV=PATH, as given */
	int		 nprot;
	char		**ro;		/* -r PATH */
	int		 nro;
	char		**rw;		/* -w PATH */
	int		 nrw;
};
extern struct options opt;

/*
 * A path resolved the way the kernel would, without requiring it to
 * exist: level 0 is "/", level i the i-th component of path.  Levels
 * below nexist exist and carry their device and inode; the rest is the
 * missing tail, which cannot hold a symlink or "..".
 */
#define RES_MAXLEVEL	(PATH_MAX / 2 + 1)
struct resolved {
	char		 path[PATH_MAX];	/* absolute, no symlink, no
						   "." or ".." */
	unsigned short	 off[RES_MAXLEVEL];	/* where level i's name
						   starts in path */
	dev_t		 dev[RES_MAXLEVEL];
	ino_t		 ino[RES_MAXLEVEL];
	int		 depth;			/* the last level */
	int		 nexist;		/* levels 0..nexist-1 exist */
	struct stat	 st;			/* lstat of level nexist-1 */
};

/* A protected tree: one environment's, or a -r tree (env "-r"). */
struct tree {
	const char	*env;
	const char	*given;		/* as configured */
	struct resolved	*res;
	dev_t		*adev;		/* bind mounts of parts of the tree */
	ino_t		*aino;		/* seen elsewhere (check) */
	char		**apath;
	int		 nalias;
};

/* A line of /proc/self/mountinfo, unescaped. */
struct mnt {
	unsigned long	 id;
	unsigned int	 major, minor;
	char		*root;		/* the directory of the filesystem
					   mounted */
	char		*point;		/* where */
	char		*fstype;
};

struct mnttab {
	struct mnt	*m;
	size_t		 n;
};

/* capget(2)/capset(2), version 3: two 32-bit words per set. */
#define CAPV3			0x20080522U
#define CAP_LINUX_IMMUTABLE_K	9
#define CAP_SYS_ADMIN_K		21
struct cap_hdr {
	unsigned int	version;
	int		pid;
};
struct cap_data {
	unsigned int	effective;
	unsigned int	permitted;
	unsigned int	inheritable;
};

/* main.c */
void	usage(void) __attribute__((noreturn));
void	putesc(FILE *, const char *);
void	say(const char *, const char *);
void	audit_start(const char *);
int	audit_change(const char *, const char *const *);
int	have_cap(int);
int	load_trees(struct tree **, int *, int);

/* resolve.c */
int	resolve(const char *, struct resolved *);
int	inside(const struct resolved *, const struct tree *);
int	mnt_load(struct mnttab *);
void	mnt_free(struct mnttab *);
const struct mnt *mnt_of(const struct mnttab *, const char *);
int	mnt_exposed(const struct mnttab *, const struct tree *,
	    void (*)(const struct tree *, const struct mnt *, const char *,
	    void *), void *);
int	cmd_check(int, char **);

/* run.c */
int	cmd_run(int, char **);

/* lock.c */
int	cmd_lock(int, char **);
int	cmd_unlock(int, char **);

#endif
