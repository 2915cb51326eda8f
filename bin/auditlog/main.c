/* main.c - auditlog: an append-only, hash-chained, forward-secure audit
 * log.  The commands that write: init, append, tick, checkpoint, rotate. */
/* SPDX-License-Identifier: ISC */

#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/atomic.h"
#include "lib/audit.h"
#include "lib/err.h"
#include "lib/sign.h"
#include "lib/time.h"
#include "bin/auditlog/auditlog.h"

#define SYNOPSIS \
	"auditlog init       [-f LOG] [-o KEYFILE]\n" \
	"auditlog append     [-f LOG] [-t TYPE] [MESSAGE...]\n" \
	"auditlog exec       [-f LOG] [-t TYPE] -- CMD [ARG]...\n" \
	"auditlog tick       [-f LOG]\n" \
	"auditlog checkpoint [-f LOG]\n" \
	"auditlog verify     [-v] [-k KEYFILE] [-p PUBKEY] " \
	"[-c CHECKPOINT]... [LOG...]\n" \
	"auditlog rotate     [-f LOG]\n"

#define STDIN_CHUNK	(1 << 20)

struct options opt;

static int	cmd_init(int, char **);
static int	cmd_append(int, char **);
static int	cmd_tick(int, char **);
static int	cmd_checkpoint(int, char **);
static int	cmd_rotate(int, char **);
static void	open_log(struct audit *a);
static void	companion(char *buf, const char *suffix);
static void	random_bytes(void *buf, size_t len);

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*opts;
} cmds[] = {
	{ "init",	cmd_init,	":f:o:" },
	{ "append",	cmd_append,	":f:t:" },
	{ "exec",	cmd_exec,	"+:f:t:" },
	{ "tick",	cmd_tick,	":f:" },
	{ "checkpoint",	cmd_checkpoint,	":f:" },
	{ "verify",	cmd_verify,	":c:k:p:v" },
	{ "rotate",	cmd_rotate,	":f:" },
};

void
usage(void)
{
	err_usage(SYNOPSIS);
}

/* LOG's companion file LOG SUFFIX into buf[PATH_MAX]; exits if too long. */
static void
companion(char *buf, const char *suffix)
{
	if ((size_t)snprintf(buf, PATH_MAX, "%s%s", opt.log, suffix) >=
	    PATH_MAX) {
		errno = ENAMETOOLONG;
		err(EXIT_FAIL, "%s", opt.log);
	}
}

static void
random_bytes(void *buf, size_t len)
{
	unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = getrandom(p, len, 0)) == -1) {
			if (errno == EINTR)
				continue;
			err(EXIT_FAIL, "getrandom");
		}
		p += n;
		len -= (size_t)n;
	}
}

/* Open the log for appending; exits with a message when it cannot be. */
static void
open_log(struct audit *a)
{
	if (audit_open(a, opt.log) == -1)
		errx(EXIT_FAIL, "%s: %s", opt.log, audit_strerror(a));
	if (a->recovered > 0)
		warnx("%s: recovered from a torn write: %llu bytes at offset "
		    "%llu recorded", opt.log, (unsigned long long)a->fraglen,
		    (unsigned long long)a->fragoff);
}

