/* lib-conf.c - unit tests for lib/conf: the line reader and number parsers. */
/* SPDX-License-Identifier: ISC */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "tests/tap.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

static char tmp[] = "/tmp/lib-conf.XXXXXX";

/* Replace the temporary file's content with data[len]. */
static void
put(const char *data, size_t len)
{
	int fd;

	if ((fd = open(tmp, O_WRONLY | O_TRUNC | O_CLOEXEC)) == -1 ||
	    (len > 0 && write(fd, data, len) != (ssize_t)len) ||
	    close(fd) == -1) {
		tap_diag("cannot write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		exit(1);
	}
}

/* Whether the record just read is exactly the blank-separated words. */
static int
fields_are(const struct conf *c, const char *words)
{
	char buf[256], *p, *w;
	int i = 0;

	strcpy(buf, words);
	for (p = buf; (w = strsep(&p, " ")) != NULL; i++) {
		if (i >= c->nfields || strcmp(c->fields[i], w) != 0)
			return 0;
	}
	return i == c->nfields;
}

static void
test_records(void)
{
	static const char text[] =
	    "# a comment\n"
	    "\n"
	    "  alpha beta\tgamma  # trailing comment\n"
	    "\t \n"
	    "x#y z\n"
	    "   # indented comment\n"
	    "one\n"
	    "last line without newline";
	struct conf c;
	int r;

	put(text, sizeof(text) - 1);
	tap_ok(conf_open(&c, tmp) == 0 && c.path == tmp && c.line == 0,
	    "conf_open");
	tap_ok((fcntl(fileno(c.fp), F_GETFD) & FD_CLOEXEC) != 0,
	    "the file is opened close-on-exec");
	r = conf_next(&c);
	tap_ok(r == 3 && c.nfields == 3 && c.line == 3 &&
	    fields_are(&c, "alpha beta gamma"),
	    "comments and blank lines are skipped, blanks separate fields");
	r = conf_next(&c);
	tap_ok(r == 1 && c.line == 5 && fields_are(&c, "x"),
	    "'#' inside a field starts a comment");
	r = conf_next(&c);
	tap_ok(r == 1 && c.line == 7 && fields_are(&c, "one"),
	    "an indented comment is skipped, lines still counted");
	r = conf_next(&c);
	tap_ok(r == 4 && c.line == 8 &&
	    fields_are(&c, "last line without newline"),
	    "the last line is read without a final newline");
	r = conf_next(&c);
	tap_ok(r == 0 && c.line == 8 && c.nfields == 0,
	    "end of file is 0, the line number stays");
	tap_ok(conf_next(&c) == 0, "and stays 0");
	conf_close(&c);
	tap_ok(c.fp == NULL, "conf_close clears fp");
	conf_close(&c);
	errno = 0;
	tap_ok(conf_next(&c) == -1 && errno == EBADF,
	    "conf_next after conf_close is EBADF");

	put("", 0);
	tap_ok(conf_open(&c, tmp) == 0 && conf_next(&c) == 0 && c.line == 0,
	    "an empty file has no records and no lines");
	conf_close(&c);
	put("# only\n\n \t\n#", 12);
	tap_ok(conf_open(&c, tmp) == 0 && conf_next(&c) == 0 && c.line == 4,
	    "comments and blanks only: no records, four lines");
	conf_close(&c);

	/* A carriage return is an ordinary character, not a blank. */
	put("a b\r\n\r\n", 7);
	conf_open(&c, tmp);
	r = conf_next(&c);
	tap_ok(r == 2 && fields_are(&c, "a b\r"), "CRLF leaves \\r in the "
	    "last field");
	r = conf_next(&c);
	tap_ok(r == 1 && c.line == 2 && fields_are(&c, "\r"),
	    "a lone \\r is a field");
	conf_close(&c);
}

static void
test_long(void)
{
	static char text[4097 + 1 + 4097 + 1 + 3 + 5000 + 1];
	struct conf c;
	char *p = text;
	int r;

	/* 4096 is the longest line; 4097 is too long, with or without '\n' */
	memset(p, 'a', 4096);
	p[4096] = '\n';
	p += 4097;
	memset(p, 'b', 4097);
	p[4097] = '\n';
	p += 4098;
	memcpy(p, "ok\n", 3);
	p += 3;
	memset(p, 'c', 4097);
	p += 4097;
	put(text, p - text);
	conf_open(&c, tmp);
	r = conf_next(&c);
	tap_ok(r == 1 && c.line == 1 && strlen(c.fields[0]) == 4096 &&
	    strspn(c.fields[0], "a") == 4096,
	    "a line of CONF_MAXLINE bytes is read whole");
	errno = 0;
	r = conf_next(&c);
	tap_ok(r == -1 && c.line == 2 && errno == EINVAL && c.nfields == 0,
	    "a line of CONF_MAXLINE + 1 bytes fails on its line");
	tap_same(c.reason, "line too long", "its reason");
	r = conf_next(&c);
	tap_ok(r == 1 && c.line == 3 && fields_are(&c, "ok"),
	    "the next call reads the next line");
	r = conf_next(&c);
	tap_ok(r == -1 && c.line == 4 && c.reason != NULL &&
	    strcmp(c.reason, "line too long") == 0,
	    "a long last line without a newline is too long");
	tap_ok(conf_next(&c) == 0 && c.line == 4, "then end of file");
	conf_close(&c);

	/* Exactly CONF_MAXLINE bytes at end of file, no newline. */
	put(text, 4096);
	conf_open(&c, tmp);
	tap_ok(conf_next(&c) == 1 && strlen(c.fields[0]) == 4096 &&
	    conf_next(&c) == 0, "CONF_MAXLINE bytes without a newline");
	conf_close(&c);
}

static void
test_nul(void)
{
	static const char text[] = "a\0b\nc d\ne\0";
	static const char late[] = "# comment\0\n";
	static char mixed[5000];
	struct conf c;
	int r;

	put(text, sizeof(text) - 1);
	conf_open(&c, tmp);
	errno = 0;
	r = conf_next(&c);
	tap_ok(r == -1 && c.line == 1 && errno == EINVAL,
	    "a NUL byte fails on its line");
	tap_same(c.reason, "NUL byte in line", "its reason");
	r = conf_next(&c);
	tap_ok(r == 2 && c.line == 2 && fields_are(&c, "c d"),
	    "the next line is read properly");
	r = conf_next(&c);
	tap_ok(r == -1 && c.line == 3 && c.reason != NULL &&
	    strcmp(c.reason, "NUL byte in line") == 0,
	    "a NUL byte in a last line without a newline");
	tap_ok(conf_next(&c) == 0, "then end of file");
	conf_close(&c);

	/* The first problem on a line is the one reported. */
	memset(mixed, 'x', sizeof(mixed));
	mixed[0] = '\0';
	mixed[sizeof(mixed) - 1] = '\n';
	put(mixed, sizeof(mixed));
	conf_open(&c, tmp);
	tap_ok(conf_next(&c) == -1 && c.reason != NULL &&
	    strcmp(c.reason, "NUL byte in line") == 0,
	    "a NUL byte before the line is too long");
	conf_close(&c);
	mixed[0] = 'x';
	mixed[sizeof(mixed) - 2] = '\0';
	put(mixed, sizeof(mixed));
	conf_open(&c, tmp);
	tap_ok(conf_next(&c) == -1 && c.reason != NULL &&
	    strcmp(c.reason, "line too long") == 0,
	    "a NUL byte after the line is too long");
	conf_close(&c);

	put(late, sizeof(late) - 1);
	conf_open(&c, tmp);
	tap_ok(conf_next(&c) == -1 && c.reason != NULL &&
	    strcmp(c.reason, "NUL byte in line") == 0,
	    "a NUL byte in a comment is still refused");
	conf_close(&c);
}

static void
test_fields(void)
{
	static const char text[] =
	    "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
	    "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n"
	    "\t1\t2\t3\t4\t5\t6\t7\t8\t9\t10\t11\t12\t13\t14\t15\t16\t# 17\n";
	struct conf c;
	int r;

	put(text, sizeof(text) - 1);
	conf_open(&c, tmp);
	r = conf_next(&c);
	tap_ok(r == CONF_MAXFIELDS && c.line == 1 &&
	    strcmp(c.fields[15], "16") == 0, "16 fields are allowed");
	errno = 0;
	r = conf_next(&c);
	tap_ok(r == -1 && c.line == 2 && errno == EINVAL && c.nfields == 0,
	    "17 fields fail");
	tap_same(c.reason, "too many fields (at most 16)", "its reason");
	r = conf_next(&c);
	tap_ok(r == CONF_MAXFIELDS && c.line == 3 &&
	    strcmp(c.fields[0], "1") == 0 && strcmp(c.fields[15], "16") == 0,
	    "a 17th word in a comment does not count");
	conf_close(&c);
}

static void
test_errors(void)
{
	struct conf c;
	int r;

	/* tmp is removed by now. */
	errno = 0;
	tap_ok(conf_open(&c, tmp) == -1 && errno == ENOENT && c.fp == NULL,
	    "conf_open of a missing file is ENOENT");

	/* Reading a directory is the read error easiest to provoke. */
	if (conf_open(&c, "/") == -1) {
		tap_skip(2, "cannot open / as a file here");
		return;
	}
	errno = 0;
	r = conf_next(&c);
	tap_ok(r == -1 && errno == EISDIR && c.line == 0,
	    "a read error is -1 with the system's errno");
	tap_same(c.reason, "read error", "its reason");
	conf_close(&c);
}

static void
test_number(void)
{
	static const struct {
		const char		*s;
		unsigned long long	 min, max, want;
		int			 err;
	} v[] = {
		{ "0", 0, ULLONG_MAX, 0, 0 },
		{ "42", 0, ULLONG_MAX, 42, 0 },
		{ "007", 0, ULLONG_MAX, 7, 0 },
		{ "18446744073709551615", 0, ULLONG_MAX, ULLONG_MAX, 0 },
		{ "18446744073709551616", 0, ULLONG_MAX, 0, ERANGE },
		{ "99999999999999999999999", 0, ULLONG_MAX, 0, ERANGE },
		{ "99999999999999999999999x", 0, ULLONG_MAX, 0, EINVAL },
		{ "10", 10, 20, 10, 0 },
		{ "20", 10, 20, 20, 0 },
		{ "9", 10, 20, 0, ERANGE },
		{ "21", 10, 20, 0, ERANGE },
		{ "", 0, ULLONG_MAX, 0, EINVAL },
		{ "-1", 0, ULLONG_MAX, 0, EINVAL },
		{ "+1", 0, ULLONG_MAX, 0, EINVAL },
		{ " 1", 0, ULLONG_MAX, 0, EINVAL },
		{ "1 ", 0, ULLONG_MAX, 0, EINVAL },
		{ "1x", 0, ULLONG_MAX, 0, EINVAL },
		{ "0x10", 0, ULLONG_MAX, 0, EINVAL },
		{ "1.0", 0, ULLONG_MAX, 0, EINVAL },
		{ "1k", 0, ULLONG_MAX, 0, EINVAL },
	};
	unsigned long long n;
	size_t i;
	int r;

	for (i = 0; i < nitems(v); i++) {
		n = 12345;
		errno = 0;
		r = conf_number(v[i].s, v[i].min, v[i].max, &n);
		if (v[i].err == 0)
			tap_ok(r == 0 && n == v[i].want,
			    "number '%s' in [%llu, %llu] is %llu", v[i].s,
			    v[i].min, v[i].max, v[i].want);
		else
			tap_ok(r == -1 && errno == v[i].err && n == 12345,
			    "number '%s' in [%llu, %llu] is rejected (%s)",
			    v[i].s, v[i].min, v[i].max,
			    v[i].err == EINVAL ? "EINVAL" : "ERANGE");
	}
}

static void
test_size(void)
{
	static const struct {
		const char		*s;
		unsigned long long	 want;
		int			 err;
	} v[] = {
		{ "0", 0, 0 },
		{ "1", 1, 0 },
		{ "1B", 1, 0 },
		{ "1k", 1024, 0 },
		{ "1K", 1024, 0 },
		{ "1kB", 1024, 0 },
		{ "1KiB", 1024, 0 },
		{ "3m", 3ULL << 20, 0 },
		{ "3M", 3ULL << 20, 0 },
		{ "3MB", 3ULL << 20, 0 },
		{ "3MiB", 3ULL << 20, 0 },
		{ "2g", 2ULL << 30, 0 },
		{ "2GiB", 2ULL << 30, 0 },
		{ "5t", 5ULL << 40, 0 },
		{ "5TB", 5ULL << 40, 0 },
		{ "0T", 0, 0 },
		{ "16777215T", 16777215ULL << 40, 0 },
		{ "16777216T", 0, ERANGE },
		{ "17179869183G", 17179869183ULL << 30, 0 },
		{ "17179869184G", 0, ERANGE },
		{ "18446744073709551615", ULLONG_MAX, 0 },
		{ "18446744073709551615B", ULLONG_MAX, 0 },
		{ "18446744073709551616", 0, ERANGE },
		{ "18446744073709551616k", 0, ERANGE },
		{ "18446744073709551616x", 0, EINVAL },
		{ "", 0, EINVAL },
		{ "k", 0, EINVAL },
		{ "B", 0, EINVAL },
		{ "1.5k", 0, EINVAL },
		{ "-1k", 0, EINVAL },
		{ "+1k", 0, EINVAL },
		{ "1 k", 0, EINVAL },
		{ "1k ", 0, EINVAL },
		{ "1kb", 0, EINVAL },
		{ "1Ki", 0, EINVAL },
		{ "1KiBB", 0, EINVAL },
		{ "1iB", 0, EINVAL },
		{ "1BB", 0, EINVAL },
		{ "1kk", 0, EINVAL },
		{ "1P", 0, EINVAL },
		{ "1x", 0, EINVAL },
	};
	unsigned long long n;
	size_t i;
	int r;

	for (i = 0; i < nitems(v); i++) {
		n = 12345;
		errno = 0;
		r = conf_size(v[i].s, &n);
		if (v[i].err == 0)
			tap_ok(r == 0 && n == v[i].want, "size '%s' is %llu",
			    v[i].s, v[i].want);
		else
			tap_ok(r == -1 && errno == v[i].err && n == 12345,
			    "size '%s' is rejected (%s)", v[i].s,
			    v[i].err == EINVAL ? "EINVAL" : "ERANGE");
	}
}

int
main(void)
{
	int fd;

	tap_plan(97);
	if ((fd = mkstemp(tmp)) == -1) {
		tap_diag("mkstemp: %s", strerror(errno));
		return 1;
	}
	close(fd);
	test_records();
	test_long();
	test_nul();
	test_fields();
	unlink(tmp);
	test_errors();
	test_number();
	test_size();
	return tap_done();
}
