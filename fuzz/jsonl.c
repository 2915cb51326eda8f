/* jsonl.c - fuzz pii-hash's JSON Lines scanner: with nothing selected
 * it copies each line it accepts byte for byte and stops at the first
 * it refuses; what it accepts lib/json accepts too, and (for short
 * valid UTF-8 lines, within both depth limits) what lib/json accepts it
 * accepts too. */
/* SPDX-License-Identifier: ISC */

#define _GNU_SOURCE		/* memfd_create */

#include <stdint.h>
#include <string.h>

#include "lib/err.h"
#include "lib/json.h"
#include "fuzz/piihash.h"

/*
 * The input: a chunk byte (bytes per read, 0 all at once), then the
 * JSON Lines.
 */

/* Whether s[n] is well-formed UTF-8 (RFC 3629), by the table of
 * well-formed byte sequences (Unicode 15, table 3-7). */
static int
utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, k, len;
	unsigned char lo, hi;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		lo = 0x80;
		hi = 0xbf;
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			len = 2;
		else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			len = 3;
			if (s[i] == 0xe0)
				lo = 0xa0;
			if (s[i] == 0xed)
				hi = 0x9f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			len = 4;
			if (s[i] == 0xf0)
				lo = 0x90;
			if (s[i] == 0xf4)
				hi = 0x8f;
		} else
			return 0;
		if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (k = 2; k < len; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return 0;
		i += len;
	}
	return 1;
}

/* Whether lib/json takes s[n] for one object. */
static int
json_ok(const char *s, size_t n)
{
	struct json_value v;

	/* A key no line holds: only the check of the whole object. */
	return json_member(s, n, "\x01\x02", 2, &v, NULL) != -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d, *line, *nl;
	char *out;
	size_t outlen, n, off, len;
	int status, first = 1;

	/* An empty input may come as NULL. */
	if (size == 0)
		data = (const uint8_t *)"";

	if (size < 1)
		return 0;
	memset(&opt, 0, sizeof opt);
	opt.format = FMT_JSONL;
	opt.hexlen = HASH_HEXLEN;
	status = piihash_run(data + 1, size - 1, data[0], &out, &outlen);
	d = (const char *)data + 1;
	size--;

	/* A copy of what it accepted, whole lines. */
	CHECK(outlen <= size && memcmp(out, d, outlen) == 0);
	CHECK(status == EXIT_OK || status == EXIT_FAIL);
	if (status == EXIT_OK)
		CHECK(outlen == size);
	else
		CHECK(outlen < size && (outlen == 0 || d[outlen - 1] == '\n'));

	/* Each line accepted is one object for lib/json too. */
	for (off = 0; off < size; off += len + 1, first = 0) {
		nl = memchr(d + off, '\n', size - off);
		len = nl != NULL ? (size_t)(nl - (d + off)) : size - off;
		line = d + off;
		n = len;
		if (first && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
			line += 3;
			n -= 3;
		}
		if (off < outlen) {
			CHECK(json_ok(line, n));
			continue;
		}
		/* The line refused: lib/json refuses it too, unless it is
		 * one of lib/json's own leniencies (it does not check
		 * UTF-8) or too deep for the scanner (512 levels, which
		 * need 512 bytes). */
		if (utf8_ok((const unsigned char *)line, n) && n < 512)
			CHECK(!json_ok(line, n));
		break;
	}
	free(out);
	return 0;
}
