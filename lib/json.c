/* json.c - a top-level member of a JSON object held on one line. */
/* SPDX-License-Identifier: ISC */

#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "lib/json.h"

struct scan {
	const unsigned char	*p, *end;
	const char		*why;
};

static int
isblank_json(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
skipws(struct scan *sc)
{
	while (sc->p < sc->end && isblank_json(*sc->p))
		sc->p++;
}

static int
fail(struct scan *sc, const char *why)
{
	sc->why = why;
	return -1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at p[0 .. left - 1], or -1. */
static long
hex4(const unsigned char *p, size_t left)
{
	long v = 0;
	int i, h;

	if (left < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((h = hexval(p[i])) == -1)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/*
 * Decode one character of a string body at *pp (before end) into
 * out[4]: its length in bytes, or -1 if the body is invalid there.
 * *pp moves past what was decoded.
 */
static int
unesc(const unsigned char **pp, const unsigned char *end, unsigned char *out)
{
	const unsigned char *p = *pp;
	long c, lo;

	if (*p < 0x20)
		return -1;
	if (*p != '\\') {
		out[0] = *p;
		*pp = p + 1;
		return 1;
	}
	if (p + 1 == end)
		return -1;
	switch (p[1]) {
	case '"': case '\\': case '/':
		out[0] = p[1];
		break;
	case 'b': out[0] = '\b'; break;
	case 'f': out[0] = '\f'; break;
	case 'n': out[0] = '\n'; break;
	case 'r': out[0] = '\r'; break;
	case 't': out[0] = '\t'; break;
	case 'u':
		if ((c = hex4(p + 2, (size_t)(end - p - 2))) == -1)
			return -1;
		p += 6;
		if (c >= 0xdc00 && c <= 0xdfff)
			return -1;
		if (c >= 0xd800 && c <= 0xdbff) {
			if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
			    (lo = hex4(p + 2, 4)) < 0xdc00 || lo > 0xdfff)
				return -1;
			c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
			p += 6;
		}
		*pp = p;
		if (c < 0x80) {
			out[0] = (unsigned char)c;
			return 1;
		}
		if (c < 0x800) {
			out[0] = (unsigned char)(0xc0 | c >> 6);
			out[1] = (unsigned char)(0x80 | (c & 0x3f));
			return 2;
		}
		if (c < 0x10000) {
			out[0] = (unsigned char)(0xe0 | c >> 12);
			out[1] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
			out[2] = (unsigned char)(0x80 | (c & 0x3f));
			return 3;
		}
		out[0] = (unsigned char)(0xf0 | c >> 18);
		out[1] = (unsigned char)(0x80 | (c >> 12 & 0x3f));
		out[2] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		out[3] = (unsigned char)(0x80 | (c & 0x3f));
		return 4;
	default:
		return -1;
	}
	*pp = p + 2;
	return 1;
}

/*
 * A string at sc->p (on its opening quote): move past it, setting
 * *body and *bodylen to what is between the quotes.  When key is not
 * NULL, *same says whether the decoded string equals key[keylen].
 */
static int
string(struct scan *sc, const unsigned char **body, size_t *bodylen,
    const char *key, size_t keylen, int *same)
{
	const unsigned char *p = sc->p + 1, *start = p;
	unsigned char c[4];
	size_t at = 0;
	int n, eq = 1;

	for (;;) {
		if (p == sc->end)
			return fail(sc, "unterminated string");
		if (*p == '"')
			break;
		/* Plain bytes need no decoding, and are most of them. */
		if (*p >= 0x20 && *p != '\\') {
			if (key != NULL && eq &&
			    (at >= keylen || (unsigned char)key[at] != *p))
				eq = 0;
			at++;
			p++;
			continue;
		}
		if ((n = unesc(&p, sc->end, c)) == -1)
			return fail(sc, *p < 0x20 ? "control character in "
			    "string" : "bad escape in string");
		if (key != NULL && eq && (at + (size_t)n > keylen ||
		    memcmp(key + at, c, (size_t)n) != 0))
			eq = 0;
		at += (size_t)n;
	}
	*body = start;
	*bodylen = (size_t)(p - start);
	if (same != NULL)
		*same = eq && at == keylen;
	sc->p = p + 1;
	return 0;
}

/* A number per RFC 8259 at sc->p. */
static int
number(struct scan *sc)
{
	const unsigned char *p = sc->p, *e = sc->end;

	if (p < e && *p == '-')
		p++;
	if (p < e && *p == '0')
		p++;
	else if (p < e && *p >= '1' && *p <= '9')
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	else
		return fail(sc, "bad number");
	if (p < e && *p == '.') {
		if (++p == e || *p < '0' || *p > '9')
			return fail(sc, "bad number");
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p == e || *p < '0' || *p > '9')
			return fail(sc, "bad number");
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	sc->p = p;
	return 0;
}

static int
literal(struct scan *sc)
{
	static const char *const words[] = { "true", "false", "null" };
	size_t i, n;

	for (i = 0; i < 3; i++) {
		n = strlen(words[i]);
		if ((size_t)(sc->end - sc->p) >= n &&
		    memcmp(sc->p, words[i], n) == 0) {
			sc->p += n;
			return 0;
		}
	}
	return fail(sc, "unexpected character");
}

/* A member's name and its colon, in a nested object. */
static int
name(struct scan *sc)
{
	const unsigned char *b;
	size_t bl;

	skipws(sc);
	if (sc->p == sc->end || *sc->p != '"')
		return fail(sc, "member name expected");
	if (string(sc, &b, &bl, NULL, 0, NULL) == -1)
		return -1;
	skipws(sc);
	if (sc->p == sc->end || *sc->p != ':')
		return fail(sc, "':' expected");
	sc->p++;
	return 0;
}

#define ISOBJ(stack, d)	((stack)[(d) / 8] >> (d) % 8 & 1)

/*
 * One value at sc->p, arrays and objects with whatever they hold,
 * without recursion: stack[] has a bit per open container, 1 for an
 * object.  *type is the outermost value's.
 */
static int
value(struct scan *sc, enum json_type *type)
{
	unsigned char stack[JSON_MAXDEPTH / 8];
	const unsigned char *b;
	size_t depth = 0, bl;
	int obj;

	*type = JSON_OTHER;
	for (;;) {
		/* A value is due. */
		skipws(sc);
		if (sc->p == sc->end)
			return fail(sc, "value expected");
		if (*sc->p == '{' || *sc->p == '[') {
			/* The top-level object is one level. */
			if (depth == JSON_MAXDEPTH - 1)
				return fail(sc, "nested too deeply");
			obj = *sc->p == '{';
			/* A byte's first bit sets it whole: no bits of an
			 * uninitialized byte are kept. */
			if (depth % 8 == 0)
				stack[depth / 8] = (unsigned char)obj;
			else
				stack[depth / 8] = (unsigned char)
				    ((stack[depth / 8] & ~(1 << depth % 8)) |
				    obj << depth % 8);
			depth++;
			sc->p++;
			skipws(sc);
			if (sc->p == sc->end || *sc->p != (obj ? '}' : ']')) {
				if (obj && name(sc) == -1)
					return -1;
				continue;
			}
			/* Empty: a whole value; the closer is read below. */
		} else if (*sc->p == '"') {
			if (depth == 0)
				*type = JSON_STRING;
			if (string(sc, &b, &bl, NULL, 0, NULL) == -1)
				return -1;
		} else if (*sc->p == '-' || (*sc->p >= '0' && *sc->p <= '9')) {
			if (depth == 0)
				*type = JSON_NUMBER;
			if (number(sc) == -1)
				return -1;
		} else if (literal(sc) == -1)
			return -1;

		/* After a value: close containers, or go on to the next. */
		for (;;) {
			if (depth == 0)
				return 0;
			obj = ISOBJ(stack, depth - 1);
			skipws(sc);
			if (sc->p == sc->end)
				return fail(sc, "unterminated array or object");
			if (*sc->p == (obj ? '}' : ']')) {
				sc->p++;
				depth--;
				continue;
			}
			if (*sc->p != ',')
				return fail(sc, obj ? "',' or '}' expected" :
				    "',' or ']' expected");
			sc->p++;
			if (obj && name(sc) == -1)
				return -1;
			break;
		}
	}
}

int
json_member(const char *s, size_t len, const char *key, size_t keylen,
    struct json_value *v, const char **why)
{
	struct scan sc;
	const unsigned char *b, *start;
	enum json_type type;
	size_t bl;
	int same, found = 0;

	sc.p = (const unsigned char *)s;
	sc.end = sc.p + len;
	sc.why = NULL;
	skipws(&sc);
	if (sc.p == sc.end || *sc.p != '{') {
		sc.why = "not a JSON object";
		goto bad;
	}
	sc.p++;
	skipws(&sc);
	if (sc.p < sc.end && *sc.p == '}') {
		sc.p++;
		goto end;
	}
	for (;;) {
		skipws(&sc);
		if (sc.p == sc.end || *sc.p != '"') {
			sc.why = "member name expected";
			goto bad;
		}
		if (string(&sc, &b, &bl, key, keylen, &same) == -1)
			goto bad;
		skipws(&sc);
		if (sc.p == sc.end || *sc.p != ':') {
			sc.why = "':' expected";
			goto bad;
		}
		sc.p++;
		skipws(&sc);
		start = sc.p;
		if (value(&sc, &type) == -1)
			goto bad;
		if (same) {
			if (found) {
				sc.why = "member given twice";
				goto bad;
			}
			found = 1;
			v->type = type;
			if (type == JSON_STRING) {
				v->raw = (const char *)start + 1;
				v->rawlen = (size_t)(sc.p - start) - 2;
			} else {
				v->raw = (const char *)start;
				v->rawlen = (size_t)(sc.p - start);
			}
		}
		skipws(&sc);
		if (sc.p < sc.end && *sc.p == ',') {
			sc.p++;
			continue;
		}
		if (sc.p < sc.end && *sc.p == '}') {
			sc.p++;
			break;
		}
		sc.why = "',' or '}' expected";
		goto bad;
	}
end:
	skipws(&sc);
	if (sc.p != sc.end) {
		sc.why = "text after the object";
		goto bad;
	}
	return found;
bad:
	if (why != NULL)
		*why = sc.why;
	return -1;
}

long
json_unescape(const char *raw, size_t rawlen, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)raw, *end = p + rawlen;
	unsigned char c[4];
	size_t n = 0;
	int k;

	while (p < end) {
		if (*p == '"' || (k = unesc(&p, end, c)) == -1)
			return -1;
		if ((size_t)k > size - n || n > LONG_MAX - 4)
			return -1;
		memcpy(out + n, c, (size_t)k);
		n += (size_t)k;
	}
	return (long)n;
}
