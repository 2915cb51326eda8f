/* lib-csv.c - unit tests for lib/csv: records, quoting, line ends and
 * errors, read whole and in pieces as small as one byte. */
/* SPDX-License-Identifier: ISC */

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/csv.h"
#include "tests/tap.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

static char tmp[] = "/tmp/lib-csv.XXXXXX";

static void
die(const char *what)
{
	tap_diag("%s: %s", what, strerror(errno));
	unlink(tmp);
	exit(1);
}

/*
 * A descriptor from which data[len] is read chunk bytes at a time
 * (0: all at once, from a file).  For chunks, a child sends them as
 * packets of a SOCK_SEQPACKET socket, each read(2) returning one.
 */
static int
source(const char *data, size_t len, size_t chunk, pid_t *pid)
{
	int sv[2], fd;
	size_t off, n;

	*pid = -1;
	if (chunk == 0) {
		if ((fd = open(tmp, O_RDWR | O_TRUNC | O_CLOEXEC)) == -1)
			die(tmp);
		if (len > 0 && write(fd, data, len) != (ssize_t)len)
			die(tmp);
		if (lseek(fd, 0, SEEK_SET) == -1)
			die(tmp);
		return fd;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1)
		die("socketpair");
	if ((*pid = fork()) == -1)
		die("fork");
	if (*pid == 0) {
		close(sv[0]);
		for (off = 0; off < len; off += n) {
			n = len - off < chunk ? len - off : chunk;
			if (write(sv[1], data + off, n) != (ssize_t)n)
				_exit(1);
		}
		_exit(0);
	}
	close(sv[1]);
	return sv[0];
}

static void
reap(int fd, pid_t pid)
{
	int st;

	close(fd);
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, &st, 0);
	}
}

/* Append p[n] to s (of size 4096) with CR, LF, NUL, |, \ and non-ASCII
 * bytes escaped. */
