/* tree.h - a walk of a tree of any depth and width, in bounded memory,
 * relative to directory descriptors. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_TREE_H
#define DATAKEEP_TREE_H

#include <sys/types.h>
#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>

/*
 * lib/walk holds a descriptor and the sorted names of every directory
 * from the root down, and recurses per level: simple, ordered, and
 * limited to WALK_MAXDEPTH levels and to directories whose names fit in
 * memory.  This walk is an iterator instead, for trees made by anybody:
 *
 * - No recursion and no per-entry memory: a directory is read in
 *   getdents(2) batches and its entries are reported in the order the
 *   filesystem returns them (not sorted), so a directory of any size
 *   costs one buffer.
 * - Descriptors are bounded: the root and the first TREE_FDLEVELS levels
 *   below it keep theirs (and their read buffer) while their
 *   subdirectories are walked; a directory deeper than that gives up its
 *   descriptor when the walk enters a subdirectory, remembering where it
 *   was (the getdents cookie, d_off), and is opened again through ".."
 *   when the walk comes back up, and then checked to be the same
 *   directory (device, inode, mount id and birth time where statx(2)
 *   gives them).  If it is not (the tree was rearranged meanwhile), the
 *   rest of it and of its ancestors down to the last kept level is not
 *   walked and a TREE_ERROR says so: the walk never goes on in a
 *   directory it cannot vouch for.  Memory is a few dozen bytes per
 *   level of depth and the current path.  A deep level resumes with
 *   lseek(2) on the cookie, which ext4, xfs, btrfs and tmpfs keep stable
 *   while entries are removed.
 * - Nothing is ever followed: entries are examined with statx (or
 *   fstatat) and AT_SYMLINK_NOFOLLOW, directories opened relative to
 *   their parent with O_NOFOLLOW|O_DIRECTORY, and the descriptor opened
 *   must have the device and inode (and mount id) the examination saw,
 *   else the name is examined again: a directory swapped for a symlink
 *   is then reported as the symlink it now is.
 * - Without TREE_CROSSFS, a directory on another mount (by st_dev, and
 *   by mount id, which tells a bind mount of the same filesystem from
 *   the directory it shows) is reported, not opened (so an automount
 *   point is not triggered).
 */

#define TREE_CROSSFS	0x1	/* enter directories on other mounts */
#define TREE_FDLEVELS	64	/* levels below the root that keep their
				   descriptor while deeper ones are walked */

enum tree_event {
	TREE_FILE = 1,	/* an entry that is not a directory */
	TREE_DIR,	/* a directory, open, before its entries */
	TREE_POST,	/* a directory after all its entries */
	TREE_MOUNT,	/* a directory on another mount, not entered */
	TREE_ERROR,	/* a directory that cannot be walked (error, why) */
};

/*
 * What tree_next reports; the walk's, valid until the next call.  The
 * root itself is not reported.
 */
struct tree_entry {
	int		 dirfd;		/* the directory holding the entry */
	const char	*name;		/* its name in dirfd */
	const char	*path;		/* its path relative to the root */
	size_t		 pathlen;
	size_t		 depth;		/* 1 for the root's entries */
	int		 fd;		/* TREE_DIR, TREE_POST: the directory
					   itself, O_RDONLY; else -1 */
	unsigned char	 dtype;		/* DT_* as getdents said */
	int		 havestat;	/* st and mnt valid: always but for a
					   TREE_FILE before tree_stat */
	struct stat	 st;		/* the lstat of the entry; for a
					   directory entered, the fstat of
					   the descriptor */
	uint64_t	 mnt;		/* its mount id, 0 if unknown */
	int		 mountroot;	/* TREE_DIR, TREE_POST: a directory on
					   another mount (TREE_CROSSFS) */
	int		 error;		/* TREE_ERROR: the errno */
	const char	*why;		/* TREE_ERROR: a text instead of
					   strerror(error), or NULL */
};

struct tree;

/*
 * Begin a walk of the directory open at rootfd (which is not used by
 * the walk: it opens "." relative to it for a reading position of its
 * own).  0 with *tp set, or -1 with errno.
 */
int	tree_open(struct tree **tp, int rootfd, int flags);

/*
 * The next event, with *e pointing at the entry: TREE_FILE, TREE_DIR,
 * TREE_POST, TREE_MOUNT or TREE_ERROR (after which the walk goes on
 * without that directory: EACCES, a read error, or a directory that
 * changed while it was being walked, error EAGAIN and why saying so).
 * Entries that vanish before they are examined are left out silently.
 * 0 when the walk is done, -1 with errno when it cannot go on (ENOMEM).
 */
int	tree_next(struct tree *t, struct tree_entry **e);

/* After TREE_DIR: do not enter it (no TREE_POST follows). */
void	tree_skip(struct tree *t);

/*
 * Examine the TREE_FILE entry e (not followed) if not yet done: 0, or
 * -1 with errno (ENOENT: it vanished).
 */
int	tree_stat(struct tree *t, struct tree_entry *e);

/* End the walk, closing everything; t may be NULL. */
void	tree_close(struct tree *t);

#endif
