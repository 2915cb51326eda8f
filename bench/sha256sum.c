/* sha256sum.c - sha256sum(1)'s output from lib/hash, for the benchmarks. */
/* SPDX-License-Identifier: ISC */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/hash.h"

#define SYNOPSIS	"sha256sum [-p] file ..."

int
main(int argc, char *argv[])
{
	unsigned char d[HASH_LEN];
	char hex[HASH_HEXLEN + 1];
	int ch, fd, status = EXIT_OK;

	while ((ch = getopt(argc, argv, ":p")) != -1) {
		switch (ch) {
		case 'p':
			/* Cannot fail: BearSSL's code runs anywhere. */
			hash_select(HASH_PORTABLE);
			break;
		default:
			err_usage(SYNOPSIS);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		err_usage(SYNOPSIS);

	for (; argc > 0; argc--, argv++) {
		if (strcmp(*argv, "-") == 0)
			fd = STDIN_FILENO;
		else if ((fd = open(*argv, O_RDONLY | O_CLOEXEC)) == -1) {
			fprintf(stderr, "%s: %s: %s\n", err_progname(), *argv,
			    strerror(errno));
			status = EXIT_FAIL;
			continue;
		}
		if (hash_fd(fd, d, NULL) == -1) {
			fprintf(stderr, "%s: %s: %s\n", err_progname(), *argv,
			    strerror(errno));
			status = EXIT_FAIL;
		} else {
			hash_hex(d, HASH_LEN, hex);
			printf("%s  %s\n", hex, *argv);
		}
		if (fd != STDIN_FILENO)
			close(fd);
	}
	err_flush();
	return status;
}
