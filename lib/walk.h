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
 * reproducible.  Only the last component of the root given is guaranteed
 * not to be followed; trailing slashes are ignored ("link/" is the
 * symlink, not its target).
 */

#define WALK_XDEV	0x1	/* do not descend into another filesystem
				   (by st_dev and by mount id) */

enum walk_event {
	WALK_DIR_PRE = 1,	/* a directory, before its entries */
	WALK_DIR_POST,		/* a directory, after its entries */
	WALK_OTHER,		/* anything not a directory */
	WALK_MOUNT,		/* a directory on another filesystem, not
				   entered (WALK_XDEV); only directories
				   are checked, so a file bind mount is a
				   WALK_OTHER */
};

/*
 * The strings and descriptors are the walk's: valid during the callback
 * only, not to be closed.  The callback may read fd (its offset is
 * rewound before the walk reads the directory).
 */
struct walk_entry {
	int		 dirfd;		/* descriptor of the parent directory
					   (for the root: the dirfd passed to
					   walk_tree, maybe AT_FDCWD) */
	const char	*name;		/* name in dirfd (for the root: root
					   as given, trailing slashes off) */
	const char	*path;		/* path relative to the root, "" for
					   the root itself */
	int		 fd;		/* WALK_DIR_PRE/POST: the directory,
					   open O_RDONLY|O_DIRECTORY; else -1 */
	int		 depth;		/* 0 for the root */
	struct stat	 st;		/* lstat of the entry; for a directory
					   (and WALK_MOUNT) the fstat of the
					   descriptor actually opened */
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
 * root itself not followed if a symlink: then it is one WALK_OTHER).
 * Returns 0, or -1 with errno set by the failed call or the callback; the
 * walk stops at the first failure, e.g. a subdirectory it cannot open
 * (EACCES), a path longer than PATH_MAX (ENAMETOOLONG).  A missing root
 * fails with ENOENT.
 *
 * Below the root, an entry that vanishes between readdir and fstatat or
 * open is skipped silently.  A directory is reported only once it is open,
 * so that fd and st describe the same directory; a name that is replaced
 * by a non-directory between the fstatat and the open (the open fails
 * with ELOOP or ENOTDIR) is examined afresh and reported as what it is
 * now, and one that keeps flipping is skipped as vanished.  Descriptors
 * open at once are bounded by the depth of the tree; entries deeper than
 * WALK_MAXDEPTH (the root being at 0) fail with ELOOP.
 */
#define WALK_MAXDEPTH	256
int	walk_tree(int dirfd, const char *root, int flags, walk_fn fn,
	    void *arg);

/*
 * Remove name (relative to dirfd) and, if it is a directory, everything
 * below it, depth-first with unlinkat relative to directory descriptors.
 * A symlink is removed, never followed, even if it replaces a directory
 * during the walk, so nothing outside the tree is ever removed.  Returns
 * 0, or -1 with errno set; it stops at the first failure, and what was
 * removed before stays removed.  With WALK_XDEV, a mount point below
 * (other st_dev or mount id than name) is not entered and the removal
 * fails with EXDEV.  Removing a name that does not exist fails with
 * ENOENT; "/", "." and ".." (as last component) with EINVAL; entries
 * deeper than WALK_MAXDEPTH with ELOOP; a directory that is refilled
 * every time it has been emptied, a few times over, with ENOTEMPTY.
 * Entries vanishing meanwhile are not an error.
 */
int	walk_remove(int dirfd, const char *name, int flags);

/*
 * Open path, relative to dirfd, without following any symlink and
 * without leaving dirfd: openat2(2) with RESOLVE_NO_SYMLINKS and
 * RESOLVE_BENEATH where the kernel has it, else one component at a time
 * with O_NOFOLLOW.  flags are open(2)'s (O_CLOEXEC is added).  An
 * absolute path or a ".." component fails with EXDEV, a symlink on the
 * way with ELOOP (or ENOTDIR).  Returns the descriptor or -1.
 */
int	walk_open(int dirfd, const char *path, int flags);

#endif
