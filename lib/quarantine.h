/* quarantine.h - removing exactly the entry that was judged, never
 * another one put in its place. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_QUARANTINE_H
#define DATAKEEP_QUARANTINE_H

#include <sys/types.h>
#include <sys/stat.h>

#include <limits.h>
#include <stddef.h>

/*
 * A cleaner that lstats a name, decides, then unlinks the name removes
 * whatever the name holds at the moment of the unlink: a file that an
 * application atomically replaced in between (rename of a fresh copy
 * over the old one) is lost, though it was never judged.  A quarantine
 * closes that gap: the name is first renamed into a private directory
 * (mode 0700, owned by the caller, on the same filesystem), where nobody
 * else can touch it; there its device, inode and (for files) mtime are
 * compared with what was judged; only if they match is it unlinked, else
 * it is renamed back, never over anything.
 *
 * A slot, the name of an entry in the quarantine, is "SEQ-ORIGIN": a
 * number unique in the quarantine, and the entry's path relative to the
 * quarantine's parent directory with '%' and '/' written as %25 and %2F
 * (just "SEQ" when that would not fit NAME_MAX), so that what a killed
 * process leaves in a quarantine can be put back where it came from.
 */

#define QUARANTINE_MTIME	0x1	/* the mtime must match too */

struct quarantine {
	int		 fd;		/* the quarantine directory, or -1 */
	int		 dirfd;		/* the directory holding it (the
					   caller's, kept open meanwhile) */
	char		 name[NAME_MAX + 1];	/* its name in dirfd */
	dev_t		 dev;
	ino_t		 ino;
	unsigned long long seq;		/* slots used so far */
};

/* Whether name looks like a quarantine made with prefix: the prefix, a
 * dot and 6 characters from [A-Za-z0-9]. */
int	quarantine_isname(const char *name, const char *prefix);

/*
 * Make a new quarantine "PREFIX.XXXXXX" (random characters) in dirfd,
 * mode 0700, and open it.  0, or -1 with errno (ENAMETOOLONG for a
 * prefix that leaves no room); nothing is left behind on failure.
 */
int	quarantine_create(struct quarantine *q, int dirfd, const char *prefix);

/*
 * Move name (in dirfd, which must be on the quarantine's mount) into the
 * quarantine and compare it with judged (an lstat of it).  origin is its
 * path relative to q->dirfd.  Its slot goes to slot[NAME_MAX + 1].
 * Returns:
 *	0	it is in the quarantine as slot and is what was judged
 *	1	it was something else and has been put back as name
 *	2	it was something else and name has been taken again
 *		meanwhile: it stays in the quarantine as slot
 *	-1	it could not be moved (errno from rename(2): ENOENT if it
 *		vanished, EPERM for an immutable entry, EXDEV, EBUSY...);
 *		nothing changed
 */
int	quarantine_take(struct quarantine *q, int dirfd, const char *name,
	    const char *origin, const struct stat *judged, int flags,
	    char *slot);

/* Rename slot back to name in dirfd, never over an existing name.
 * 0, or -1 with errno (EEXIST: name is taken; slot stays). */
int	quarantine_putback(struct quarantine *q, const char *slot, int dirfd,
	    const char *name);

/*
 * Unlink slot (rmdir when isdir), which quarantine_take put there from
 * name in dirfd.  0, or -1 with errno (ENOTEMPTY for a directory that
 * filled again): then it has been put back as name and slot[0] is set to
 * '\0', or, if that failed too, it stays in the quarantine as slot.  A
 * caller holding the file open (to keep a lock on it) closes it first:
 * an unlink while it is open costs the filesystem an orphan entry.
 */
int	quarantine_drop(struct quarantine *q, char *slot, int dirfd,
	    const char *name, int isdir);

/*
 * quarantine_take, then quarantine_drop.  Returns 0
 * when it is removed, 1 or 2 as quarantine_take, or -1 with errno when
 * it could not be taken, or could not be removed (ENOTEMPTY for a
 * directory that filled again): then it has been put back, or if that
 * failed too it stays in the quarantine and slot names it (slot[0] is
 * '\0' otherwise).
 */
int	quarantine_remove(struct quarantine *q, int dirfd, const char *name,
	    const char *origin, const struct stat *judged, int flags,
	    char *slot);

/*
 * Remove the quarantine directory (checking that its name still holds
 * it) and close it; 0, or -1 with ENOTEMPTY when entries stay in it
 * (it is then left, and closed).  A q whose fd is -1 is a no-op.
 */
int	quarantine_close(struct quarantine *q);

/*
 * Put back what a killed process left in the quarantine qname (in
 * dirfd): each slot with a known origin is renamed to it (the origin's
 * directory opened beneath dirfd without following symlinks, never over
 * an existing name); then the quarantine is removed if empty.  report is
 * called for each slot with its origin (NULL when unknown) and 0 or the
 * errno of the failure.  Only a directory owned by the effective user
 * with mode 0700 is taken for a quarantine (else EPERM): another user
 * could otherwise have entries "put back" where it may not write.
 * Returns the number of entries left in it (0: it was removed), or -1
 * with errno.
 */
long	quarantine_recover(int dirfd, const char *qname,
	    void (*report)(const char *origin, const char *slot, int error,
	    void *arg), void *arg);

#endif
