/* main.c - pii-hash: streaming pseudonymization of CSV, TSV and JSON
 * Lines.  Options, operands, key and salt files, genkey. */
/* SPDX-License-Identifier: ISC */

#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/atomic.h"
#include "lib/audit.h"
#include "lib/conf.h"
#include "lib/csv.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/hmac.h"
#include "bin/pii-hash/pii-hash.h"

#define SYNOPSIS \
	"pii-hash genkey [-o KEYFILE]\n" \
	"pii-hash [-k KEYFILE | -s SALTFILE] [-F csv|tsv|jsonl] [-N] " \
	"[-l HEXCHARS] [--ragged pass] [COLUMN[:ACTION[:NORM]] ...]\n"

#define KEY_MIN		16	/* bytes */
#define SECRET_MAX	4096	/* bytes in a key or salt file */
#define GENKEY_LEN	32

struct options opt;

static void	usage(void) __attribute__((noreturn));
static void	help(void) __attribute__((noreturn));
static int	genkey(int, char **);
static void	parse_column(const char *, struct column *);
static size_t	read_secret(const char *, unsigned char *, size_t);
static void	load_key(const char *);
static void	load_salt(const char *);

static void
usage(void)
{
	err_usage(SYNOPSIS);
}

static void
help(void)
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

void
input_error(unsigned long long line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: stdin: line %llu: ", err_progname(), line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrx(EXIT_USAGE, fmt, ap);
	va_end(ap);
}

/* 32 bytes from getrandom(2) as 64 hex digits and a newline: to stdout,
 * or to a new file of mode 0600, never over an existing one. */