static int
cmd_init(int argc, char **argv)
{
	static const char *const sfx[] = { "", ".state", ".sign", ".pub" };
	struct sign_key sk;
	struct audit_field f[1];
	unsigned char k0[HASH_LEN], id[AUDIT_IDLEN];
	char path[PATH_MAX], pub[512], line[256];
	char signline[sizeof(SIGN_TAG) + 2 * SIGN_SECLEN + 2];
	char made[3][PATH_MAX], *slash;
	size_t i, nmade = 0;
	int n;

	(void)argv;
	if (argc != 0)
		usage();
	/* Nothing is made if the directory is not writable or any of the
	 * files is there already. */
	strcpy(path, opt.log);
	if ((slash = strrchr(path, '/')) != NULL)
		*(slash == path ? slash + 1 : slash) = '\0';
	if (access(slash != NULL ? path : ".", W_OK | X_OK) == -1)
		err(EXIT_FAIL, "%s", opt.log);
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		companion(path, sfx[i]);
		if (faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			errx(EXIT_FAIL, "%s: exists; nothing made", path);
		if (errno != ENOENT)
			err(EXIT_FAIL, "%s", path);
	}
	random_bytes(k0, sizeof k0);
	random_bytes(id, sizeof id);
	if (sign_keygen(&sk) == -1)
		err(EXIT_FAIL, "checkpoint key");
	/* k_0 goes out first: a log whose key was lost is worth nothing. */
	n = keyfile_line(line, sizeof line, id, k0);
	if (opt.keyfile != NULL) {
		if (file_create(opt.keyfile, 0600, line, (size_t)n) == -1)
			err(EXIT_FAIL, "%s", opt.keyfile);
		strcpy(made[nmade++], opt.keyfile);
	} else {
		fputs(line, stdout);
		if (fflush(stdout) == EOF || ferror(stdout))
			errx(EXIT_FAIL, "stdout: %s; the key cannot be given, "
			    "nothing made", strerror(errno));
	}
	explicit_bzero(line, sizeof line);
	hash_hex(sk.sec, SIGN_SECLEN, pub);
	n = snprintf(signline, sizeof signline, "%s %s\n", SIGN_TAG, pub);
	explicit_bzero(pub, sizeof pub);
	companion(path, ".sign");
	if (file_create(path, 0600, signline, (size_t)n) == -1) {
		warn("%s", path);
		goto bad;
	}
	explicit_bzero(signline, sizeof signline);
	strcpy(made[nmade++], path);
	pubkey_line(pub, sizeof pub, id, sk.pub);
	companion(path, ".pub");
	if (file_create(path, 0644, pub, strlen(pub)) == -1) {
		warn("%s", path);
		goto bad;
	}
	strcpy(made[nmade++], path);
	/* The init record names the checkpoint key, under k_0's MAC. */
	f[0] = (struct audit_field){ "sign", pub, strlen(pub) - 1 };
	if (audit_create(opt.log, k0, id, f, 1) == -1) {
		warn("%s", opt.log);
		goto bad;
	}
	sign_wipe(&sk);
	explicit_bzero(k0, sizeof k0);
	fputs(pub, stdout);
	err_flush();
	return EXIT_OK;
bad:
	sign_wipe(&sk);
	explicit_bzero(k0, sizeof k0);
	if (opt.keyfile == NULL)
		warnx("the key printed above belongs to no log: discard it");
	while (nmade > 0)
		unlink(made[--nmade]);
	return EXIT_FAIL;
}

/* Whether a user may give TYPE: a word the log does not keep for itself;
 * a usage error if not. */
void
check_type(const char *type, const char *suffix)
{
	char buf[AUDIT_MAXKEY + 16];
	const char *p;

	if ((size_t)snprintf(buf, sizeof buf, "%s%s", type, suffix) >=
	    sizeof buf || strlen(buf) > AUDIT_MAXKEY)
		goto bad;
	for (p = buf; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    (p > buf && strchr("._-", *p) != NULL)))
			goto bad;
	if (p == buf || strcmp(buf, "init") == 0 ||
	    strcmp(buf, "rotate") == 0 || strcmp(buf, "recover") == 0)
		goto bad;
	return;
bad:
	errx(EXIT_USAGE, "-t: %s: want 1 to %d characters from a-z 0-9 . _ "
	    "- (not init, rotate or recover)", type,
	    (int)(AUDIT_MAXKEY - strlen(suffix)));
}

/* The records of stdin, one per line: batches under one lock each, as
 * long as input comes without waiting. */
