/* records.c - retain records: keep the records of a CSV, TSV or JSON
 * Lines stream whose timestamp field is recent enough, byte for byte. */
/* SPDX-License-Identifier: ISC */

#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/csv.h"
#include "lib/err.h"
#include "lib/json.h"
#include "lib/stamp.h"
#include "lib/time.h"
#include "bin/retain/retain.h"

#define SYNOPSIS \
	"retain records [--now TIME] [-F csv|tsv|jsonl] [-N] -k FIELD\n" \
	"       --older-than AGE\n"

#define MAXSHOWN	64	/* bytes of a bad value quoted in a message */
#define MAXSTAMP	64	/* a timestamp is never longer */

enum format { F_CSV, F_TSV, F_JSONL };

enum { R_NOW = 256, R_OLDER };

static const struct option longopts[] = {
	{ "now",	required_argument, NULL, R_NOW },
	{ "older-than",	required_argument, NULL, R_OLDER },
	{ NULL,		0,		   NULL, 0 },
};

/* What -k names: a header name or a JSON key, or a position (#N). */
struct field {
	const char	*name;
	size_t		 pos;		/* 1-based, 0 for a name */
};

struct filter {
	struct field	 f;
	time_t		 cutoff;
	int		 status;
};

static void	records_usage(void) __attribute__((noreturn));
static void	records_help(void) __attribute__((noreturn));

static void
records_usage(void)
{
	err_usage(SYNOPSIS);
}

static void
records_help(void)
{
	const char *p;

	fputs("usage: ", stdout);
	for (p = SYNOPSIS; *p != '\0'; p++) {
		putchar(*p);
		if (*p == '\n' && p[1] != '\0')
			fputs("       ", stdout);
	}
	err_flush();
	exit(EXIT_OK);
}

static void
out(const void *p, size_t n)
{
	if (n > 0 && fwrite(p, 1, n, stdout) != n)
		err_flush();
}

/* "retain: stdin: line N: FIELD: ..." with the value quoted, escaped
 * and cut short; the record is kept and the run exits 1. */
static void
unparseable(struct filter *fl, unsigned long long line, const char *v,
    size_t len, const char *why)
{
	size_t i, n = len < MAXSHOWN ? len : MAXSHOWN;

	fflush(stdout);
	fprintf(stderr, "%s: stdin: line %llu: ", err_progname(), line);
	if (fl->f.pos)
		fprintf(stderr, "#%zu", fl->f.pos);
	else
		putesc(stderr, fl->f.name, strlen(fl->f.name));
	if (v == NULL) {
		fprintf(stderr, ": %s; kept\n", why);
		fl->status = EXIT_FAIL;
		return;
	}
	fputs(": unparseable timestamp \"", stderr);
	for (i = 0; i < n; i++) {
		if ((unsigned char)v[i] < 0x20 || v[i] == '"' ||
		    v[i] == '\\' || (unsigned char)v[i] == 0x7f)
			fprintf(stderr, "\\x%02x", (unsigned char)v[i]);
		else
			putc(v[i], stderr);
	}
	fprintf(stderr, "\"%s; kept\n", n < len ? "..." : "");
	fl->status = EXIT_FAIL;
}

/* Whether a record with timestamp v[len] is kept. */
static int
keep(struct filter *fl, unsigned long long line, const char *v, size_t len)
{
	time_t t;

	if (stamp_parse(v, len, &t) == -1) {
		unparseable(fl, line, v, len, NULL);
		return 1;
	}
	return t >= fl->cutoff;
}

static int
run_table(struct filter *fl, int sep, int quote, int header)
{
	const struct csv_record *rec;
	struct csv_reader r;
	const struct csv_field *f;
	size_t idx = 0, i;
	int n, first = 1, found;

	if (csv_open(&r, STDIN_FILENO, sep, quote) == -1)
		err(EXIT_FAIL, "stdin");
	if (fl->f.pos)
		idx = fl->f.pos - 1;
	while ((n = csv_next(&r, &rec)) == 1) {
		if (first && r.bom)
			out("\xef\xbb\xbf", 3);
		if (first && header) {
			first = 0;
			if (!fl->f.pos) {
				for (found = 0, i = 0; i < rec->nfields; i++) {
					f = &rec->fields[i];
					if (f->len != strlen(fl->f.name) ||
					    memcmp(f->value, fl->f.name,
					    f->len) != 0)
						continue;
					if (found++)
						errx(EXIT_USAGE, "-k: %s: more "
						    "than one field of that "
						    "name in the header",
						    fl->f.name);
					idx = i;
				}
				if (!found)
					errx(EXIT_USAGE, "-k: %s: no such "
					    "field in the header", fl->f.name);
			}
			out(rec->raw, rec->rawlen + rec->eollen);
			continue;
		}
		first = 0;
		if (idx >= rec->nfields) {
			unparseable(fl, rec->line, NULL, 0, "no such field in "
			    "this record");
		} else {
			f = &rec->fields[idx];
			if (!keep(fl, rec->line, f->value, f->len))
				continue;
		}
		out(rec->raw, rec->rawlen + rec->eollen);
	}
	if (n == -1) {
		fflush(stdout);
		if (r.reason != NULL && errno == EINVAL)
			warnx("stdin: line %llu: %s; the records after it are "
			    "not written", r.errline, r.reason);
		else
			warn("stdin");
		err_flush();
		csv_close(&r);
		return EXIT_FAIL;
	}
	csv_close(&r);
	return fl->status;
}

