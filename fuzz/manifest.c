/* manifest.c - fuzz the sha256sum manifest parser: what it accepts has
 * one entry per line, each path found by manifest_find (the first of
 * its name); manifest_add of the entries writes a canonical manifest
 * that parses to the same entries and writes itself again. */
/* SPDX-License-Identifier: ISC */

#define _GNU_SOURCE		/* memfd_create, in fuzz.h */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/manifest.h"
#include "fuzz/fuzz.h"

/* The input is a manifest. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest m, c, d;
	const struct manifest_entry *e;
	const char *buf = (const char *)data;
	size_t i, j, lines = 0;

	/* An empty input may come as NULL. */
	if (size == 0)
		data = (const uint8_t *)"";

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	lines += size > 0 && data[size - 1] != '\n';

	manifest_init(&m);
	if (manifest_parse(&m, buf, size) == -1) {
		CHECK(errno == EINVAL || errno == ENOMEM);
		if (errno == EINVAL)
			CHECK(m.badline >= 1 && m.badline <= lines);
		manifest_free(&m);
		return 0;
	}
	/* A line each, in order; no NUL anywhere, no empty path. */
	CHECK(m.n == lines);
	CHECK(memchr(data, '\0', size) == NULL);
	for (i = 0; i < m.n; i++) {
		CHECK(m.v[i].line == i + 1);
		CHECK(m.v[i].path[0] != '\0');
		e = manifest_find(&m, m.v[i].path);
		CHECK(e != NULL && strcmp(e->path, m.v[i].path) == 0);
		/* The first line with that path. */
		for (j = 0; j < i; j++)
			if (strcmp(m.v[j].path, m.v[i].path) == 0)
				break;
		CHECK(e == &m.v[j]);
	}

	/* Written back: canonical, and the same entries. */
	manifest_init(&c);
	for (i = 0; i < m.n; i++)
		CHECK(manifest_add(&c, m.v[i].hash, m.v[i].path) == 0);
	manifest_init(&d);
	CHECK(manifest_parse(&d, c.out, c.outlen) == 0);
	CHECK(d.n == m.n);
	for (i = 0; i < m.n; i++) {
		CHECK(strcmp(d.v[i].path, m.v[i].path) == 0);
		CHECK(memcmp(d.v[i].hash, m.v[i].hash, 32) == 0);
	}
	for (i = 0; i < d.n; i++)
		CHECK(manifest_add(&d, d.v[i].hash, d.v[i].path) == 0);
	CHECK(d.outlen == c.outlen && (c.outlen == 0 || memcmp(d.out, c.out,
	    c.outlen) == 0));
	/* Lines of it: lower-case hex, two spaces, a backslash first only
	 * where the path has a backslash or newline. */
	for (i = 0, j = 0; i < m.n; i++) {
		const char *l = c.out + j, *nl = memchr(l, '\n',
		    c.outlen - j);
		int esc = strpbrk(m.v[i].path, "\\\n") != NULL;
		size_t k;

		CHECK(nl != NULL);
		CHECK((l[0] == '\\') == esc);
		for (k = esc; k < esc + 64u; k++)
			CHECK((l[k] >= '0' && l[k] <= '9') ||
			    (l[k] >= 'a' && l[k] <= 'f'));
		CHECK(l[esc + 64] == ' ' && l[esc + 65] == ' ');
		j = (size_t)(nl - c.out) + 1;
	}
	CHECK(j == c.outlen);
	manifest_free(&c);
	manifest_free(&d);
	manifest_free(&m);
	return 0;
}