static void
esc(char *s, const char *p, size_t n)
{
	size_t i, l = strlen(s);

	for (i = 0; i < n && l + 8 < 4096; i++) {
		unsigned char c = p[i];

		if (c == '\n')
			l += sprintf(s + l, "\\n");
		else if (c == '\r')
			l += sprintf(s + l, "\\r");
		else if (c == '|' || c == '\\')
			l += sprintf(s + l, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			l += sprintf(s + l, "\\x%02x", c);
		else
			s[l++] = c;
		s[l] = '\0';
	}
}

/*
 * Read data[len] in chunks of chunk bytes and describe what comes out:
 * for each record "LINE:f1|f2|...$EOL " where a quoted field shows as
 * Q(value) and EOL is LF, CRLF or -; a leading "BOM " when there was one;
 * an error as "E LINE reason".  Checks on the way that the records' raw
 * bytes, with the BOM, are the input exactly (*exact), and that each
 * record's raw bytes are its fields' joined by the separator.
 */
static void
dump(const char *data, size_t len, size_t chunk, int sep, int quote,
    char *out, int *exact)
{
	const struct csv_record *rec;
	struct csv_reader r;
	size_t i, off = 0, j;
	pid_t pid;
	int fd, rc;

	out[0] = '\0';
	*exact = 1;
	fd = source(data, len, chunk, &pid);
	if (csv_open(&r, fd, sep, quote) == -1)
		die("csv_open");
	while ((rc = csv_next(&r, &rec)) == 1) {
		if (off == 0 && r.bom) {
			strcat(out, "BOM ");
			off = 3;
		}
		sprintf(out + strlen(out), "%llu:", rec->line);
		for (i = 0, j = 0; i < rec->nfields; i++) {
			const struct csv_field *f = &rec->fields[i];

			if (i > 0) {
				strcat(out, "|");
				if (rec->raw[j++] != sep)
					*exact = 0;
			}
			if (f->raw != rec->raw + j)
				*exact = 0;
			j += f->rawlen;
			if (f->quoted)
				strcat(out, "Q(");
			esc(out, f->value, f->len);
			if (f->quoted)
				strcat(out, ")");
		}
		if (j != rec->rawlen)
			*exact = 0;
		strcat(out, rec->eollen == 2 ? "$CRLF " :
		    rec->eollen == 1 ? "$LF " : "$- ");
		if (off + rec->rawlen + rec->eollen > len ||
		    memcmp(data + off, rec->raw, rec->rawlen + rec->eollen) !=
		    0)
			*exact = 0;
		off += rec->rawlen + rec->eollen;
	}
	if (rc == -1)
		sprintf(out + strlen(out), "E %llu %s", r.errline,
		    r.reason != NULL ? r.reason : strerror(errno));
	else if (off != len && !(len == 3 && r.bom))
		*exact = 0;
	/* After the end or an error, the same again. */
	if (csv_next(&r, &rec) != rc)
		strcat(out, " (not sticky)");
	csv_close(&r);
	csv_close(&r);
	reap(fd, pid);
}

static const struct {
	const char	*name;
	const char	*data;
	size_t		 len;		/* 0: strlen(data) */
	int		 tsv;
	const char	*want;
} cases[] = {
	{ "plain", "a,b,c\n1,2,3\n", 0, 0, "1:a|b|c$LF 2:1|2|3$LF " },
	{ "no final newline", "a,b\n1,2", 0, 0, "1:a|b$LF 2:1|2$- " },
	{ "CRLF line ends", "a,b\r\n1,2\r\n", 0, 0,
	    "1:a|b$CRLF 2:1|2$CRLF " },
	{ "mixed line ends", "a\r\nb\nc", 0, 0, "1:a$CRLF 2:b$LF 3:c$- " },
	{ "quoted comma", "\"x,y\",z\n", 0, 0, "1:Q(x,y)|z$LF " },
	{ "doubled quotes", "\"he said \"\"hi\"\"\",2\n", 0, 0,
	    "1:Q(he said \"hi\")|2$LF " },
	{ "only doubled quotes", "\"\"\"\"\"\",\"\"\"\"\n", 0, 0,
	    "1:Q(\"\")|Q(\")$LF " },
	{ "LF in quotes", "\"a\nb\",c\nd,e\n", 0, 0,
	    "1:Q(a\\nb)|c$LF 3:d|e$LF " },
	{ "CRLF in quotes", "\"a\r\nb\",c\r\nd\r\n", 0, 0,
	    "1:Q(a\\r\\nb)|c$CRLF 3:d$CRLF " },
	{ "CR in quotes", "\"a\rb\",c\n", 0, 0, "1:Q(a\\rb)|c$LF " },
	{ "lines counted across fields", "\"a\n\nb\",\"\n\"\nx\n", 0, 0,
	    "1:Q(a\\n\\nb)|Q(\\n)$LF 5:x$LF " },
	{ "empty fields", ",,\n\"\",x,\"\"\n", 0, 0,
	    "1:||$LF 2:Q()|x|Q()$LF " },
	{ "empty lines", "a\n\nb\n\n", 0, 0, "1:a$LF 2:$LF 3:b$LF 4:$LF " },
	{ "a lone line end", "\r\n", 0, 0, "1:$CRLF " },
	{ "empty fields before CRLF", ",\r\n", 0, 0, "1:|$CRLF " },
	{ "trailing separator at the end", "a,", 0, 0, "1:a|$- " },
	{ "empty input", "", 0, 0, "" },
	{ "BOM", "\xef\xbb\xbf" "a,b\n", 0, 0, "BOM 1:a|b$LF " },
	{ "BOM alone", "\xef\xbb\xbf", 0, 0, "" },
	{ "BOM before a quote", "\xef\xbb\xbf\"a\"\n", 0, 0,
	    "BOM 1:Q(a)$LF " },
	{ "half a BOM", "\xef\xbb,x\n", 0, 0, "1:\\xef\\xbb|x$LF " },
	{ "BOM not at the start", "a\n\xef\xbb\xbf\n", 0, 0,
	    "1:a$LF 2:\\xef\\xbb\\xbf$LF " },
	{ "NUL bytes", "a\0b,\"\0\"\n", 8, 0, "1:a\\x00b|Q(\\x00)$LF " },
	{ "non-UTF-8", "\xff\xfe,\"\xc3(\"\n", 0, 0,
	    "1:\\xff\\xfe|Q(\\xc3()$LF " },
	{ "lone CR is data", "a\rb,c\r\nd\r", 0, 0,
	    "1:a\\rb|c$CRLF 2:d\\r$- " },
	{ "CR before a separator", "a\r,b\n", 0, 0, "1:a\\r|b$LF " },
	{ "quoted field at the end", "\"a\"", 0, 0, "1:Q(a)$- " },
	{ "quoted field before CRLF", "\"a\"\r\n\"b\"\n", 0, 0,
	    "1:Q(a)$CRLF 2:Q(b)$LF " },
	{ "unterminated quote", "a\n\"bc", 0, 0, "1:a$LF E 2 unterminated "
	    "quoted field" },
	{ "unterminated quote names its first line",
	    "x,y\n1,\"ab\ncd\n\nef", 0, 0,
	    "1:x|y$LF E 2 unterminated quoted field" },
	{ "unterminated after a doubled quote", "\"a\"\"", 0, 0,
	    "E 1 unterminated quoted field" },
	{ "quote in unquoted field", "ok\na\"b,c\n", 0, 0,
	    "1:ok$LF E 2 quote in unquoted field" },
	{ "text after closing quote", "\"a\"b,c\n", 0, 0,
	    "E 1 text after closing quote" },
	{ "space after closing quote", "\"a\" ,c\n", 0, 0,
	    "E 1 text after closing quote" },
	{ "CR after closing quote at the end", "\"a\"\r", 0, 0,
	    "E 1 text after closing quote" },
	{ "CR then text after closing quote", "\"a\"\rb\n", 0, 0,
	    "E 1 text after closing quote" },
	{ "error line after a multi-line record", "\"a\nb\"\nc\"d\n", 0, 0,
	    "1:Q(a\\nb)$LF E 3 quote in unquoted field" },
	{ "TSV", "a\tb\n\"x\"\ty\"z\n", 0, 1, "1:a|b$LF 2:\"x\"|y\"z$LF " },
	{ "TSV CRLF and empty fields", "\t\r\nx\t\t\r\n", 0, 1,
	    "1:|$CRLF 2:x||$CRLF " },
	{ "TSV comma is data", "a,b\tc\n", 0, 1, "1:a,b|c$LF " },
};

static size_t chunks[] = { 0, 1, 2, 3, 7 };

static void
test_cases(void)
{
	static char got[4096];
	size_t i, k, len;
	int exact, sep;

	for (i = 0; i < nitems(cases); i++) {
		len = cases[i].len != 0 ? cases[i].len : strlen(cases[i].data);
		sep = cases[i].tsv ? '\t' : ',';
		for (k = 0; k < nitems(chunks); k++) {
			dump(cases[i].data, len, chunks[k], sep,
			    cases[i].tsv ? 0 : '"', got, &exact);
			if (strcmp(got, cases[i].want) != 0 || !exact)
				break;
		}
		if (!tap_ok(k == nitems(chunks), "%s", cases[i].name)) {
			tap_diag("in chunks of %zu: got  '%s'%s", chunks[k],
			    got, exact ? "" : " (raw bytes differ)");
			tap_diag("want '%s'", cases[i].want);
		}
	}
}

/* A field of n bytes (quoted, with a doubled quote in the middle, or
 * not), between two small ones: the buffer grows to hold it. */
static void
test_long_field(size_t n, int quoted)
{
	const struct csv_record *rec;
	struct csv_reader r;
	char *data, *p;
	size_t len, i;
	int fd, ok = 1;
	pid_t pid;

	if ((data = malloc(n + 16)) == NULL)
		die("malloc");
	p = data;
	memcpy(p, "a,", 2);
	p += 2;
	if (quoted)
		*p++ = '"';
	for (i = 0; i < n; i++)
		p[i] = 'A' + i % 23;
	if (quoted)
		memcpy(p + n / 2, "\"\"", 2);
	p += n;
	if (quoted)
		*p++ = '"';
	memcpy(p, ",z\nb\n", 5);
	len = p + 5 - data;

	fd = source(data, len, 0, &pid);
	if (csv_open(&r, fd, ',', '"') == -1)
		die("csv_open");
	if (csv_next(&r, &rec) != 1 || rec->nfields != 3 ||
	    rec->fields[1].rawlen != n + (quoted ? 2 : 0) ||
	    rec->fields[1].len != n - (quoted ? 1 : 0) ||
	    rec->fields[2].len != 1 || rec->fields[2].value[0] != 'z')
		ok = 0;
	else if (quoted) {
		ok = memcmp(rec->fields[1].value, data + 3, n / 2) == 0 &&
		    rec->fields[1].value[n / 2] == '"' &&
		    memcmp(rec->fields[1].value + n / 2 + 1,
		    data + 3 + n / 2 + 2, n - n / 2 - 2) == 0;
	} else
		ok = memcmp(rec->fields[1].value, data + 2, n) == 0;
	if (ok && (csv_next(&r, &rec) != 1 || rec->line != 2 ||
	    rec->nfields != 1 || csv_next(&r, &rec) != 0))
		ok = 0;
	tap_ok(ok, "a %s field of %zu bytes", quoted ? "quoted" : "plain", n);
	csv_close(&r);
	reap(fd, pid);
	free(data);
}

/* CSV_MAXFIELDS fields are fine, one more is an error. */
static void
test_many_fields(void)
{
	const struct csv_record *rec;
	struct csv_reader r;
	size_t m = CSV_MAXFIELDS;
	char *data;
	int fd, rc;
	pid_t pid;

	/* m - 1 separators make m fields; then a record of two. */
	if ((data = malloc(m + 2)) == NULL)
		die("malloc");
	memset(data, ',', m - 1);
	data[m - 1] = '\n';
	data[m] = ',';
	fd = source(data, m + 1, 0, &pid);
	if (csv_open(&r, fd, ',', '"') == -1)
		die("csv_open");
	rc = csv_next(&r, &rec);
	tap_ok(rc == 1 && rec->nfields == m && rec->rawlen == m - 1,
	    "%zu fields", m);
	rc = csv_next(&r, &rec);
	tap_ok(rc == 1 && rec->nfields == 2, "then a second record");
	csv_close(&r);
	reap(fd, pid);

	memset(data, ',', m);
	data[m] = '\n';
	fd = source(data, m + 1, 0, &pid);
	if (csv_open(&r, fd, ',', '"') == -1)
		die("csv_open");
	rc = csv_next(&r, &rec);
	tap_ok(rc == -1 && errno == EINVAL && r.reason != NULL &&
	    strcmp(r.reason, "too many fields") == 0 && r.errline == 1,
	    "%zu fields: too many", m + 1);
	csv_close(&r);
	reap(fd, pid);
	free(data);
}

static void
test_open_and_errors(void)
{
	const struct csv_record *rec;
	struct csv_reader r;
	int rc;

	errno = 0;
	tap_ok(csv_open(&r, 0, '\n', '"') == -1 && errno == EINVAL,
	    "LF as separator: EINVAL");
	errno = 0;
	tap_ok(csv_open(&r, 0, ',', '\r') == -1 && errno == EINVAL,
	    "CR as quote: EINVAL");
	errno = 0;
	tap_ok(csv_open(&r, 0, '"', '"') == -1 && errno == EINVAL,
	    "separator same as quote: EINVAL");
	csv_close(&r);

	if (csv_open(&r, -1, ',', '"') == -1)
		die("csv_open");
	rc = csv_next(&r, &rec);
	tap_ok(rc == -1 && errno == EBADF && r.reason != NULL &&
	    strcmp(r.reason, "read error") == 0, "a read error: its errno");
	csv_close(&r);
}

static void
test_quote(void)
{
	char buf[64];
	size_t n;

	tap_ok(!csv_needs_quotes("abc def", 7, ',', '"'),
	    "needs_quotes: plain text does not");
	tap_ok(csv_needs_quotes("a,b", 3, ',', '"') &&
	    csv_needs_quotes("a\"b", 3, ',', '"') &&
	    csv_needs_quotes("a\rb", 3, ',', '"') &&
	    csv_needs_quotes("a\nb", 3, ',', '"'),
	    "needs_quotes: separator, quote, CR and LF do");
	tap_ok(!csv_needs_quotes("a,\"b", 4, '\t', 0),
	    "needs_quotes: TSV without quote: comma and quote do not");
	n = csv_quote(buf, "a\"b,\"", 5, '"');
	buf[n] = '\0';
	tap_same(buf, "\"a\"\"b,\"\"\"", "csv_quote doubles quotes");
	n = csv_quote(buf, "", 0, '"');
	buf[n] = '\0';
	tap_same(buf, "\"\"", "csv_quote of nothing");
}

int
main(void)
{
	int fd;

	signal(SIGPIPE, SIG_IGN);
	if ((fd = mkstemp(tmp)) == -1)
		die(tmp);
	close(fd);
	tap_plan((int)nitems(cases) + 4 + 3 + 4 + 5);
	test_cases();
	test_long_field(100, 0);
	test_long_field(3 * CSV_BUFSIZE + 17, 0);
	test_long_field(3 * CSV_BUFSIZE + 17, 1);
	test_long_field(20 * 1024 * 1024, 1);
	test_many_fields();
	test_open_and_errors();
	test_quote();
	unlink(tmp);
	return tap_done();
}