static int
append_stdin(struct audit *a, const char *type)
{
	struct audit_field f;
	struct pollfd pfd;
	unsigned long long lineno = 0;
	size_t start = 0, fill = 0, cap = STDIN_CHUNK, len;
	char *buf, *nl, *nbuf;
	ssize_t n;
	int eof = 0, inbatch = 0;

	if ((buf = malloc(cap)) == NULL)
		err(EXIT_FAIL, NULL);
	for (;;) {
		while ((nl = memchr(buf + start, '\n', fill - start)) != NULL ||
		    (eof && fill > start)) {
			len = nl != NULL ? (size_t)(nl - buf) - start :
			    fill - start;
			lineno++;
			if (len > AUDIT_MAXVALUE)
				goto toolong;
			if (!inbatch && audit_begin(a) == -1)
				goto bad;
			inbatch = 1;
			f = (struct audit_field){ "msg", buf + start, len };
			if (audit_add(a, type, &f, 1, NULL) == -1)
				goto bad;
			start += len + (nl != NULL);
		}
		if (eof)
			break;
		if (fill - start > AUDIT_MAXVALUE) {
			lineno++;
			goto toolong;
		}
		/* Commit what we have before waiting for more. */
		pfd.fd = STDIN_FILENO;
		pfd.events = POLLIN;
		if (inbatch && poll(&pfd, 1, 0) == 0) {
			if (audit_commit(a) == -1)
				goto bad;
			inbatch = 0;
		}
		if (start > 0) {
			memmove(buf, buf + start, fill - start);
			fill -= start;
			start = 0;
		}
		if (fill == cap) {
			if ((nbuf = realloc(buf, cap * 2)) == NULL)
				err(EXIT_FAIL, NULL);
			buf = nbuf;
			cap *= 2;
		}
		if ((n = read(STDIN_FILENO, buf + fill, cap - fill)) == -1) {
			if (errno == EINTR)
				continue;
			warn("stdin");
			goto fail;
		}
		if (n == 0)
			eof = 1;
		fill += (size_t)n;
	}
	free(buf);
	if (inbatch && audit_commit(a) == -1)
		goto bad;
	return 0;
toolong:
	warnx("stdin: line %llu: longer than %d bytes; not recorded", lineno,
	    AUDIT_MAXVALUE);
fail:
	free(buf);
	if (inbatch && audit_commit(a) == -1)
		goto bad;
	return -1;
bad:
	errx(EXIT_FAIL, "%s: %s", opt.log, audit_strerror(a));
}

static int
cmd_append(int argc, char **argv)
{
	struct audit a;
	struct audit_field f;
	const char *type = opt.type != NULL ? opt.type : "note";
	char *msg;
	size_t len = 0, n;
	int i;

	check_type(type, "");
	if (argc > 0) {
		for (i = 0; i < argc; i++)
			len += strlen(argv[i]) + 1;
		if (len - 1 > AUDIT_MAXVALUE)
			errx(EXIT_USAGE, "MESSAGE: longer than %d bytes",
			    AUDIT_MAXVALUE);
		if ((msg = malloc(len)) == NULL)
			err(EXIT_FAIL, NULL);
		for (len = 0, i = 0; i < argc; i++) {
			n = strlen(argv[i]);
			memcpy(msg + len, argv[i], n);
			len += n;
			msg[len++] = ' ';
		}
		f = (struct audit_field){ "msg", msg, len - 1 };
	}
	open_log(&a);
	if (argc > 0) {
		if (audit_recordv(&a, type, &f, 1) == -1)
			errx(EXIT_FAIL, "%s: %s", opt.log, audit_strerror(&a));
		free(msg);
	} else if (append_stdin(&a, type) == -1)
		return EXIT_FAIL;
	audit_close(&a);
	err_flush();
	return EXIT_OK;
}

static int
cmd_tick(int argc, char **argv)
{
	struct audit a;

	(void)argv;
	if (argc != 0)
		usage();
	open_log(&a);
	if (audit_recordv(&a, "tick", NULL, 0) == -1)
		errx(EXIT_FAIL, "%s: %s", opt.log, audit_strerror(&a));
	audit_close(&a);
	err_flush();
	return EXIT_OK;
}

