/* snapback.h - what the parts of snapback share. */
/* SPDX-License-Identifier: ISC */
#ifndef SNAPBACK_H
#define SNAPBACK_H

#include <sys/types.h>
#include <sys/stat.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>

#include "lib/hash.h"
#include "lib/manifest.h"
#include "lib/snapdir.h"
#include "lib/walk.h"

#define RETRIES		3	/* copies retried when a file changes */

/* The parsed options, set once in main. */
struct options {
	const char	*dir;
	int		 dry;
	int		 verbose;
	int		 force;
	int		 wait;
};
extern struct options opt;

/* Set by SIGINT, SIGTERM and SIGHUP: stop, clean up, fail. */
extern volatile sig_atomic_t interrupted;

enum copy_mode {
	PLAN,		/* count what CREATE would copy; change nothing */
	CREATE,		/* a snapshot: link unchanged files, copy the rest */
	RESTORE,	/* a snapshot back: copy everything, check hashes */
};

/* What the walk met, and what is to be done with it. */
enum citem_act {
	C_DIR,		/* make the directory */
	C_MOUNT,	/* another filesystem: an empty directory */
	C_LINK,		/* hard-link the file from the previous snapshot */
	C_COPY,		/* copy the file */
	C_SYMLINK,	/* copy the symlink */
	C_NODE,		/* recreate a fifo, socket or device (root) */
	C_SKIP,		/* a fifo, socket or device, not root: warn */
};

struct citem {
	char		*path;		/* relative to the root, "" for it */
	struct stat	 st;
	unsigned char	 hash[HASH_LEN];
	enum citem_act	 act;
};

/*
 * One copy of a tree or a file.  The caller fills in the fields above
 * `told'; copy_tree fills in the rest.
 */
struct copier {
	enum copy_mode	 mode;
	int		 bfd;		/* the backup directory */
	const char	*srcroot;	/* the source, for messages */
	const char	*name;		/* the snapshot's name in bfd */
	const char	*refname;	/* CREATE: the previous snapshot, or
					   NULL */
	struct manifest	*ref;		/* its manifest; RESTORE: the manifest
					   checked against */
	int		 dstdirfd;	/* where the copy is made, */
	const char	*dstname;	/* under this name */
	const char	*dstlabel;	/* that directory, for messages */
	dev_t		 skipdev;	/* a directory never copied (the */
	ino_t		 skipino;	/* backup directory inside the source) */
	int		 syncfile;	/* fsync each file (a file snapshot) */

	int		 told;		/* a failure was reported */
	int		 bad;		/* RESTORE: files unlike the manifest */
	unsigned long long need, files, bytes, copied, linked;
	struct citem	*item;		/* in walk order */
	size_t		 nitem, capitem;
	int		 prev[WALK_MAXDEPTH + 1];
};

/*
 * Copy the tree or file root (relative to rootdirfd) as c says.  First a
 * walk decides, without writing anything, what each entry needs (a file
 * unchanged since the previous snapshot is to be linked) and adds up the
 * bytes to copy; then, unless PLAN, the free space beside dstname is
 * checked; then the copy is made under dstname, every copied file hashed
 * by reading it back, and the directories get their metadata last.
 * Returns 0, or -1 with c->told set when a message was printed (the
 * caller removes what is at dstname).
 */
int	copy_tree(struct copier *c, int rootdirfd, const char *root);

/* Append the manifest lines of a finished CREATE copy to m. */
int	copy_manifest(const struct copier *c, struct manifest *m);

void	copy_free(struct copier *c);

/* Fail with "not enough space" unless the filesystem of fd has room for
 * need bytes plus 5%. */
int	check_space(int fd, const char *where, unsigned long long need);

/* The manifest key of path in snapshot name: NAME or NAME/PATH. */
int	mkey(char *buf, size_t size, const char *name, const char *path);

/* Rehash every file of snapshot name, report problems on stdout; the
 * number of problems, -1 when the manifest is unusable. */
long	verify_one(const struct snapdir *b, const char *name);
int	cmd_verify(int argc, char **argv);

/* From main.c, for the commands in other files. */
void	usage(void) __attribute__((noreturn));
void	open_bdir(struct snapdir *b, int create);
void	kind_from_snapshots(struct snapdir *b);
void	scan(struct snapdir *b, int clean);
const char *resolve(const struct snapdir *b, const char *arg);
void	putesc(FILE *fp, const char *s);
void	say(const char *word, const char *path);

#endif