static int
genkey(int argc, char *argv[])
{
	unsigned char key[GENKEY_LEN];
	char hex[2 * GENKEY_LEN + 2], tmp[PATH_MAX], abs[2 * PATH_MAX];
	const char *path = NULL, *log = NULL;
	struct audit alog;
	struct stat st;
	size_t got;
	ssize_t n;
	int ch, fd, serrno;

	while ((ch = getopt(argc, argv, ":o:")) != -1) {
		switch (ch) {
		case 'o':
			if (*optarg == '\0')
				usage_error("-o: empty file name");
			path = optarg;
			break;
		case ':':
			warnx("-%c: missing argument", optopt);
			usage();
		default:
			warnx("-%c: unknown option", optopt);
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (path != NULL && lstat(path, &st) == 0)
		errx(EXIT_FAIL, "%s: exists; refusing to overwrite a key",
		    path);
	/* A key file that cannot be recorded is not made. */
	log = getenv("AUDITLOG");
	if (path != NULL && log != NULL && *log != '\0' &&
	    audit_open(&alog, log) == -1)
		errx(EXIT_FAIL, "%s: %s; no key made", log,
		    audit_strerror(&alog));

	for (got = 0; got < sizeof key; got += (size_t)n)
		if ((n = getrandom(key + got, sizeof key - got, 0)) == -1) {
			if (errno == EINTR) {
				n = 0;
				continue;
			}
			err(EXIT_FAIL, "getrandom");
		}
	hash_hex(key, sizeof key, hex);
	explicit_bzero(key, sizeof key);
	hex[2 * GENKEY_LEN] = '\n';

	if (path == NULL) {
		fwrite(hex, 1, 2 * GENKEY_LEN + 1, stdout);
		explicit_bzero(hex, sizeof hex);
		err_flush();
		return EXIT_OK;
	}
	if (atomic_tmpname(tmp, sizeof tmp, path) == -1)
		err(EXIT_FAIL, "%s", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		err(EXIT_FAIL, "%s", tmp);
	errno = 0;
	if (fchmod(fd, 0600) == -1 || write(fd, hex, 2 * GENKEY_LEN + 1) !=
	    2 * GENKEY_LEN + 1 || fsync(fd) == -1 || close(fd) == -1) {
		serrno = errno != 0 ? errno : EIO;
		explicit_bzero(hex, sizeof hex);
		unlink(tmp);
		errno = serrno;
		err(EXIT_FAIL, "%s", tmp);
	}
	explicit_bzero(hex, sizeof hex);
	if (atomic_rename_noreplace(AT_FDCWD, tmp, AT_FDCWD, path) == -1) {
		serrno = errno;
		if (unlink(tmp) == 0 || serrno == EEXIST) {
			if (serrno == EEXIST)
				errx(EXIT_FAIL, "%s: exists; refusing to "
				    "overwrite a key", path);
			errno = serrno;
			err(EXIT_FAIL, "%s", path);
		}
		/* The temporary is gone: the key is in place, but its
		 * directory entry may not be durable yet. */
		errno = serrno;
		err(EXIT_FAIL, "%s: written, but not synced", path);
	}
	if (log != NULL && *log != '\0') {
		/* Absolute, for the record. */
		if (path[0] == '/' || getcwd(tmp, sizeof tmp) == NULL)
			snprintf(abs, sizeof abs, "%s", path);
		else
			snprintf(abs, sizeof abs, "%s/%s", tmp, path);
		if (audit_record(&alog, "genkey", (const char *const[]){
		    "path", abs, NULL }) == -1)
			errx(EXIT_FAIL, "%s: %s; the key %s is not in the "
			    "audit log", log, audit_strerror(&alog), path);
		audit_close(&alog);
	}
	return EXIT_OK;
}

/*
 * The content of a key or salt file, which must be a regular file that
 * neither group nor others can access (a pseudonym is only as safe as
 * the secret behind it).  Exits 2 on any problem, naming the file.
 */
static size_t
read_secret(const char *path, unsigned char *buf, size_t size)
{
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		err(EXIT_USAGE, "%s", path);
	if (fstat(fd, &st) == -1)
		err(EXIT_USAGE, "%s", path);
	if (!S_ISREG(st.st_mode))
		errx(EXIT_USAGE, "%s: not a regular file", path);
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		errx(EXIT_USAGE, "%s: group or others can %s it (mode %04o); "
		    "make it private: chmod 600 %s", path,
		    st.st_mode & (S_IRGRP | S_IROTH) ? "read" : "change",
		    (unsigned)(st.st_mode & 07777), path);
	for (;;) {
		n = read(fd, buf + len, size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			err(EXIT_USAGE, "%s", path);
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == size)
			errx(EXIT_USAGE, "%s: longer than %d bytes", path,
			    SECRET_MAX - 1);
	}
	close(fd);
	return len;
}

static void
load_key(const char *path)
{
	unsigned char text[SECRET_MAX], key[SECRET_MAX / 2];
	size_t len;

	len = read_secret(path, text, sizeof text);
	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len > 0 && text[len - 1] == '\r')
		len--;
	if (len % 2 != 0 || hash_unhex((const char *)text, key, len / 2) ==
	    -1) {
		explicit_bzero(text, sizeof text);
		errx(EXIT_USAGE, "%s: not a key: hexadecimal digits expected "
		    "(pii-hash genkey makes one)", path);
	}
	if (len / 2 < KEY_MIN) {
		explicit_bzero(text, sizeof text);
		explicit_bzero(key, sizeof key);
		errx(EXIT_USAGE, "%s: key of %zu bytes is too short: at "
		    "least %d (%d hex digits)", path, len / 2, KEY_MIN,
		    2 * KEY_MIN);
	}
	hmac_key_init(&opt.key, key, len / 2);
	explicit_bzero(text, sizeof text);
	explicit_bzero(key, sizeof key);
}

static void
load_salt(const char *path)
{
	unsigned char text[SECRET_MAX];
	size_t len;

	len = read_secret(path, text, sizeof text);
	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len == 0)
		errx(EXIT_USAGE, "%s: empty salt", path);
	if ((opt.salt = malloc(len)) == NULL)
		err(EXIT_FAIL, "out of memory");
	memcpy(opt.salt, text, len);
	opt.saltlen = len;
	explicit_bzero(text, sizeof text);
}

/*
 * COLUMN[:ACTION[:NORM]], read from the right so that a column name may
 * hold colons: the last field is taken as a NORM only if the one before
 * is an ACTION (or empty), and as an ACTION only if it is one.
 */
static void
parse_column(const char *spec, struct column *c)
{
	const char *last, *prev, *end = spec + strlen(spec);
	unsigned long long pos;
	int a, nm;

	memset(c, 0, sizeof *c);
	c->spec = spec;
	c->name = spec;
	c->namelen = end - spec;
	if ((last = strrchr(spec, ':')) != NULL) {
		for (prev = last; prev > spec && prev[-1] != ':'; prev--)
			continue;
		nm = norm_parse(last + 1, end - last - 1);
		a = prev > spec ? action_parse(prev, last - prev) : -1;
		if (nm >= 0 && prev > spec && (a > 0 || last == prev)) {
			c->namelen = prev - 1 - spec;
			c->action = a > 0 ? a : 0;
			c->norm = nm;
		} else if ((a = action_parse(last + 1, end - last - 1)) > 0) {
			c->namelen = last - spec;
			c->action = a;
		}
	}
	if (c->namelen == 0)
		usage_error("%s: empty column name (give a position as #N)",
		    spec);
	c->labellen = c->namelen;
	if (spec[0] == '#' && c->namelen > 1 &&
	    strspn(spec + 1, "0123456789") == c->namelen - 1) {
		char num[32];

		if (c->namelen - 1 >= sizeof num)
			usage_error("%s: position out of range (1 to %d)",
			    spec, CSV_MAXFIELDS);
		memcpy(num, spec + 1, c->namelen - 1);
		num[c->namelen - 1] = '\0';
		if (conf_number(num, 1, CSV_MAXFIELDS, &pos) == -1)
			usage_error("%s: position out of range (1 to %d)",
			    spec, CSV_MAXFIELDS);
		c->pos = (size_t)pos;
		c->name = NULL;
		c->namelen = 0;
	}
	if (c->action == 0) {
		if (opt.hash == 0)
			usage_error("%s: no ACTION, and no key (-k) or salt "
			    "(-s) to hash with", spec);
		c->action = opt.hash;
	}
	if (c->action == ACT_HMAC && opt.hash != ACT_HMAC)
		usage_error("%s: hmac needs a key file (-k)", spec);
	if (c->action == ACT_SALTED && opt.hash != ACT_SALTED)
		usage_error("%s: salted needs a salt file (-s)", spec);
	if (c->norm != NORM_NONE && (c->action == ACT_REDACT ||
	    c->action == ACT_DROP))
		usage_error("%s: a NORM applies to hmac, salted and mask, "
		    "not to %s", spec, action_name(c->action));
	if (opt.format == FMT_JSONL && c->name == NULL)
		usage_error("%s: JSON Lines members are named by key, not "
		    "position", spec);
	if (opt.noheader && c->name != NULL)
		usage_error("%s: with -N there is no header: give a position "
		    "as #N", spec);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "ragged", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 }
	};
	const char *keyfile = NULL, *saltfile = NULL;
	unsigned long long n;
	struct out *o;
	int ch, i, status;

	if (argc >= 2 && strcmp(argv[1], "genkey") == 0)
		return genkey(argc - 1, argv + 1);
	opt.format = FMT_CSV;
	opt.hexlen = HASH_HEXLEN;
	while ((ch = getopt_long(argc, argv, ":F:hk:l:Ns:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'F':
			if (strcmp(optarg, "csv") == 0)
				opt.format = FMT_CSV;
			else if (strcmp(optarg, "tsv") == 0)
				opt.format = FMT_TSV;
			else if (strcmp(optarg, "jsonl") == 0)
				opt.format = FMT_JSONL;
			else
				usage_error("-F: %s: csv, tsv or jsonl "
				    "expected", optarg);
			break;
		case 'h':
			help();
		case 'k':
			keyfile = optarg;
			break;
		case 'l':
			if (conf_number(optarg, 16, HASH_HEXLEN, &n) == -1)
				usage_error("-l: %s: HEXCHARS must be 16 to %d",
				    optarg, HASH_HEXLEN);
			opt.hexlen = (size_t)n;
			break;
		case 'N':
			opt.noheader = 1;
			break;
		case 'R':
			if (strcmp(optarg, "pass") != 0)
				usage_error("--ragged: %s: only 'pass' is "
				    "known", optarg);
			opt.ragged = 1;
			break;
		case 's':
			saltfile = optarg;
			break;
		case 'V':
			err_version();
		case ':':
			if (optopt == 'R')
				warnx("--ragged: missing argument");
			else
				warnx("-%c: missing argument", optopt);
			usage();
		default:
			if (optopt != 0)
				warnx("-%c: unknown option", optopt);
			else
				warnx("%s: unknown option", argv[optind - 1]);
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	if (keyfile != NULL && saltfile != NULL)
		usage_error("-k and -s exclude each other");
	opt.hash = keyfile != NULL ? ACT_HMAC : saltfile != NULL ?
	    ACT_SALTED : 0;
	if (opt.format == FMT_JSONL && (opt.noheader || opt.ragged))
		usage_error("%s: only for CSV and TSV", opt.noheader ? "-N" :
		    "--ragged");
	if (argc > 0 && (opt.cols = reallocarray(NULL, (size_t)argc,
	    sizeof *opt.cols)) == NULL)
		err(EXIT_FAIL, "out of memory");
	for (i = 0; i < argc; i++)
		parse_column(argv[i], &opt.cols[i]);
	opt.ncols = (size_t)argc;
	if (keyfile != NULL)
		load_key(keyfile);
	if (saltfile != NULL)
		load_salt(saltfile);

	o = out_open(STDOUT_FILENO, opt.format);
	if (opt.format == FMT_JSONL)
		status = jsonl_run(STDIN_FILENO, o);
	else
		status = table_run(STDIN_FILENO, o);
	out_close(o);
	hmac_key_wipe(&opt.key);
	if (opt.salt != NULL)
		explicit_bzero(opt.salt, opt.saltlen);
	free(opt.salt);
	free(opt.cols);
	return status;
}
