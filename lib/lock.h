/* lock.h - exclusive locks on lock files (flock), with a timeout. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_LOCK_H
#define DATAKEEP_LOCK_H

/*
 * Open (creating it with mode 0600 if needed, never following a symlink)
 * the lock file name relative to dirfd and take an exclusive flock on it.
 * timeout: 0 fails at once when busy, N > 0 waits up to N seconds
 * (polling every 50 ms), -1 waits forever.  Returns the locked descriptor
 * (O_CLOEXEC), or -1 with errno EWOULDBLOCK when another holder kept it
 * for the whole timeout, ELOOP when name is a symlink, EINVAL when it is
 * not a regular file or timeout < -1, or another errno when the file
 * cannot be opened or locked.  The lock ends with lock_release or when
 * the last descriptor sharing it is closed (a crashed holder frees it).
 */
int	lock_acquire(int dirfd, const char *name, int timeout);

/* Release and close, preserving errno; fd -1 is ignored.  The lock is
 * released even if a forked child still holds a copy of fd.  The lock
 * file stays: removing it would race. */
void	lock_release(int fd);

#endif
