/* lock.h - exclusive locks on lock files (flock), with a timeout. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_LOCK_H
#define DATAKEEP_LOCK_H

/*
 * Open (creating it with mode 0600 if needed, never following a symlink)
 * the lock file name relative to dirfd and take an exclusive flock on it.
 * timeout: 0 fails at once when busy, N > 0 waits up to N seconds, -1
 * waits forever.  Returns the locked descriptor (O_CLOEXEC), or -1 with
 * errno EWOULDBLOCK when another holder kept it for the whole timeout, or
 * another errno when the file cannot be opened or locked.
 */
int	lock_acquire(int dirfd, const char *name, int timeout);

/* Release and close.  The lock file stays: removing it would race. */
void	lock_release(int fd);

#endif