static int
run_jsonl(struct filter *fl)
{
	struct json_value v;
	char *line = NULL, buf[MAXSTAMP];
	unsigned long long lineno = 0;
	const char *why;
	size_t cap = 0, len, i;
	ssize_t got;
	long n;
	int r;

	while ((got = getline(&line, &cap, stdin)) != -1) {
		lineno++;
		len = (size_t)got;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t' ||
		    line[i] == '\r'); i++)
			;
		if (i == len) {		/* a blank line: no record */
			out(line, (size_t)got);
			continue;
		}
		r = json_member(line, len, fl->f.name, strlen(fl->f.name), &v,
		    &why);
		if (r == -1)
			unparseable(fl, lineno, NULL, 0, why);
		else if (r == 0)
			unparseable(fl, lineno, NULL, 0, "no such member");
		else if (v.type == JSON_STRING) {
			n = json_unescape(v.raw, v.rawlen, buf, sizeof(buf));
			if (n == -1)
				unparseable(fl, lineno, v.raw, v.rawlen, NULL);
			else if (!keep(fl, lineno, buf, (size_t)n))
				continue;
		} else if (v.type == JSON_NUMBER) {
			if (!keep(fl, lineno, v.raw, v.rawlen))
				continue;
		} else
			unparseable(fl, lineno, v.raw, v.rawlen, NULL);
		out(line, (size_t)got);
	}
	if (ferror(stdin)) {
		fflush(stdout);
		warn("stdin");
		err_flush();
		free(line);
		return EXIT_FAIL;
	}
	free(line);
	return fl->status;
}

int
records_main(int argc, char *argv[])
{
	unsigned long long pos;
	struct filter fl;
	struct duration d;
	const char *age = NULL, *key = NULL;
	time_t now;
	int ch, format = F_CSV, noheader = 0, hasnow = 0, status;

	memset(&fl, 0, sizeof(fl));
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":F:hk:NV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'F':
			if (strcmp(optarg, "csv") == 0)
				format = F_CSV;
			else if (strcmp(optarg, "tsv") == 0)
				format = F_TSV;
			else if (strcmp(optarg, "jsonl") == 0)
				format = F_JSONL;
			else
				errx(EXIT_USAGE, "-F: %s: want csv, tsv or "
				    "jsonl", optarg);
			break;
		case 'h':
			records_help();
		case 'k':
			key = optarg;
			break;
		case 'N':
			noheader = 1;
			break;
		case 'V':
			err_version();
		case R_NOW:
			if (time_parse_now(optarg, &now) == -1)
				errx(EXIT_USAGE, "--now: %s: want "
				    "YYYY-mm-ddTHH:MM:SSZ, YYYY-mm-dd, "
				    "YYYYmmdd_HHMMSS or @SECONDS", optarg);
			hasnow = 1;
			break;
		case R_OLDER:
			age = optarg;
			break;
		case ':':
			warnx("%s: needs a value", argv[optind - 1]);
			records_usage();
		default:
			if (optopt == 0)
				warnx("%s: unknown option", argv[optind - 1]);
			else
				warnx("-%c: unknown option", optopt);
			records_usage();
		}
	}
	if (optind != argc) {
		warnx("%s: unexpected operand (records come on stdin)",
		    argv[optind]);
		records_usage();
	}
	if (key == NULL || age == NULL) {
		warnx("records: -k FIELD and --older-than AGE are needed");
		records_usage();
	}
	if (*key == '\0')
		errx(EXIT_USAGE, "-k: an empty field name");
	if (key[0] == '#') {
		if (format == F_JSONL)
			errx(EXIT_USAGE, "-k: %s: JSON Lines members have "
			    "names, not positions", key);
		if (conf_number(key + 1, 1, CSV_MAXFIELDS, &pos) == -1)
			errx(EXIT_USAGE, "-k: %s: want a name or #N, N from 1 "
			    "to %d", key, CSV_MAXFIELDS);
		fl.f.pos = (size_t)pos;
	} else {
		if (noheader)
			errx(EXIT_USAGE, "-k: %s: without a header (-N) a "
			    "field is named by its position, #N", key);
		fl.f.name = key;
	}
	if (noheader && format == F_JSONL)
		errx(EXIT_USAGE, "-N: JSON Lines have no header");
	if (time_parse_duration(age, &d) == -1)
		errx(EXIT_USAGE, "--older-than: %s: want an age such as 90d, "
		    "36h, 7y or 1y6m (y m w d h min s, each number up to "
		    "1000000)", age);
	if (!hasnow)
		now = time(NULL);
	if (time_sub(now, &d, &fl.cutoff) == -1)
		errx(EXIT_USAGE, "--older-than: %s: too far back from now",
		    age);

	if (format == F_JSONL)
		status = run_jsonl(&fl);
	else
		status = run_table(&fl, format == F_TSV ? '\t' : ',',
		    format == F_TSV ? 0 : '"', !noheader);
	err_flush();
	return status;
}
