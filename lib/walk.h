/* walk.h - tree walks and removal relative to directory descriptors. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_WALK_H
#define DATAKEEP_WALK_H

#include <sys/types.h>
#include <sys/stat.h>

/*
 * A walk never follows a symlink: every directory is opened with openat
 * relative to its parent's descriptor with O_NOFOLLOW|O_DIRECTORY, every
 * entry is examined with fstatat(AT_SYMLINK_NOFOLLOW).  Entries of a
 * directory are visited in strcmp order of their names, so walks are
 * reproducible.
 */

#define WALK_XDEV	0x1	/* do not descend into another filesystem
				   (by st_dev and by mount id) */

enum walk_event {
	WALK_DIR_PRE = 1,	/* a directory, before its entries */
	WALK_DIR_POST,		/* a directory, after its entries */
	WALK_OTHER,		/* anything not a directory */
	WALK_MOUNT,		/* a directory on another filesystem, not
				   entered (WALK_XDEV) */
};

struct walk_entry {
	int		 dirfd;		/* descriptor of the parent directory
					   (for the root: of the root's parent,
					   or AT_FDCWD) */
	const char	*name;		/* name in dirfd */
	const char	*path;		/* path relative to the root, "" for
					   the root itself */
	int		 fd;		/* WALK_DIR_PRE/POST: the directory,
					   open O_RDONLY|O_DIRECTORY; else -1 */
	int		 depth;		/* 0 for the root */
	struct stat	 st;		/* lstat of the entry */
};

/*
 * Called for each entry.  Return 0 to go on, 1 (on WALK_DIR_PRE) to skip
 * the directory's contents (no WALK_DIR_POST follows), -1 to stop the walk
 * (walk_tree then returns -1 with the errno the callback left).
 */
typedef int (*walk_fn)(enum walk_event ev, const struct walk_entry *e,
    void *arg);

/*
 * Walk the tree at root (relative to dirfd; a directory or anything else,
 * root itself not followed if a symlink).  Returns 0, or -1 with errno set
 * by the failed call or the callback.  An entry that vanishes between
 * readdir and fstatat is skipped silently.  Descriptors open at once are
 * bounded by the depth of the tree; depth is limited to WALK_MAXDEPTH
 * (ELOOP beyond).
 */
#define WALK_MAXDEPTH	256
int	walk_tree(int dirfd, const char *root, int flags, walk_fn fn,
	    void *arg);

/*
 * Remove name (relative to dirfd) and, if it is a directory, everything
 * below it, depth-first with unlinkat relative to directory descriptors.
 * A symlink is removed, never followed, even if it replaces a directory
 * during the walk.  With WALK_XDEV, a mount point below is not entered and
 * the removal fails with EXDEV.  Removing a name that does not exist
 * fails with ENOENT.
 */
int	walk_remove(int dirfd, const char *name, int flags);

#endif
