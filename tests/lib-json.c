/* lib-json.c - tests of lib/json: top-level members of one-line objects. */
/* SPDX-License-Identifier: ISC */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "tests/tap.h"

static const struct {
	const char	*line;
	const char	*key;
	int		 want;		/* json_member's result */
	int		 type;
	const char	*raw;		/* the value's raw text */
} cases[] = {
	{ "{\"ts\":\"2025-08-18\"}", "ts", 1, JSON_STRING, "2025-08-18" },
	{ " { \"a\" : 1 , \"ts\" : 17 } \r", "ts", 1, JSON_NUMBER, "17" },
	{ "{\"ts\":-1.5e+3}", "ts", 1, JSON_NUMBER, "-1.5e+3" },
	{ "{\"ts\":null}", "ts", 1, JSON_OTHER, "null" },
	{ "{\"ts\":[1,{\"ts\":2}]}", "ts", 1, JSON_OTHER, "[1,{\"ts\":2}]" },
	/* Only top-level members count. */
	{ "{\"x\":{\"ts\":\"no\"}}", "ts", 0, 0, NULL },
	{ "{\"x\":\"\\\"ts\\\":1\"}", "ts", 0, 0, NULL },
	{ "{}", "ts", 0, 0, NULL },
	/* Names compare decoded. */
	{ "{\"t\\u0073\":\"u\"}", "ts", 1, JSON_STRING, "u" },
	{ "{\"caf\\u00e9\":1}", "caf\xc3\xa9", 1, JSON_NUMBER, "1" },
	{ "{\"\\ud83d\\ude00\":1}", "\xf0\x9f\x98\x80", 1, JSON_NUMBER, "1" },
	{ "{\"tss\":1,\"t\":2}", "ts", 0, 0, NULL },
	{ "{\"ts\":\"a\\\"b\"}", "ts", 1, JSON_STRING, "a\\\"b" },
	/* Twice is ambiguous; anything not one object is an error. */
	{ "{\"ts\":1,\"ts\":2}", "ts", -1, 0, NULL },
	{ "[1]", "ts", -1, 0, NULL },
	{ "", "ts", -1, 0, NULL },
	{ "{\"ts\":1} {}", "ts", -1, 0, NULL },
	{ "{\"ts\":1,}", "ts", -1, 0, NULL },
	{ "{\"ts\":01}", "ts", -1, 0, NULL },
	{ "{\"ts\":tru}", "ts", -1, 0, NULL },
	{ "{\"ts\":\"a\tb\"}", "ts", -1, 0, NULL },
	{ "{\"ts\":\"\\x\"}", "ts", -1, 0, NULL },
	{ "{\"ts\":\"\\ud800\"}", "ts", -1, 0, NULL },
	{ "{\"ts\":[1,]}", "ts", -1, 0, NULL },
	{ "{\"ts\":[1}", "ts", -1, 0, NULL },
	{ "{\"ts\":{\"a\"}}", "ts", -1, 0, NULL },
	{ "{\"ts\":\"x", "ts", -1, 0, NULL },
	{ "{\"ts\" 1}", "ts", -1, 0, NULL },
	{ "{ts:1}", "ts", -1, 0, NULL },
};

int
main(void)
{
	size_t i, n = sizeof(cases) / sizeof(cases[0]), depth;
	struct json_value v;
	const char *why;
	char out[64], *deep;
	long len;
	int r;

	tap_plan((int)n + 7);
	for (i = 0; i < n; i++) {
		memset(&v, 0, sizeof(v));
		why = NULL;
		r = json_member(cases[i].line, strlen(cases[i].line),
		    cases[i].key, strlen(cases[i].key), &v, &why);
		if (!tap_ok(r == cases[i].want && (r != 1 ||
		    ((int)v.type == cases[i].type &&
		    v.rawlen == strlen(cases[i].raw) &&
		    memcmp(v.raw, cases[i].raw, v.rawlen) == 0)) &&
		    (r != -1 || why != NULL), "json_member %s", cases[i].line))
			tap_diag("got %d (%s)", r, why ? why : "");
	}

	len = json_unescape("a\\n\\u00e9\\/", 11, out, sizeof(out));
	tap_ok(len == 5 && memcmp(out, "a\n\xc3\xa9/", 5) == 0,
	    "json_unescape decodes escapes to UTF-8");
	tap_ok(json_unescape("abcdef", 6, out, 3) == -1,
	    "json_unescape fails when the result does not fit");
	tap_ok(json_unescape("a\\", 2, out, sizeof(out)) == -1,
	    "json_unescape fails on a dangling backslash");

	/* Nesting: deep is fine up to the bound, without recursion. */
	depth = JSON_MAXDEPTH;
	deep = malloc(2 * depth + 16);
	memcpy(deep, "{\"a\":", 5);
	memset(deep + 5, '[', depth - 1);
	memset(deep + 5 + depth - 1, ']', depth - 1);
	memcpy(deep + 5 + 2 * (depth - 1), ",\"ts\":1}", 9);
	r = json_member(deep, strlen(deep), "ts", 2, &v, &why);
	tap_ok(r == 1 && v.rawlen == 1 && v.raw[0] == '1',
	    "%zu levels of nesting are read", depth);
	memmove(deep + 6, deep + 5, strlen(deep + 5) + 1);
	deep[5] = '[';
	memmove(deep + 5 + depth + 1, deep + 5 + depth, strlen(deep + 5 +
	    depth) + 1);
	deep[5 + depth] = ']';
	r = json_member(deep, strlen(deep), "ts", 2, &v, &why);
	tap_ok(r == -1 && why != NULL && strcmp(why, "nested too deeply") == 0,
	    "one level more is an error, not a crash");
	free(deep);

	r = json_member("{\"ts\":\"a\0b\"}", 12, "ts", 2, &v, &why);
	tap_ok(r == -1, "a NUL byte in a string is a control character");
	r = json_member("{\"ts\":\"\xff\xfe\"}", 11, "ts", 2, &v, &why);
	tap_ok(r == 1 && v.rawlen == 2,
	    "bytes above 0x7f are taken as they are");
	return tap_done();
}
