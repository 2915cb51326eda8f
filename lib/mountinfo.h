/* mountinfo.h - mount ids and where a directory lies on its filesystem. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_MOUNTINFO_H
#define DATAKEEP_MOUNTINFO_H

#include <stddef.h>
#include <stdint.h>

/*
 * A bind mount shows one directory of a filesystem at a second place: the
 * same st_dev and st_ino, but walking up with ".." from inside it leads to
 * the parent of the mount point, never to the directory's real parent.
 * So "is A inside B" cannot be told by ".." alone; comparing where A and B
 * lie on their filesystem (their paths from the filesystem's root, which
 * /proc/self/mountinfo gives for every mount) can.
 */

/*
 * The mount id of the file open at fd (statx STATX_MNT_ID), in *id.
 * 0, or -1 with errno ENOSYS when the kernel cannot tell (no statx, no
 * STATX_MNT_ID, or statx filtered by a sandbox), or another errno.
 */
int	mountinfo_id(int fd, uint64_t *id);

/*
 * Put in out[size] the path of the directory open at fd relative to the
 * root of its filesystem: mountinfo's root field of the mount fd is on,
 * followed by what path adds to that mount's mount point ("/" is the
 * root of the filesystem).  path must be fd's absolute path without
 * symlinks, ".", ".." or repeated slashes (realpath(3) gives it).  The
 * mount is found by its id; where statx cannot tell the id, by the
 * longest mount point that is a prefix of path (the last listed, for an
 * over-mount).  Reads /proc/self/mountinfo.  0, or -1 with errno: ENOENT
 * when /proc is not mounted, the mount is not listed, or its mount point
 * is not a prefix of path (another mount namespace, a chroot);
 * ENAMETOOLONG when the result does not fit; EINVAL for a path that is
 * not absolute.
 */
int	mountinfo_fspath(int fd, const char *path, char *out, size_t size);

/* Whether the absolute, tidy path is top or below it, comparing whole
 * components: /srv/master2 is not below /srv/master, /srv/master/a is. */
int	mountinfo_below(const char *path, const char *top);

#endif
