/* record.c - envlink: the layers of layers.conf and the
 * environment record ENVDIR/.envlink. */
/* SPDX-License-Identifier: ISC */

#include <sys/types.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/atomic.h"
#include "lib/conf.h"
#include "lib/err.h"
#include "bin/envlink/envlink.h"

/* The default layers, as conf/layers.conf ships them. */
static const struct layer deflayers[] = {
	{ "raw", 1 }, { "bronze", 0 }, { "silver", 0 }, { "gold", 0 },
	{ "models", 0 }, { "predictions", 0 }, { "results", 0 },
	{ "reports", 0 }, { "dashboard", 0 },
};

/* --- layers.conf and the record ------------------------------------------ */

void
layers_default(struct env *e)
{
	e->nlayers = sizeof deflayers / sizeof deflayers[0];
	memcpy(e->layer, deflayers, sizeof deflayers);
}

/* Add the layer of a line's fields f[nf] (name and kind) to e; the
 * reason on failure, or NULL. */
const char *
layer_add(struct env *e, char **f, int nf)
{
	int i;

	if (nf != 2)
		return "want: LAYER shared|isolated";
	if (!name_ok(f[0]))
		return "not a layer name (letters, digits, '.', '_' and '-', "
		    "at most 64, not starting with '.' or '-')";
	if (strcmp(f[1], "shared") != 0 && strcmp(f[1], "isolated") != 0)
		return "want shared or isolated";
	for (i = 0; i < e->nlayers; i++)
		if (strcmp(e->layer[i].name, f[0]) == 0)
			return "layer listed twice";
	if (e->nlayers == MAXLAYERS)
		return "too many layers (at most 128)";
	strcpy(e->layer[e->nlayers].name, f[0]);
	e->layer[e->nlayers++].shared = strcmp(f[1], "shared") == 0;
	return NULL;
}

/* Read LAYERS; a bad line is a configuration error (exit 2). */
void
layers_load(const char *path, struct env *e)
{
	struct conf c;
	const char *why;
	int n;

	e->nlayers = 0;
	if (conf_open(&c, path) == -1)
		err(EXIT_USAGE, "%s", esc(path));
	while ((n = conf_next(&c)) != 0) {
		why = n == -1 ? c.reason : layer_add(e, c.fields, n);
		if (why != NULL)
			errx(EXIT_USAGE, "%s:%lu: %s", esc(path), c.line, why);
	}
	conf_close(&c);
	if (e->nlayers == 0)
		errx(EXIT_USAGE, "%s: no layers", esc(path));
}