static int
cmd_checkpoint(int argc, char **argv)
{
	struct audit a;
	struct sign_key sk;
	struct note n;
	struct timespec now;
	char path[PATH_MAX], buf[NOTE_MAX], idhex[2 * AUDIT_IDLEN + 1];
	const char *host;
	size_t len;

	(void)argv;
	if (argc != 0)
		usage();
	companion(path, ".sign");
	if (signkey_read(path, &sk) == -1)
		err(EXIT_FAIL, "%s", path);
	open_log(&a);
	/* Under the lock, so that the state is the log's end. */
	if (audit_begin(&a) == -1)
		errx(EXIT_FAIL, "%s: %s", opt.log, audit_strerror(&a));
	memset(&n, 0, sizeof n);
	hash_hex(a.st.id, AUDIT_IDLEN, idhex);
	snprintf(n.origin, sizeof n.origin, "%s%s", NOTE_ORIGIN, idhex);
	n.count = a.st.seq;
	memcpy(n.head, a.st.head, HASH_LEN);
	memcpy(n.mac, a.st.mac, HASH_LEN);
	/* What audit_begin took in from a crashed writer is kept. */
	if (a.len > 0 || a.rolled > 0) {
		if (audit_commit(&a) == -1)
			errx(EXIT_FAIL, "%s: %s", opt.log, audit_strerror(&a));
	} else
		audit_abort(&a);
	/* The host as in the records: the encoded hdr's first field. */
	host = a.hdr + strlen("host=");
	len = strcspn(host, " ");
	if (len >= sizeof n.host)
		len = sizeof n.host - 1;
	memcpy(n.host, host, len);
	clock_gettime(CLOCK_REALTIME, &now);
	if (time_rfc3339(now.tv_sec, now.tv_nsec / 1000, n.time) == -1)
		errx(EXIT_FAIL, "the clock is out of range");
	len = note_make(buf, sizeof buf, &n, &sk);
	sign_wipe(&sk);
	if (len == 0)
		errx(EXIT_FAIL, "%s: cannot sign the checkpoint", path);
	fwrite(buf, 1, len, stdout);
	audit_close(&a);
	err_flush();
	return EXIT_OK;
}

static int
cmd_rotate(int argc, char **argv)
{
	struct audit a;
	char name[NAME_MAX + 1];
	const char *slash;

	(void)argv;
	if (argc != 0)
		usage();
	open_log(&a);
	if (audit_begin(&a) == -1 || audit_rotate(&a, name, sizeof name) ==
	    -1 || audit_commit(&a) == -1)
		errx(EXIT_FAIL, "%s: %s", opt.log, audit_strerror(&a));
	audit_close(&a);
	if ((slash = strrchr(opt.log, '/')) != NULL)
		printf("%.*s/%s\n", (int)(slash - opt.log), opt.log, name);
	else
		printf("%s\n", name);
	err_flush();
	return EXIT_OK;
}

int
main(int argc, char *argv[])
{
	const char **cps;
	size_t i;
	int ch;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "-h") == 0) {
		fputs("usage: ", stdout);
		for (i = 0; SYNOPSIS[i] != '\0'; i++) {
			putchar(SYNOPSIS[i]);
			if (SYNOPSIS[i] == '\n' && SYNOPSIS[i + 1] != '\0')
				fputs("       ", stdout);
		}
		err_flush();
		return EXIT_OK;
	}
	if (strcmp(argv[1], "-V") == 0)
		err_version();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		warnx("%s: unknown command", argv[1]);
		usage();
	}
	argc--;
	argv++;
	while ((ch = getopt(argc, argv, cmds[i].opts)) != -1) {
		switch (ch) {
		case 'c':
			if ((cps = reallocarray(opt.cps, opt.ncps + 1,
			    sizeof *cps)) == NULL)
				err(EXIT_FAIL, NULL);
			opt.cps = cps;
			opt.cps[opt.ncps++] = optarg;
			break;
		case 'f':
			if (*optarg == '\0')
				errx(EXIT_USAGE, "-f: empty file name");
			opt.log = optarg;
			break;
		case 'k':
		case 'o':
			if (*optarg == '\0')
				errx(EXIT_USAGE, "-%c: empty file name", ch);
			opt.keyfile = optarg;
			break;
		case 'p':
			opt.pubkey = optarg;
			break;
		case 't':
			opt.type = optarg;
			break;
		case 'v':
			opt.verbose = 1;
			break;
		case ':':
			warnx("-%c: needs a value", optopt);
			usage();
		default:
			warnx("-%c: unknown option", optopt);
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (opt.log == NULL && cmds[i].fn != cmd_verify) {
		opt.log = getenv("AUDITLOG");
		if (opt.log == NULL || *opt.log == '\0')
			errx(EXIT_USAGE, "no log: give -f LOG or set AUDITLOG");
	}
	return cmds[i].fn(argc, argv);
}
