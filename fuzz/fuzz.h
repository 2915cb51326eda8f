/* fuzz.h - what the fuzz targets share: property checks, input read
 * through a descriptor in chunks, output caught in memory. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_FUZZ_H
#define DATAKEEP_FUZZ_H

/* A target defines _GNU_SOURCE before its first include (memfd_create). */

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * A target is LLVMFuzzerTestOneInput, linked with libFuzzer (make fuzz)
 * or with fuzz/replay.c (make check, any compiler).  A property that
 * does not hold is a finding: abort(), which both report.
 */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do {						\
	if (!(cond))							\
		fuzz_fail(__FILE__, __LINE__, #cond);			\
} while (0)

static void __attribute__((noreturn, unused))
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: property does not hold: %s\n", file, line,
	    what);
	abort();
}

/* A harness problem (no memory, no descriptor): not the code's finding,
 * but nothing can be checked either. */
static void __attribute__((noreturn, unused))
fuzz_die(const char *what)
{
	fprintf(stderr, "fuzz: %s: %s\n", what, strerror(errno));
	abort();
}

static __attribute__((unused)) void *
fuzz_alloc(size_t n)
{
	void *p = malloc(n > 0 ? n : 1);

	if (p == NULL)
		fuzz_die("malloc");
	return p;
}

/* An empty file in memory, for output or for input read whole. */
static int __attribute__((unused))
fuzz_memfd(void)
{
	int fd;

	if ((fd = memfd_create("fuzz", MFD_CLOEXEC)) == -1)
		fuzz_die("memfd_create");
	return fd;
}

static void __attribute__((unused))
fuzz_write(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, c, n)) == -1) {
			if (errno == EINTR)
				continue;
			fuzz_die("write");
		}
		c += w;
		n -= (size_t)w;
	}
}

/*
 * A descriptor from which data[size] is read: with chunk 0 whole, from a
 * file in memory; else chunk bytes at a time, as packets of a
 * SOCK_SEQPACKET socket (each read(2) returns one packet, so that a
 * reader meets every boundary the input chooses).  At most FUZZ_PACKETS
 * packets, the last holding the rest; inputs over FUZZ_CHUNKED bytes are
 * read whole, so that everything fits the socket's buffer before anyone
 * reads.
 */
#define FUZZ_PACKETS	64
#define FUZZ_PACKETMAX	(16 * 1024)
#define FUZZ_CHUNKED	(64 * 1024)

static int __attribute__((unused))
fuzz_source(const uint8_t *data, size_t size, size_t chunk)
{
	int sv[2], fd, buf = 1 << 20;
	size_t off, n, k;

	if (chunk == 0 || size > FUZZ_CHUNKED) {
		fd = fuzz_memfd();
		fuzz_write(fd, data, size);
		if (lseek(fd, 0, SEEK_SET) == -1)
			fuzz_die("lseek");
		return fd;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		fuzz_die("socketpair");
	(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
	for (off = 0, k = 0; off < size; off += n, k++) {
		n = size - off;
		if (k + 1 < FUZZ_PACKETS && n > chunk)
			n = chunk;
		if (n > FUZZ_PACKETMAX)
			n = FUZZ_PACKETMAX;
		if (send(sv[1], data + off, n, 0) != (ssize_t)n)
			fuzz_die("send");
	}
	close(sv[1]);
	return sv[0];
}

/* Everything written to fd so far, in a new buffer (NUL-terminated, for
 * convenience), its length to *len. */
static __attribute__((unused)) char *
fuzz_slurp(int fd, size_t *len)
{
	off_t end;
	char *p;
	ssize_t n;
	size_t got;

	if ((end = lseek(fd, 0, SEEK_END)) == -1)
		fuzz_die("lseek");
	p = fuzz_alloc((size_t)end + 1);
	for (got = 0; got < (size_t)end; got += (size_t)n)
		if ((n = pread(fd, p + got, (size_t)end - got,
		    (off_t)got)) <= 0)
			fuzz_die("pread");
	p[got] = '\0';
	*len = got;
	return p;
}

/* A NUL-terminated copy of data[size] (which may hold NUL bytes). */
static __attribute__((unused)) char *
fuzz_str(const uint8_t *data, size_t size)
{
	char *s = fuzz_alloc(size + 1);

	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* The bytes of data[size] up to the first NUL (or all), as a string. */
static __attribute__((unused)) char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	const uint8_t *z = memchr(data, '\0', size);

	return fuzz_str(data, z != NULL ? (size_t)(z - data) : size);
}

#endif