/* Percent-encode s into out so that it is one field of a conf line. */
static void
encode(FILE *fp, const char *s)
{
	unsigned char c;

	for (; (c = *s) != '\0'; s++)
		if (c <= ' ' || c == 0x7f || c == '%' || c == '#')
			fprintf(fp, "%%%02X", c);
		else
			putc(c, fp);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode a percent-encoded field into out[size]; -1 if malformed. */
static int
decode(const char *s, char *out, size_t size)
{
	size_t n = 0;
	int hi, lo;

	for (; *s != '\0'; s++) {
		if (n + 1 >= size)
			return -1;
		if (*s != '%') {
			out[n++] = *s;
			continue;
		}
		if ((hi = hexval(s[1])) == -1 || (lo = hexval(s[2])) == -1 ||
		    (hi == 0 && lo == 0))
			return -1;
		out[n++] = (char)(hi << 4 | lo);
		s += 2;
	}
	out[n] = '\0';
	return 0;
}

/* The record's text, malloc'ed, its length in *len. */
char *
record_text(const struct env *e, size_t *len)
{
	char *buf = NULL;
	FILE *fp;
	int i;

	if ((fp = open_memstream(&buf, len)) == NULL)
		err(EXIT_FAIL, "record");
	fprintf(fp, "%s %s\nname %s\nmaster ", RECORD_TAG, RECORD_VERSION,
	    e->name);
	encode(fp, e->master);
	putc('\n', fp);
	for (i = 0; i < e->nlayers; i++)
		fprintf(fp, "layer %s %s\n", e->layer[i].name,
		    e->layer[i].shared ? "shared" : "isolated");
	if (ferror(fp) || fclose(fp) != 0)
		err(EXIT_FAIL, "record");
	return buf;
}

/*
 * Read ENVDIR/.envlink into e.  0, or -1 with errno ENOENT when there is
 * none; exits on a damaged record.
 */
int
record_read(int efd, const char *label, struct env *e)
{
	struct conf c;
	struct stat st;
	const char *why = NULL;
	int fd, n, tag = 0, havename = 0, havemaster = 0;

	memset(e, 0, sizeof *e);
	fd = openat(efd, RECORD, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1 && errno == ENOENT)
		return -1;
	/* conf_open takes a path; this descriptor is the file checked. */
	memset(&c, 0, sizeof c);
	if (fd == -1 || fstat(fd, &st) == -1)
		err(EXIT_FAIL, "%s/%s", label, RECORD);
	if (!S_ISREG(st.st_mode))
		errx(EXIT_FAIL, "%s/%s: %s, not a regular file", label, RECORD,
		    typename(st.st_mode));
	if ((c.fp = fdopen(fd, "r")) == NULL)
		err(EXIT_FAIL, "%s/%s", label, RECORD);
	c.path = RECORD;
	while (why == NULL && (n = conf_next(&c)) != 0) {
		if (n == -1)
			why = c.reason;
		else if (!tag)
			why = n == 2 && strcmp(c.fields[0], RECORD_TAG) == 0 &&
			    strcmp(c.fields[1], RECORD_VERSION) == 0 ? NULL :
			    "not an envlink record of version 1";
		else if (strcmp(c.fields[0], "name") == 0) {
			why = n != 2 || havename++ || !name_ok(c.fields[1]) ?
			    "bad name line" : NULL;
			if (why == NULL)
				strcpy(e->name, c.fields[1]);
		}
		else if (strcmp(c.fields[0], "master") == 0)
			why = n != 2 || havemaster++ ||
			    decode(c.fields[1], e->master,
			    sizeof e->master) == -1 || e->master[0] != '/' ?
			    "bad master line" : NULL;
		else if (strcmp(c.fields[0], "layer") == 0)
			why = layer_add(e, c.fields + 1, n - 1);
		else
			why = "unknown keyword";
		tag = 1;
	}
	if (why != NULL)
		errx(EXIT_FAIL, "%s/%s:%lu: %s", label, RECORD, c.line, why);
	conf_close(&c);
	if (!havename || !havemaster || e->nlayers == 0)
		errx(EXIT_FAIL, "%s/%s: incomplete record (want name, master "
		    "and layers)", label, RECORD);
	return 0;
}

/* Write the record under a temporary name and rename it into place
 * without replacing anything.  Exits on error. */
void
record_write(int efd, const char *label, const struct env *e)
{
	char tmp[NAME_MAX + 1], *buf;
	size_t len, off = 0;
	ssize_t n;
	int fd = -1, i, serrno;

	buf = record_text(e, &len);
	for (i = 0; i < 100 && fd == -1; i++) {
		if (atomic_tmpname(tmp, sizeof tmp, RECORD) == -1)
			err(EXIT_FAIL, "%s/%s", label, RECORD);
		fd = openat(efd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0644);
		if (fd == -1 && errno != EEXIST)
			err(EXIT_FAIL, "%s/%s", label, esc(tmp));
	}
	if (fd == -1)
		err(EXIT_FAIL, "%s/%s", label, RECORD);
	while (off < len) {
		if ((n = write(fd, buf + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += n;
	}
	if (fchmod(fd, 0644) == -1 || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (atomic_rename_noreplace(efd, tmp, efd, RECORD) == -1)
		goto fail;
	free(buf);
	return;
fail:
	serrno = errno;
	if (fd != -1)
		close(fd);
	unlinkat(efd, tmp, 0);
	errno = serrno;
	err(EXIT_FAIL, "%s/%s", label, RECORD);
}

