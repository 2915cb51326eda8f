/* auditverify.c - fuzz auditlog verify: a valid log (one rotation, so
 * two files) is made once with lib/audit; each input is a list of edits
 * to its bytes; verify must accept the log unchanged and refuse it
 * changed in any way, but one: bytes without a newline appended to the
 * last file, which is how a torn write beyond the state looks (the
 * next append records it).  With the key (-k) and without (the state's
 * chain head and MAC only). */
/* SPDX-License-Identifier: ISC */

#define _GNU_SOURCE

#include <sys/stat.h>
#include <sys/types.h>

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/audit.h"
#include "lib/err.h"
#include "bin/auditlog/auditlog.h"
#include "fuzz/fuzz.h"

/*
 * The input: a mode byte, then edits of four bytes each.
 *	mode & 1	verify with the key (-k KEYFILE)
 *	mode & 2	verify the last file alone (its rotate record first)
 *	edit[0] & 7	0 set the byte at POS to VAL, 1 insert VAL before
 *			POS, 2 delete the byte at POS, 3 delete VAL + 1
 *			bytes from POS, 4 flip bit VAL & 7 of the byte at
 *			POS, 5 repeat the line holding POS after it, 6 swap
 *			the line holding POS with the next, 7 cut the file
 *			at POS
 *	edit[0] & 8	in the first (rotated) file, else the last
 *	edit[1]		the line of POS, modulo the lines + 1 (the
 *			last: the end of the file)
 *	edit[2]		the offset of POS in that line: from its start,
 *			from its " type=" (edit[0] & 16), or back from its
 *			end (edit[0] & 32), modulo what there is
 *	edit[3]		VAL
 * POS is so found by a record's fields rather than by its offset in
 * the file, which differs from run to run (the host, the pid and the
 * time of the records, the program's name), so that an input found by
 * libFuzzer does the same to the log of the replay.
 */
#define MAXLEN	(1 << 20)

struct options opt;

/* What main.c has, and verify.c does not use. */
void
usage(void)
{
	abort();
}

static char dir[PATH_MAX], logpath[PATH_MAX], oldpath[PATH_MAX];
static char keypath[PATH_MAX];
static struct file {
	const char	*path;
	char		*orig, *cur;
	size_t		 origlen, len;
} files[2];		/* the rotated file, the last */

static void
slurp_into(struct file *f)
{
	int fd;

	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC)) == -1)
		fuzz_die(f->path);
	f->orig = fuzz_slurp(fd, &f->origlen);
	close(fd);
	if ((f->cur = malloc(MAXLEN)) == NULL)
		fuzz_die("malloc");
}

static void
add(struct audit *a, const char *type, const char *k1, const void *v1,
    size_t l1)
{
	struct audit_field f[2] = {
		{ "path", "/srv/data/a b\tc", 15 },
		{ k1, v1, l1 },
	};

	if (audit_recordv(a, type, f, 2) == -1)
		fuzz_die(audit_strerror(a));
}

