/* err.c - usage, version and stdout checks shared by every program. */
/* SPDX-License-Identifier: ISC */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"

extern char *__progname;	/* set by the C library from argv[0] */

const char *
err_progname(void)
{
	const char *p = __progname, *slash;

	if (p == NULL || *p == '\0')
		return "datakeep";
	if ((slash = strrchr(p, '/')) != NULL && slash[1] != '\0')
		return slash + 1;
	return p;
}

void
err_usage(const char *synopsis)
{
	const char *p;

	fputs("usage: ", stderr);
	for (p = synopsis; *p != '\0'; p++) {
		fputc(*p, stderr);
		if (*p == '\n' && p[1] != '\0')
			fputs("       ", stderr);
	}
	if (p != synopsis && p[-1] != '\n')
		fputc('\n', stderr);
	exit(EXIT_USAGE);
}

void
err_version(void)
{
	printf("%s %s\n", err_progname(), DATAKEEP_VERSION);
	err_flush();
	exit(EXIT_OK);
}

void
err_flush(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return;
	fprintf(stderr, "%s: stdout: %s\n", err_progname(),
	    strerror(errno != 0 ? errno : EIO));
	exit(EXIT_FAIL);
}
