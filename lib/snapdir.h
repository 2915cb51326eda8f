/* snapdir.h - a snapback backup directory: names, completeness, cleanup. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_SNAPDIR_H
#define DATAKEEP_SNAPDIR_H

#include <sys/types.h>

#include <limits.h>
#include <time.h>

/*
 * The layout is in datakeep-formats(5): DIR/.snapback records the source,
 * DIR/STEM_YYYYmmdd_HHMMSS[EXT] are snapshots, complete if and only if
 * DIR/NAME.sha256 exists, DIR/latest[EXT] points to the newest, DIR/.lock
 * serializes the programs that change DIR, and names of the form
 * .NAME.XXXXXX (atomic_tmpname) are temporaries or trash.
 */

#define SNAPDIR_RECORD	".snapback"
#define SNAPDIR_LOCK	".lock"

struct snapdir {
	int		 fd;			/* the directory */
	int		 isdir;			/* snapshots are trees */
	char		 source[PATH_MAX];	/* as recorded, "" if none */
	char		 stem[NAME_MAX + 1];
	char		 ext[NAME_MAX + 1];
	char		 latest[NAME_MAX + 1];	/* "latest" EXT */
	char		**snap;			/* snapshot names, oldest first */
	size_t		 nsnap;
};

/*
 * Open the directory path and read its record.  Returns 0 with d->source
 * set (or "" when the directory has no record yet), or -1 with errno
 * (ENOENT: no such directory; EINVAL: the record is malformed).  The
 * names are not known until snapdir_names or snapdir_kind.
 */
int	snapdir_open(struct snapdir *d, const char *path);

/* Read the record again (another run may have written it meanwhile).
 * 0, 1 when there is none, -1 with errno. */
int	snapdir_record(struct snapdir *d);

/* Derive stem, extension and latest link name from d->source and
 * d->isdir.  0, or -1 with ENAMETOOLONG. */
int	snapdir_names(struct snapdir *d);

/* Whether name is a snapshot's name of this source; sets *t (if not
 * NULL) to its time. */
int	snapdir_is_snapshot(const struct snapdir *d, const char *name,
	    time_t *t);

/* The manifest's name of snapshot name into buf[NAME_MAX + 1]; 0, or -1
 * with ENAMETOOLONG. */
int	snapdir_manifest(char *buf, const char *name);

/* Whether snapshot name is complete (its manifest exists). */
int	snapdir_complete(const struct snapdir *d, const char *name);

/*
 * List the snapshots into d->snap, oldest first.  With clean (which the
 * caller must do under the lock), remove what interrupted runs left:
 * temporaries and trash named after a snapshot, a manifest, the latest
 * link or the record (removed whole, never crossing a mount), and
 * snapshots without a manifest; other dot-names are left alone.
 * removed(name, err, arg), if not NULL, is told of each.  Returns 0, or -1 with errno (a failed removal is skipped and
 * reported through removed with a nonzero err).
 */
int	snapdir_scan(struct snapdir *d, int clean,
	    void (*removed)(const char *name, int err, void *arg), void *arg);

/*
 * When the source is gone, learn from the snapshots whether they are
 * trees or files (then names and scan as snapdir_names and
 * snapdir_scan(d, 0, ...)).  0 or -1.
 */
int	snapdir_kind(struct snapdir *d);

/* The newest complete snapshot, or NULL. */
const char *snapdir_newest(const struct snapdir *d);

/* Where latest points, into buf; "" when it is missing, not a symlink or
 * not a plain name. */
void	snapdir_latest(const struct snapdir *d, char *buf, size_t size);

/*
 * Remove snapshot name so that a crash at any moment leaves either the
 * complete snapshot or trash that the next cleaning scan removes: the
 * manifest is removed first (un-committing it), the snapshot renamed to a
 * trash name, the directory fsynced after each step, then the trash
 * removed.  0, or -1 with errno.
 */
int	snapdir_remove(struct snapdir *d, const char *name);

void	snapdir_close(struct snapdir *d);

#endif
