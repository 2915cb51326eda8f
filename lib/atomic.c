/* atomic.c - crash-safe replacement of files, symlinks and directories. */
/* SPDX-License-Identifier: ISC */
#define _GNU_SOURCE

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/atomic.h"

/* musl 1.2.3 has neither renameat2 nor its flags. */
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	1
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE		2
#endif
/* From <linux/fs.h>, which musl-gcc does not see. */
#ifndef FICLONE
#define FICLONE			_IOW(0x94, 9, int)
#endif

#define TMP_RANDOM	6		/* random characters in a temp name */
#define TMP_TRIES	100		/* names tried before EEXIST */
#define RW_BUFSIZE	(256 * 1024)
#define RANGE_CHUNK	(1L << 30)	/* bytes per copy_file_range call */

static uint64_t	tmp_random(void);
static int	tmp_create(int, const char *, char *, size_t);
static int	sync_parent(int, const char *);
static int	sync_fd(int);
static int	write_all(int, const void *, size_t);
static int	copy_fallback(int);
static int	copy_clone(int, int, off_t);
static int	copy_rw(int, int, off_t);
static int	rename_by_link(int, const char *, int, const char *);

int
atomic_tmpname(char *buf, size_t size, const char *target)
{
	static const char chars[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	const char *base, *p;
	size_t dirlen, baselen, room, i;
	uint64_t r;
	char *q;

	base = target;
	for (p = target; *p != '\0'; p++)
		if (*p == '/')
			base = p + 1;
	dirlen = base - target;
	if ((baselen = strlen(base)) == 0) {
		errno = EINVAL;
		return -1;
	}
	/* The directory part, '.', one character, '.', the random, NUL. */
	if (size < dirlen + 3 + TMP_RANDOM + 1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	room = size - dirlen - (2 + TMP_RANDOM) - 1;
	if (room > NAME_MAX - (2 + TMP_RANDOM))
		room = NAME_MAX - (2 + TMP_RANDOM);
	if (baselen > room) {
		baselen = room;
		/* Cut before a character, not inside its UTF-8 sequence. */
		while (baselen > 1 &&
		    ((unsigned char)base[baselen] & 0xc0) == 0x80)
			baselen--;
	}
	memcpy(buf, target, dirlen);
	q = buf + dirlen;
	*q++ = '.';
	memcpy(q, base, baselen);
	q += baselen;
	*q++ = '.';
	r = tmp_random();
	for (i = 0; i < TMP_RANDOM; i++) {
		*q++ = chars[r % (sizeof chars - 1)];
		r /= sizeof chars - 1;
	}
	*q = '\0';
	return 0;
}

int
atomic_istmp(const char *name)
{
	size_t len, i;
	char c;

	if (name == NULL || strchr(name, '/') != NULL)
		return 0;
	len = strlen(name);
	if (len < 3 + TMP_RANDOM || name[0] != '.' ||
	    name[len - TMP_RANDOM - 1] != '.')
		return 0;
	for (i = len - TMP_RANDOM; i < len; i++) {
		c = name[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

int
atomic_syncdir(int dirfd, const char *dir)
{
	int fd, serrno;

	if (dir == NULL && dirfd != AT_FDCWD) {
		if (sync_fd(dirfd) == 0)
			return 0;
		/* An O_PATH descriptor cannot be fsynced; "." in it can. */
		if (errno != EBADF)
			return -1;
	}
	fd = openat(dirfd, dir != NULL ? dir : ".",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (sync_fd(fd) == -1) {
		serrno = errno;
		close(fd);
		errno = serrno;
		return -1;
	}
	return close(fd);
}

int
atomic_write(int dirfd, const char *name, const void *buf, size_t len,
    mode_t mode)
{
	char tmp[PATH_MAX];
	int fd, serrno;

	if ((fd = tmp_create(dirfd, name, tmp, sizeof tmp)) == -1)
		return -1;
	/*
	 * fchmod rather than the open mode, so that the umask does not
	 * apply; after the write, which would clear set-id bits.
	 */
	if (write_all(fd, buf, len) == -1 || fchmod(fd, mode & 07777) == -1 ||
	    fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) == -1)
		goto fail;
	return sync_parent(dirfd, name);
fail:
	serrno = errno;
	if (fd != -1)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	errno = serrno;
	return -1;
}

int
atomic_symlink(int dirfd, const char *name, const char *target)
{
	char tmp[PATH_MAX];
	int i, serrno;

	for (i = 0;; i++) {
		if (atomic_tmpname(tmp, sizeof tmp, name) == -1)
			return -1;
		if (symlinkat(target, dirfd, tmp) == 0)
			break;
		if (errno != EEXIST || i + 1 == TMP_TRIES)
			return -1;
	}
	if (renameat(dirfd, tmp, dirfd, name) == -1) {
		serrno = errno;
		unlinkat(dirfd, tmp, 0);
		errno = serrno;
		return -1;
	}
	/* A symlink cannot be fsynced; the directory's fsync commits it. */
	return sync_parent(dirfd, name);
}

int
atomic_exchange(int dirfd1, const char *name1, int dirfd2, const char *name2)
{
	if (syscall(SYS_renameat2, dirfd1, name1, dirfd2, name2,
	    RENAME_EXCHANGE) == -1)
		return -1;
	if (sync_parent(dirfd1, name1) == -1)
		return -1;
	/* Usually the same directory again: then a cheap no-op. */
	return sync_parent(dirfd2, name2);
}

int
atomic_rename_noreplace(int fromdirfd, const char *from, int todirfd,
    const char *to)
{
	if (syscall(SYS_renameat2, fromdirfd, from, todirfd, to,
	    RENAME_NOREPLACE) == -1) {
		if (errno != EINVAL && errno != ENOSYS)
			return -1;
		if (rename_by_link(fromdirfd, from, todirfd, to) == -1)
			return -1;
	}
	if (sync_parent(todirfd, to) == -1)
		return -1;
	return sync_parent(fromdirfd, from);
}

int
atomic_copy_data(int infd, int outfd, off_t size, int *method)
{
	off_t left;
	ssize_t n;
	int r;

	if (size < 0) {
		errno = EINVAL;
		return -1;
	}
	if ((r = copy_clone(infd, outfd, size)) != 0) {
		if (r == 1 && method != NULL)
			*method = ATOMIC_CLONE;
		return r == 1 ? 0 : -1;
	}
	for (left = size; left > 0; left -= n) {
		n = copy_file_range(infd, NULL, outfd, NULL,
		    left < RANGE_CHUNK ? (size_t)left : (size_t)RANGE_CHUNK, 0);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n == -1 && !copy_fallback(errno))
			return -1;
		/*
		 * 0 is the end of the file, or one that copy_file_range
		 * cannot read (procfs on some kernels): read(2) tells.
		 * Both offsets have moved by what was copied, so read/write
		 * goes on from there.
		 */
		if (n <= 0)
			break;
	}
	if (left > 0) {
		if (copy_rw(infd, outfd, left) == -1)
			return -1;
		r = ATOMIC_RW;
	} else
		r = ATOMIC_RANGE;
	if (method != NULL)
		*method = r;
	return 0;
}

int
atomic_copy_meta(int fd, const struct stat *st)
{
	struct timespec ts[2];

	/* chown first: it clears the set-id bits that fchmod then sets. */
	if (geteuid() == 0 && fchown(fd, st->st_uid, st->st_gid) == -1)
		return -1;
	if (fchmod(fd, st->st_mode & 07777) == -1)
		return -1;
	ts[0] = st->st_atim;
	ts[1] = st->st_mtim;
	return futimens(fd, ts);
}

int
atomic_copy_file(int srcdirfd, const char *src, int dstdirfd, const char *dst)
{
	char tmp[PATH_MAX];
	struct stat st;
	int infd, outfd = -1, flags, serrno;

	tmp[0] = '\0';
	/* Look first: opening a FIFO blocks, opening a device may act. */
	if (fstatat(srcdirfd, src, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISLNK(st.st_mode) ? ELOOP : EINVAL;
		return -1;
	}
	/* O_NONBLOCK in case src was replaced by a FIFO meanwhile. */
	infd = openat(srcdirfd, src,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (infd == -1)
		return -1;
	if (fstat(infd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((flags = fcntl(infd, F_GETFL)) == -1 ||
	    fcntl(infd, F_SETFL, flags & ~O_NONBLOCK) == -1)
		goto fail;
	if ((outfd = tmp_create(dstdirfd, dst, tmp, sizeof tmp)) == -1)
		goto fail;
	if (atomic_copy_data(infd, outfd, st.st_size, NULL) == -1 ||
	    atomic_copy_meta(outfd, &st) == -1 || fsync(outfd) == -1)
		goto fail;
	close(infd);
	infd = -1;
	if (close(outfd) == -1) {
		outfd = -1;
		goto fail;
	}
	outfd = -1;
	if (renameat(dstdirfd, tmp, dstdirfd, dst) == -1)
		goto fail;
	return sync_parent(dstdirfd, dst);
fail:
	serrno = errno;
	if (infd != -1)
		close(infd);
	if (outfd != -1)
		close(outfd);
	if (tmp[0] != '\0')
		unlinkat(dstdirfd, tmp, 0);
	errno = serrno;
	return -1;
}

/*
 * Random bits for a temporary name.  They need not be secret: O_EXCL and
 * O_NOFOLLOW make a guessed or planted name harmless, so when getrandom
 * cannot answer at once (early boot, seccomp) the clock will do.
 */
static uint64_t
tmp_random(void)
{
	struct timespec ts;
	uint64_t r;

	if (getrandom(&r, sizeof r, GRND_NONBLOCK) == (ssize_t)sizeof r)
		return r;
	clock_gettime(CLOCK_REALTIME, &ts);
	r = (uint64_t)ts.tv_sec ^ (uint64_t)ts.tv_nsec << 20 ^
	    (uint64_t)getpid() << 44 ^ (uint64_t)(uintptr_t)&ts;
	/* splitmix64's finalizer spreads those bits over all 64. */
	r = (r ^ r >> 30) * 0xbf58476d1ce4e5b9ULL;
	r = (r ^ r >> 27) * 0x94d049bb133111ebULL;
	return r ^ r >> 31;
}

/*
 * Create an empty file mode 0600 under a fresh temporary name for name,
 * put in tmp[size].  Returns its descriptor (write-only), or -1 with errno
 * and tmp empty: a name that was not ours must never be unlinked.
 */
static int
tmp_create(int dirfd, const char *name, char *tmp, size_t size)
{
	int fd, i;

	for (i = 0; i < TMP_TRIES; i++) {
		if (atomic_tmpname(tmp, size, name) == -1)
			break;
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
		if (fd != -1)
			return fd;
		if (errno != EEXIST)
			break;
	}
	tmp[0] = '\0';
	return -1;
}

/* fsync the directory holding the last component of name. */
static int
sync_parent(int dirfd, const char *name)
{
	char dir[PATH_MAX];
	size_t end, len;

	/* "a/b/" names b: trailing slashes do not make a component. */
	for (end = strlen(name); end > 1 && name[end - 1] == '/'; end--)
		;
	for (len = end; len > 0 && name[len - 1] != '/'; len--)
		;
	if (len == 0)
		return atomic_syncdir(dirfd, NULL);
	if (len > 1)
		len--;		/* "a/b" -> "a", but "/b" -> "/" */
	if (len >= sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, name, len);
	dir[len] = '\0';
	return atomic_syncdir(dirfd, dir);
}

static int
sync_fd(int fd)
{
	/* Some filesystems cannot fsync a directory: nothing more to do. */
	if (fsync(fd) == -1 && errno != EINVAL)
		return -1;
	return 0;
}

/* Write all of buf, through short writes and signals. */
static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len < SSIZE_MAX ? len : SSIZE_MAX);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* Whether errno e from FICLONE or copy_file_range means "try the next". */
static int
copy_fallback(int e)
{
	switch (e) {
	case EOPNOTSUPP:	/* == ENOTSUP on Linux */
	case EXDEV:
	case EINVAL:
	case ENOSYS:
	case EBADF:
	case ENOTTY:
		return 1;
	}
	return 0;
}

/*
 * Reflink infd's whole content into outfd when that is exactly the copy
 * asked for.  1 done (offsets moved to size), 0 not possible here, -1
 * error.
 */
static int
copy_clone(int infd, int outfd, off_t size)
{
	struct stat ist, ost;

	if (size == 0 || fstat(infd, &ist) == -1 || fstat(outfd, &ost) == -1)
		return 0;
	if (!S_ISREG(ist.st_mode) || !S_ISREG(ost.st_mode) ||
	    ist.st_size != size || ost.st_size > size ||
	    lseek(infd, 0, SEEK_CUR) != 0 || lseek(outfd, 0, SEEK_CUR) != 0)
		return 0;
	if (ioctl(outfd, FICLONE, infd) == -1)
		return copy_fallback(errno) ? 0 : -1;
	/* FICLONE takes infd's size at the time: it may have changed. */
	if (fstat(outfd, &ost) == -1)
		return -1;
	if (ost.st_size < size) {
		errno = ENODATA;
		return -1;
	}
	if (ost.st_size > size && ftruncate(outfd, size) == -1)
		return -1;
	/* The other methods leave the offsets after the copy: so does this. */
	if (lseek(infd, size, SEEK_SET) == -1 ||
	    lseek(outfd, size, SEEK_SET) == -1)
		return -1;
	return 1;
}

static int
copy_rw(int infd, int outfd, off_t left)
{
	char *buf;
	ssize_t n;
	int serrno;

	/* Not on the stack: a musl thread's stack is 128 KiB. */
	if ((buf = malloc(RW_BUFSIZE)) == NULL)
		return -1;
	while (left > 0) {
		n = read(infd, buf, left < RW_BUFSIZE ? (size_t)left :
		    RW_BUFSIZE);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0) {
			errno = ENODATA;
			goto fail;
		}
		if (write_all(outfd, buf, n) == -1)
			goto fail;
		left -= n;
	}
	free(buf);
	return 0;
fail:
	serrno = errno;
	free(buf);
	errno = serrno;
	return -1;
}

/*
 * RENAME_NOREPLACE for filesystems without it: link(2) fails with EEXIST
 * by itself.  Only for non-directories; errno on entry is the rename's.
 */
static int
rename_by_link(int fromdirfd, const char *from, int todirfd, const char *to)
{
	struct stat st;
	int serrno = errno;

	if (fstatat(fromdirfd, from, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		errno = serrno;
		return -1;
	}
	if (linkat(fromdirfd, from, todirfd, to, 0) == -1)
		return -1;
	if (unlinkat(fromdirfd, from, 0) == -1) {
		serrno = errno;
		unlinkat(todirfd, to, 0);
		errno = serrno;
		return -1;
	}
	return 0;
}
