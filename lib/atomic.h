/* atomic.h - crash-safe replacement of files, symlinks and directories. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_ATOMIC_H
#define DATAKEEP_ATOMIC_H

#include <sys/types.h>
#include <sys/stat.h>

#include <stddef.h>

/*
 * All names are relative to a directory descriptor (AT_FDCWD allowed) and
 * may have a directory part ("sub/name"); the temporary name is made in
 * the same directory as the last component, ".NAME.XXXXXX" (see
 * atomic_tmpname), and the directory fsynced is that one.  All functions
 * return 0 on success or -1 with errno set, leaving no temporary name and
 * no open descriptor behind on failure.
 *
 * Where a function fails only in the final directory fsync, the change
 * itself has been made and is visible; -1 then says that its durability
 * is not assured.
 */

/*
 * Make buf[size] a fresh unique temporary name for target, of the form
 * ".TARGET.XXXXXX" with 6 random characters from [A-Za-z0-9].  A directory
 * part of target is kept as is; the last component is truncated (never
 * inside a UTF-8 sequence) so that the temporary fits in NAME_MAX and in
 * size.  Nothing is created.  0, or -1 with ENAMETOOLONG (does not fit
 * even truncated) or EINVAL (the last component of target is empty).
 */
int	atomic_tmpname(char *buf, size_t size, const char *target);

/* Whether the directory entry name (no '/') looks like a name made by
 * atomic_tmpname for some target: '.', at least one character, '.', and
 * 6 characters from [A-Za-z0-9].  Only the shape: a user's ".notes.backup"
 * has it too, so a caller removing leftovers must also check that the
 * target part (name[1 .. len - 8]) is one of its own names. */
int	atomic_istmp(const char *name);

/*
 * fsync the directory dirfd (or the directory named dir relative to dirfd
 * when dir is not NULL; dirfd AT_FDCWD with dir NULL means "."): a rename
 * is durable only once this returns.  A filesystem that cannot fsync
 * directories (EINVAL) counts as success.
 */
int	atomic_syncdir(int dirfd, const char *dir);

/*
 * Replace name with a file holding buf[len], mode exactly mode & 07777
 * (the umask does not apply): write a temporary, fsync it, rename it over
 * name, fsync the directory.  Afterwards name has either its old content
 * or the new one, whatever happens; a symlink at name is replaced, not
 * followed; a directory at name makes it fail (EISDIR).
 */
int	atomic_write(int dirfd, const char *name, const void *buf, size_t len,
	    mode_t mode);

/*
 * Replace (or create) the symlink name, pointing to target, atomically:
 * a symlink under a temporary name, renamed over; the directory fsynced.
 * A reader sees the old link or the new one, never no link.  An existing
 * directory at name (not a symlink to one) is not replaced: EISDIR.
 */
int	atomic_symlink(int dirfd, const char *name, const char *target);

/* Exchange two names atomically (renameat2 RENAME_EXCHANGE); both must
 * exist (else ENOENT).  Both directories are fsynced.  Fails with
 * EINVAL/ENOSYS where the filesystem or kernel cannot do it. */
int	atomic_exchange(int dirfd1, const char *name1, int dirfd2,
	    const char *name2);

/*
 * Rename from to to, failing with EEXIST if to exists (RENAME_NOREPLACE),
 * then fsync both directories.  Where the filesystem lacks it (EINVAL,
 * ENOSYS), a non-directory is moved by link(2) + unlink(2) (EEXIST from
 * link is the answer; a crash in between can leave both names); a
 * directory then fails with the rename's errno.
 */
int	atomic_rename_noreplace(int fromdirfd, const char *from, int todirfd,
	    const char *to);

/*
 * Copy exactly size bytes of infd to outfd, from the current offsets,
 * which both advance by size: FICLONE when both are regular files at
 * offset 0, infd has exactly size bytes and outfd at most that many, else
 * copy_file_range, else read/write (each method falling back to the next
 * on EOPNOTSUPP, EXDEV, EINVAL, ENOSYS, EBADF or ENOTTY).  Returns 0, or
 * -1 with errno: ENODATA if infd ended before size bytes (a file that
 * shrank while copying), EINVAL if size < 0.  On success *method (if not
 * NULL) says which method copied the last bytes.
 */
enum atomic_method { ATOMIC_CLONE = 1, ATOMIC_RANGE, ATOMIC_RW };
int	atomic_copy_data(int infd, int outfd, off_t size, int *method);

/*
 * Give fd the metadata of st: owner (only when running as root: euid 0;
 * otherwise the owner is left alone), mode & 07777 with the set-id bits
 * (after the chown, which clears them), access and modification times to
 * the nanosecond.  Call after the data is written: a write changes mtime
 * and clears set-id bits.
 */
int	atomic_copy_meta(int fd, const struct stat *st);

/*
 * Copy the regular file src (relative to srcdirfd, not following a
 * symlink) to dst (relative to dstdirfd) atomically: data into a temporary
 * beside dst, metadata as atomic_copy_meta, fsync, rename over dst, fsync
 * the directory.  Copies the size src has when opened (ENODATA if it
 * shrinks meanwhile).  Fails with ELOOP if src is a symlink, EINVAL if it
 * is not a regular file (checked before opening, so that a FIFO cannot
 * block and a device is not opened).
 */
int	atomic_copy_file(int srcdirfd, const char *src, int dstdirfd,
	    const char *dst);

#endif
