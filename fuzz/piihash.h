/* piihash.h - what pii-hash's main.c gives its other files, for the fuzz
 * targets that link those files without it. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_FUZZ_PIIHASH_H
#define DATAKEEP_FUZZ_PIIHASH_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "bin/pii-hash/pii-hash.h"
#include "fuzz/fuzz.h"

struct options opt;

/* Messages about the input are expected: the target checks the status
 * and the output instead. */
void
input_error(unsigned long long line, const char *fmt, ...)
{
	(void)line;
	(void)fmt;
}

/* The targets only select columns that exist: a usage error here is a
 * wrong plan of columns. */
void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("usage_error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fuzz_fail(__FILE__, __LINE__, "no usage error");
}

/* The output of pii-hash on data[size] read chunk bytes at a time:
 * the exit status, the output in *out[*outlen].  (Messages go to
 * stderr, which make fuzz closes with -close_fd_mask.) */
static int
piihash_run(const uint8_t *data, size_t size, size_t chunk, char **out,
    size_t *outlen)
{
	struct out *o;
	int in, ofd, status;

	in = fuzz_source(data, size, chunk);
	ofd = fuzz_memfd();
	o = out_open(ofd, opt.format);
	if (opt.format == FMT_JSONL)
		status = jsonl_run(in, o);
	else
		status = table_run(in, o);
	out_close(o);
	close(in);
	*out = fuzz_slurp(ofd, outlen);
	close(ofd);
	return status;
}

#endif
