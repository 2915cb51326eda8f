/* lib-manifest.c - unit tests for lib/manifest: sha256sum-format lines. */
/* SPDX-License-Identifier: ISC */

#include <errno.h>
#include <string.h>

#include "lib/hash.h"
#include "lib/manifest.h"
#include "tests/tap.h"

static const char *abc_hex =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

static int
out_is(struct manifest *m, const char *want)
{
	return m->outlen == strlen(want) && memcmp(m->out, want, m->outlen) == 0;
}

int
main(void)
{
	unsigned char h[32];
	struct manifest m, p;
	const struct manifest_entry *e;
	char line[200];
	const char *bad[] = {
		"zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  x\n",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad x\n",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  \n",
		"\\ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  a\\tb\n",
		"\\ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  a\\\n",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a  x\n",
	};
	size_t i;

	tap_plan(18);
	hash_buf("abc", 3, h);

	manifest_init(&m);
	tap_ok(manifest_add(&m, h, "dir/plain name") == 0, "add a plain path");
	snprintf(line, sizeof(line), "%s  dir/plain name\n", abc_hex);
	tap_ok(out_is(&m, line), "plain line is HASH, two spaces, path");
	m.outlen = 0;
	manifest_add(&m, h, "a\nb\\c");
	snprintf(line, sizeof(line), "\\%s  a\\nb\\\\c\n", abc_hex);
	tap_ok(out_is(&m, line), "newline and backslash escaped as GNU does");
	m.outlen = 0;
	manifest_add(&m, h, "tab\there \xff\xfe");
	snprintf(line, sizeof(line), "%s  tab\there \xff\xfe\n", abc_hex);
	tap_ok(out_is(&m, line), "tabs and invalid UTF-8 are kept as bytes");

	/* Round trip of all three lines through the parser. */
	m.outlen = 0;
	manifest_add(&m, h, "dir/plain name");
	manifest_add(&m, h, "a\nb\\c");
	manifest_add(&m, h, "tab\there \xff\xfe");
	manifest_init(&p);
	tap_ok(manifest_parse(&p, m.out, m.outlen) == 0 && p.n == 3,
	    "parse reads back three entries");
	tap_same(p.v[1].path, "a\nb\\c", "escaped path unescaped");
	e = manifest_find(&p, "tab\there \xff\xfe");
	tap_ok(e != NULL && e->line == 3 && memcmp(e->hash, h, 32) == 0,
	    "find by path gives hash and line number");
	tap_ok(manifest_find(&p, "dir/plain") == NULL, "a prefix is not found");
	tap_ok(manifest_find(&p, "") == NULL, "empty path is not found");
	manifest_free(&p);

	/* A last line without newline, and binary-mode marks. */
	manifest_init(&p);
	snprintf(line, sizeof(line), "%s *bin\n%s  last", abc_hex, abc_hex);
	tap_ok(manifest_parse(&p, line, strlen(line)) == 0 && p.n == 2 &&
	    strcmp(p.v[1].path, "last") == 0 && strcmp(p.v[0].path, "bin") == 0,
	    "binary mark accepted, final line without newline read");
	manifest_free(&p);

	manifest_init(&p);
	tap_ok(manifest_parse(&p, "", 0) == 0 && p.n == 0 &&
	    manifest_find(&p, "x") == NULL, "an empty manifest has no entries");
	manifest_free(&p);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char buf[300];

		manifest_init(&p);
		snprintf(buf, sizeof(buf), "%s  ok\n%s", abc_hex, bad[i]);
		errno = 0;
		tap_ok(manifest_parse(&p, buf, strlen(buf)) == -1 &&
		    errno == EINVAL && p.badline == 2,
		    "bad line %zu rejected at line 2", i + 1);
		manifest_free(&p);
	}

	manifest_init(&p);
	snprintf(line, sizeof(line), "%s  a\n%s  b", abc_hex, abc_hex);
	line[strlen(abc_hex) + 2] = '\0';	/* the NUL is on line 1 */
	tap_ok(manifest_parse(&p, line, 2 * strlen(abc_hex) + 8) == -1 &&
	    p.badline == 1, "a NUL byte is rejected with its line");
	manifest_free(&p);
	manifest_free(&m);
	return tap_done();
}
