/* json.h - a top-level member of a JSON object held on one line. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_JSON_H
#define DATAKEEP_JSON_H

#include <stddef.h>

#define JSON_MAXDEPTH	4096	/* nested arrays and objects, at most */

enum json_type {
	JSON_STRING = 1,
	JSON_NUMBER,
	JSON_OTHER,		/* true, false, null, an array, an object */
};

/*
 * A member's value in place: for a string, raw points after the opening
 * quote and rawlen stops before the closing one (escapes still in it);
 * for anything else raw[0 .. rawlen - 1] is its text.
 */
struct json_value {
	enum json_type	 type;
	const char	*raw;
	size_t		 rawlen;
};

/*
 * Check that s[len] is exactly one JSON object (RFC 8259; blanks, CR
 * included, around it allowed) and find its top-level member named
 * key[keylen], comparing the name with its escapes decoded.  Returns 1
 * with *v set, 0 when there is no such member, -1 when s is not one
 * object or key is there more than once (which of two values would be
 * meant cannot be told), *why (if not NULL) saying what is wrong.
 * Bytes of 0x80 and above are taken as they are (UTF-8 is not checked).
 * Nothing is allocated; nesting deeper than JSON_MAXDEPTH is an error.
 */
int	json_member(const char *s, size_t len, const char *key, size_t keylen,
	    struct json_value *v, const char **why);

/*
 * Decode the escapes of a string value's raw[rawlen] into out[size]
 * (\uXXXX as UTF-8, surrogate pairs joined; a lone surrogate is an
 * error).  Returns the decoded length, or -1 when raw is not a valid
 * string body or the result does not fit.
 */
long	json_unescape(const char *raw, size_t rawlen, char *out, size_t size);

#endif
