/* atomic.h - crash-safe replacement of files, symlinks and directories. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_ATOMIC_H
#define DATAKEEP_ATOMIC_H

#include <sys/types.h>
#include <sys/stat.h>

#include <stddef.h>

/*
 * All names are relative to a directory descriptor (AT_FDCWD allowed) and
 * all functions return 0 on success or -1 with errno set, leaving no
 * temporary name behind on failure.  Temporary names are ".NAME.XXXXXX"
 * beside the target (see atomic_tmpname).
 */

/*
 * Make buf[size] a fresh unique temporary name for target, of the form
 * ".TARGET.XXXXXX" with random characters (truncating a long target).
 * Nothing is created.  0, or -1 with ENAMETOOLONG.
 */
int	atomic_tmpname(char *buf, size_t size, const char *target);

/* Whether name looks like a name made by atomic_tmpname for some target. */
int	atomic_istmp(const char *name);

/* fsync the directory dirfd (or the directory named dir relative to dirfd
 * when dir is not NULL): a rename is durable only once this returns. */
int	atomic_syncdir(int dirfd, const char *dir);

/*
 * Replace name with a file holding buf[len], mode mode: write a temporary,
 * fsync it, rename it over name, fsync the directory.  Afterwards name has
 * either its old content or the new one, whatever happens.
 */
int	atomic_write(int dirfd, const char *name, const void *buf, size_t len,
	    mode_t mode);

/* Replace (or create) the symlink name, pointing to target, atomically:
 * a symlink under a temporary name, renamed over; the directory fsynced. */
int	atomic_symlink(int dirfd, const char *name, const char *target);

/* Exchange two names atomically (renameat2 RENAME_EXCHANGE); both must
 * exist.  Fails with EINVAL/ENOSYS where the filesystem cannot do it. */
int	atomic_exchange(int dirfd1, const char *name1, int dirfd2,
	    const char *name2);

/* Rename from to to, failing with EEXIST if to exists (RENAME_NOREPLACE;
 * where the filesystem lacks it, link(2) + unlink(2) on regular files). */
int	atomic_rename_noreplace(int fromdirfd, const char *from, int todirfd,
	    const char *to);

/*
 * Copy the data of infd to outfd, size bytes from the current offsets:
 * FICLONE when both are whole regular files and size is their size, else
 * copy_file_range, else read/write.  Returns 0, or -1 with errno; on
 * success *method (if not NULL) says which was used.
 */
enum atomic_method { ATOMIC_CLONE = 1, ATOMIC_RANGE, ATOMIC_RW };
int	atomic_copy_data(int infd, int outfd, off_t size, int *method);

/*
 * Give fd the metadata of st: mode (with set-id bits), times (atime and
 * mtime, nanoseconds), and owner when running as root (chown failures are
 * ignored when not root).
 */
int	atomic_copy_meta(int fd, const struct stat *st);

/*
 * Copy the regular file src (relative to srcdirfd, not following a
 * symlink) to dst (relative to dstdirfd) atomically: data into a temporary
 * beside dst, metadata as atomic_copy_meta, fsync, rename over dst, fsync
 * the directory.  Fails with EINVAL if src is not a regular file.
 */
int	atomic_copy_file(int srcdirfd, const char *src, int dstdirfd,
	    const char *dst);

#endif