/* The log: init, records with every kind of byte, rotate, records. */
static void
make_log(void)
{
	static const unsigned char k0[HASH_LEN] =
	    "k0 of the fuzzed log, 32 bytes.";
	static const unsigned char id[AUDIT_IDLEN] = "id of the log...";
	struct audit a;
	char name[NAME_MAX + 1], line[256];
	const char *tmp = getenv("TMPDIR");
	int fd, n;

	if ((size_t)snprintf(dir, sizeof dir, "%s/fuzz-audit.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp") >= sizeof dir / 2)
		fuzz_die("TMPDIR too long");
	if (mkdtemp(dir) == NULL)
		fuzz_die(dir);
	if ((size_t)snprintf(logpath, sizeof logpath, "%s/log", dir) >=
	    sizeof logpath || (size_t)snprintf(keypath, sizeof keypath,
	    "%s/key", dir) >= sizeof keypath)
		fuzz_die(dir);
	if (audit_create(logpath, k0, id, NULL, 0) == -1)
		fuzz_die("audit_create");
	memset(&a, 0, sizeof a);
	if (audit_open(&a, logpath) == -1)
		fuzz_die(audit_strerror(&a));
	add(&a, "copy", "size", "12", 2);
	add(&a, "delete", "why", "a\nb%c=d \x01\xff", 11);
	add(&a, "note", "bin", "\0\0zero", 6);
	if (audit_begin(&a) == -1 || audit_rotate(&a, name, sizeof name) ==
	    -1 || audit_commit(&a) == -1)
		fuzz_die(audit_strerror(&a));
	add(&a, "copy", "size", "0", 1);
	add(&a, "archive", "dest", "/srv/archive/2024", 17);
	audit_close(&a);
	if ((size_t)snprintf(oldpath, sizeof oldpath, "%s/%s", dir, name) >=
	    sizeof oldpath)
		fuzz_die(name);

	n = keyfile_line(line, sizeof line, id, k0);
	if ((fd = open(keypath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		fuzz_die(keypath);
	fuzz_write(fd, line, (size_t)n);
	close(fd);

	files[0].path = oldpath;
	files[1].path = logpath;
	slurp_into(&files[0]);
	slurp_into(&files[1]);
}

static void
cleanup(void)
{
	char p[PATH_MAX + 16];
	static const char *const sfx[] = { "", ".state", ".lock" };
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", logpath, sfx[i]);
		unlink(p);
	}
	unlink(oldpath);
	unlink(keypath);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	make_log();
	atexit(cleanup);
	return 0;
}

/* The line of f holding pos: [*a, *b), its newline included. */
static void
line_at(const struct file *f, size_t pos, size_t *a, size_t *b)
{
	const char *nl;

	for (*a = pos; *a > 0 && f->cur[*a - 1] != '\n'; (*a)--)
		continue;
	nl = memchr(f->cur + pos, '\n', f->len - pos);
	*b = nl != NULL ? (size_t)(nl - f->cur) + 1 : f->len;
}

/* The position an edit names. */
static size_t
where(const struct file *f, const uint8_t e[4])
{
	size_t nlines = 0, i, a, b, base;
	const char *t;

	for (i = 0; i < f->len; i++)
		nlines += f->cur[i] == '\n';
	nlines += f->len > 0 && f->cur[f->len - 1] != '\n';
	if (e[1] % (nlines + 1) == nlines)
		return f->len;
	for (a = 0, i = e[1] % (nlines + 1); i > 0; i--)
		a = (size_t)((const char *)memchr(f->cur + a, '\n', f->len -
		    a) - f->cur) + 1;
	line_at(f, a, &a, &b);
	if (e[0] & 32)
		return b - 1 - e[2] % (b - a);
	base = a;
	if ((e[0] & 16) && (t = memmem(f->cur + a, b - a, " type=", 6)) !=
	    NULL)
		base = (size_t)(t - f->cur);
	return base + e[2] % (b - base);
}

static void
edit(struct file *f, const uint8_t e[4])
{
	size_t pos, a, b, c, n;
	char *tmp;
	int op = e[0] & 7;
	unsigned val = e[3];

	pos = where(f, e);
	if (pos == f->len && op != 1)
		return;
	switch (op) {
	case 0:
		f->cur[pos] = (char)val;
		break;
	case 1:
		if (f->len == MAXLEN)
			return;
		memmove(f->cur + pos + 1, f->cur + pos, f->len - pos);
		f->cur[pos] = (char)val;
		f->len++;
		break;
	case 2:
	case 3:
		n = op == 2 ? 1 : val + 1;
		if (n > f->len - pos)
			n = f->len - pos;
		memmove(f->cur + pos, f->cur + pos + n, f->len - pos - n);
		f->len -= n;
		break;
	case 4:
		f->cur[pos] ^= (char)(1 << (val & 7));
		break;
	case 5:
		line_at(f, pos, &a, &b);
		if (f->len + (b - a) > MAXLEN)
			return;
		memmove(f->cur + b + (b - a), f->cur + b, f->len - b);
		memcpy(f->cur + b, f->cur + a, b - a);
		f->len += b - a;
		break;
	case 6:
		line_at(f, pos, &a, &b);
		if (b == f->len)
			return;
		line_at(f, b, &b, &c);
		tmp = fuzz_alloc(c - a);
		memcpy(tmp, f->cur + b, c - b);
		memcpy(tmp + (c - b), f->cur + a, b - a);
		memcpy(f->cur + a, tmp, c - a);
		free(tmp);
		break;
	case 7:
		f->len = pos;
		break;
	}
}

static void
put_file(const struct file *f)
{
	int fd;

	if ((fd = open(f->path, O_WRONLY | O_TRUNC | O_CLOEXEC)) == -1)
		fuzz_die(f->path);
	fuzz_write(fd, f->cur, f->len);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[3];
	int argc, rc, same[2], torn;
	size_t i;

	if (files[1].orig == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size < 1)
		return 0;
	for (i = 0; i < 2; i++) {
		memcpy(files[i].cur, files[i].orig, files[i].origlen);
		files[i].len = files[i].origlen;
	}
	for (i = 1; i + 4 <= size; i += 4)
		edit(&files[data[i] & 8 ? 0 : 1], data + i);
	for (i = 0; i < 2; i++)
		put_file(&files[i]);

	memset(&opt, 0, sizeof opt);
	opt.keyfile = data[0] & 1 ? keypath : NULL;
	argc = 0;
	if (!(data[0] & 2))
		argv[argc++] = oldpath;
	argv[argc++] = logpath;
	argv[argc] = NULL;
	rc = cmd_verify(argc, argv);

	for (i = 0; i < 2; i++)
		same[i] = files[i].len == files[i].origlen &&
		    memcmp(files[i].cur, files[i].orig, files[i].len) == 0;
	/* The one change allowed: a torn write at the end, no newline. */
	torn = files[1].len > files[1].origlen && memcmp(files[1].cur,
	    files[1].orig, files[1].origlen) == 0 && memchr(files[1].cur +
	    files[1].origlen, '\n', files[1].len - files[1].origlen) == NULL;
	/* Alone, the last file is what verify is given. */
	if (data[0] & 2)
		same[0] = 1;
	CHECK(rc == EXIT_OK || rc == EXIT_FAIL);
	if (same[0] && same[1])
		CHECK(rc == EXIT_OK);
	else if (!same[0] || !torn)
		CHECK(rc == EXIT_FAIL);
	return 0;
}
