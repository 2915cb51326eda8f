/* lock.c - exclusive locks on lock files (flock), with a timeout. */
/* SPDX-License-Identifier: ISC */

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "lib/lock.h"

#define LOCK_POLL_NS	(50 * 1000 * 1000L)	/* between two tries */

int
lock_acquire(int dirfd, const char *name, int timeout)
{
	struct timespec deadline, now, nap;
	struct stat st;
	long long left;
	int fd, serrno;

	if (timeout < -1) {
		errno = EINVAL;
		return -1;
	}
	/* Monotonic: setting the clock must not end or stretch a wait. */
	if (timeout > 0) {
		if (clock_gettime(CLOCK_MONOTONIC, &deadline) == -1)
			return -1;
		deadline.tv_sec += timeout;
	}
	fd = openat(dirfd, name,
	    O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	/* Waiting forever: the kernel queues the waiters, no polling. */
	while (timeout == -1) {
		if (flock(fd, LOCK_EX) == 0)
			return fd;
		if (errno != EINTR)
			goto fail;
	}
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK || timeout == 0)
			goto fail;
		nap.tv_sec = 0;
		nap.tv_nsec = LOCK_POLL_NS;
		if (timeout > 0) {
			if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
				goto fail;
			left = (long long)(deadline.tv_sec - now.tv_sec) *
			    1000000000 + (deadline.tv_nsec - now.tv_nsec);
			if (left <= 0) {
				errno = EWOULDBLOCK;
				goto fail;
			}
			if (left < nap.tv_nsec)
				nap.tv_nsec = left;
		}
		/* A signal only shortens the nap: the loop tries again. */
		(void)nanosleep(&nap, NULL);
	}
fail:
	serrno = errno;
	close(fd);
	errno = serrno;
	return -1;
}

void
lock_release(int fd)
{
	int serrno = errno;

	if (fd < 0)
		return;
	/*
	 * Unlock explicitly: close alone keeps the lock while a forked
	 * child still has a descriptor for the same open file.
	 */
	(void)flock(fd, LOCK_UN);
	(void)close(fd);
	errno = serrno;
}
